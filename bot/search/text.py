"""Normalising and tokenising everyday Chinese for search.

- Traditional -> Simplified with OpenCC (the maintained converter; phrase-level tables).
- Words: jieba's dictionary segmentation (HMM off) plus domain words taken from the content
  (guide names, aliases, case keywords, law names). `Segmenter` runs jieba's algorithm over a
  word -> frequency lookup, so a search index cached on disk can answer from its stored copy
  of the dictionary without loading jieba (70 MB, 0.8 s) into every command-line run.
- Character bigrams, so a word jieba splits differently still matches.
- Pinyin syllable bigrams (each character's usual reading, from pypinyin or the cached table),
  so homophone typos from pinyin input (离昏 for 离婚, 公机金 for 公积金) still match.

An `Analyzer` (segmenter + readings, with its own caches) belongs to one search index; the
module-level functions use a default one (jieba's dictionary, no domain words).
"""

from __future__ import annotations

import itertools
import logging
import math
import re
import threading
import unicodedata
from collections.abc import Callable, Iterable
from functools import lru_cache

_LOCK = threading.Lock()
_OPENCC = None

_HAN = r"\u3400-\u4dbf\u4e00-\u9fff"
_RUN_RE = re.compile(rf"[{_HAN}]+|[a-z0-9]+")
_HAN_RE = re.compile(rf"[{_HAN}]")

# Function words and question frames that carry no topic. Not a query->answer table: these
# words are dropped from every query and every document alike.
STOPWORDS = frozenset(["的", "了", "吗", "呢", "吧", "啊", "呀", "嘛", "哦", "么", "着", "过", "把", "被", "让", "给", "对", "向", "在", "从", "和", "与", "及", "或", "而", "也", "都", "就", "还", "又", "才", "再", "很", "太", "最", "我", "你", "他", "她", "它", "我们", "你们", "他们", "她们", "咱", "咱们", "俺", "俺们", "俺家", "咱家", "自己", "人家", "这", "那", "这个", "那个", "这样", "那样", "这些", "那些", "哪", "哪个", "哪些", "哪里", "哪儿", "哪边", "谁", "什么", "啥", "怎么", "怎样", "怎么样", "怎么办", "如何", "为什么", "为啥", "多少", "几", "是", "不是", "有", "没有", "没", "能", "能不能", "可以", "可不可以", "可", "会", "要", "想", "需要", "应该", "吗", "一下", "一个", "一些", "个", "些", "请问", "请", "问", "问问", "请教", "谢谢", "您好", "你好", "好", "啊", "嗯", "就是", "还是", "到底", "是否", "已经", "如果", "但是", "因为", "所以", "然后", "怎么弄", "弄", "搞", "去", "来", "该", "得", "着急", "急", "在线", "等", "里", "上", "下", "中", "后", "前", "时", "时候", "之后", "以后", "以前", "东西", "事情", "事儿", "情况", "存在", "方面", "之类", "不存在", "什么样", "怎么回事", "干什么", "干嘛", "做什么", "哪几个", "哪几", "好久", "有用吗", "有用", "有没有用", "管用吗", "前两天", "前几天", "这两天", "这几天", "最近", "后面", "我家", "我们家",
                       # plans and times that say when, not what about
                       "打算", "准备", "想要", "不想", "俩", "马上", "突然", "一直", "实在", "老是", "总是", "天天",
                       "今年", "去年", "明年", "这个月", "上个月", "下个月", "下周", "上周"])


def _converter():
    global _OPENCC
    if _OPENCC is None:
        with _LOCK:
            if _OPENCC is None:
                import opencc

                _OPENCC = opencc.OpenCC("t2s")
    return _OPENCC


MAX_TERM = 6  # longer content phrases are left to jieba's own words


def is_term(text: str) -> bool:
    """Whether a phrase from the content is a term jieba should keep whole ("离婚冷静期", "学法减分")
    rather than a phrase of several words ("公司不交社保", "失业了要登记吗")."""
    text = normalize(text.strip())
    return (2 <= len(text) <= MAX_TERM and bool(_HAN_RE.search(text)) and not (_STOP_CHARS & set(text))
            and not _STOP_SPAN_RE.search(text))


def domain_words(words: Iterable[str]) -> list[str]:
    """The content's words jieba must keep whole, normalised, in the order they are added."""
    kept = {w.strip() for w in words if 2 <= len(w.strip()) <= 8 and _HAN_RE.search(w)}
    return [normalize(w) for w in sorted(kept)]


@lru_cache(maxsize=4096)
def normalize(text: str) -> str:
    """NFKC (full-width digits and letters), lower case, Traditional -> Simplified."""
    text = unicodedata.normalize("NFKC", text).lower()
    if _HAN_RE.search(text):
        text = _converter().convert(text)
    return text


def runs(text: str) -> list[str]:
    """Runs of Han characters or of ASCII letters/digits, from normalised text."""
    return _RUN_RE.findall(text)


# jieba's own block, skip and single-letter patterns (jieba 0.42, cut with HMM=False)
_J_HAN = re.compile("([\u4E00-\u9FD5a-zA-Z0-9+#&\\._%\\-]+)", re.U)
_J_SKIP = re.compile("(\r\n|\\s)", re.U)
_J_ENG = re.compile("[a-zA-Z0-9]", re.U)


@lru_cache(maxsize=1)
def _jieba_dictionary() -> tuple[dict[str, int], int]:
    """jieba's own dictionary (word and prefix frequencies, total), loaded once per process."""
    import jieba

    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    return tokenizer.FREQ, tokenizer.total


class Segmenter:
    """jieba's dictionary segmentation (cut and cut_for_search, HMM off) over `freq(word)`:
    a word's frequency, 0 for a prefix of a dictionary word, None for anything else."""

    def __init__(self, freq: Callable[[str], int | None], total: int):
        self.freq = freq
        self.total = total
        self._log_total = math.log(total)

    @classmethod
    def from_jieba(cls, words: Iterable[str] = ()) -> tuple[Segmenter, dict[str, int]]:
        """jieba's dictionary with the given domain words added (in order); also returns the
        frequency table, which a cached index stores."""
        import jieba

        base, total = _jieba_dictionary()
        tokenizer = jieba.Tokenizer()
        tokenizer.FREQ, tokenizer.total, tokenizer.initialized = dict(base), total, True
        for word in words:
            tokenizer.add_word(word)
        table = tokenizer.FREQ
        return cls(table.get, tokenizer.total), table

    def _dag_words(self, sentence: str) -> list[str]:
        freq = self.freq
        n = len(sentence)
        dag: list[list[int]] = []
        for k in range(n):
            ends = []
            i = k
            frag = sentence[k]
            while i < n:
                value = freq(frag)
                if value is None:
                    break
                if value:
                    ends.append(i)
                i += 1
                frag = sentence[k:i + 1]
            dag.append(ends or [k])
        route: list[tuple[float, int]] = [(0.0, 0)] * (n + 1)
        log_total = self._log_total
        for idx in range(n - 1, -1, -1):
            route[idx] = max((math.log(freq(sentence[idx:x + 1]) or 1) - log_total + route[x + 1][0], x)
                             for x in dag[idx])
        out: list[str] = []
        x = 0
        buf = ""
        while x < n:
            y = route[x][1] + 1
            word = sentence[x:y]
            if len(word) == 1 and _J_ENG.match(word):
                buf += word
            else:
                if buf:
                    out.append(buf)
                    buf = ""
                out.append(word)
            x = y
        if buf:
            out.append(buf)
        return out

    def cut(self, sentence: str) -> list[str]:
        out: list[str] = []
        for block in _J_HAN.split(sentence):
            if not block:
                continue
            if _J_HAN.match(block):
                out.extend(self._dag_words(block))
            else:
                for piece in _J_SKIP.split(block):
                    if _J_SKIP.match(piece):
                        out.append(piece)
                    else:
                        out.extend(piece)
        return out

    def cut_for_search(self, sentence: str) -> list[str]:
        out: list[str] = []
        freq = self.freq
        for w in self.cut(sentence):
            if len(w) > 2:
                out.extend(w[i:i + 2] for i in range(len(w) - 1) if freq(w[i:i + 2]))
            if len(w) > 3:
                out.extend(w[i:i + 3] for i in range(len(w) - 2) if freq(w[i:i + 3]))
            out.append(w)
        return out


class PinyinReadings:
    """Each Han character's usual reading, toneless (pypinyin's first reading: 行 -> xing)."""

    def __init__(self):
        self._cache: dict[str, str] = {}

    def __call__(self, ch: str) -> str:
        found = self._cache.get(ch)
        if found is None:
            from pypinyin import lazy_pinyin

            found = self._cache[ch] = lazy_pinyin(ch)[0]
        return found

    @staticmethod
    @lru_cache(maxsize=1)
    def table() -> dict[str, str]:
        """Every character pypinyin knows -> its reading (what a cached index stores)."""
        from pypinyin import lazy_pinyin
        from pypinyin.constants import PINYIN_DICT

        return {chr(code): lazy_pinyin(chr(code))[0] for code in sorted(PINYIN_DICT)}


def release_build_tables() -> None:
    """Forget jieba's dictionary and the pinyin table kept for index builds (a long-running
    process that built its index and now reads it from the cache file does not need them)."""
    _jieba_dictionary.cache_clear()
    PinyinReadings.table.cache_clear()


# single characters that carry meaning on their own in residents' questions
_SINGLE_OK = frozenset("房车狗猫药毒税罚钱债婚病伤死领店告借偷骗吵迁变")
SINGLE_OK = _SINGLE_OK


class Analyzer:
    """Words, parts, boundaries and pinyin of text for one search index (its dictionary)."""

    def __init__(self, segmenter: Segmenter, reading: Callable[[str], str]):
        self.segmenter = segmenter
        self.reading = reading
        self._search_cut = lru_cache(maxsize=8192)(self._cut_search)
        self._precise_cut = lru_cache(maxsize=4096)(self._cut_precise)
        self.parts = lru_cache(maxsize=8192)(self._parts)
        self.boundaries = lru_cache(maxsize=4096)(self._boundaries)
        self._query_pinyin = lru_cache(maxsize=4096)(self._query_pinyin_uncached)

    def _cut(self, text: str, search: bool, singles: bool = False) -> tuple[str, ...]:
        seg = self.segmenter
        out: list[str] = []
        for run in runs(text):
            if not _HAN_RE.match(run):
                out.append(run)
                continue
            cut = seg.cut_for_search(run) if search else seg.cut(run)
            out.extend(w for w in cut if w not in STOPWORDS and (len(w) > 1 or singles or w in _SINGLE_OK))
        return tuple(out)

    def _cut_search(self, text: str) -> tuple[str, ...]:
        return self._cut(text, search=True)

    def _cut_precise(self, text: str) -> tuple[str, ...]:
        return self._cut(text, search=False, singles=True)

    def words(self, text: str) -> list[str]:
        """jieba words (search mode: long words also yield their parts) without stopwords."""
        return list(self._search_cut(normalize(text)))

    def precise_words(self, text: str) -> list[str]:
        """Words in precise mode (no overlapping parts): what the query is about, for coverage."""
        return [w for w in self._precise_cut(normalize(text)) if len(w) > 1 or w in _SINGLE_OK or not _HAN_RE.match(w)]

    def loose_chars(self, text: str) -> list[str]:
        """Han characters that no word took and that are not function words ("蓝", "屏" in "电脑蓝屏了"):
        part of the question too, which coverage weighs by how rare the character is."""
        return [w for w in self._precise_cut(normalize(text)) if len(w) == 1 and w not in _SINGLE_OK and _HAN_RE.match(w)]

    def _parts(self, word: str) -> tuple[str, ...]:
        """The dictionary words inside a longer word ("出生证明" -> 出生, 证明), without the word."""
        if len(word) < 3 or not _HAN_RE.match(word):
            return ()
        return tuple(dict.fromkeys(w for w in self.segmenter.cut_for_search(word)
                                   if w != word and len(w) > 1 and w not in STOPWORDS))

    def _boundaries(self, text: str) -> frozenset[int]:
        """Offsets in the (normalised) text where a word starts or ends (precise mode)."""
        out = {0, len(text)}
        pos = 0
        for word in self.segmenter.cut(text):
            pos += len(word)
            out.add(pos)
        return frozenset(out)

    def pinyin_bigrams(self, text: str) -> list[str]:
        """Toneless pinyin syllable bigrams of each Han run ("离昏" -> "li hun")."""
        out: list[str] = []
        for run in runs(normalize(text)):
            if not _HAN_RE.match(run) or len(run) < 2:
                continue
            syllables = [self.reading(ch) for ch in run]
            out.extend(f"{a} {b}" for a, b in itertools.pairwise(syllables))
        return out

    def query_pinyin_bigrams(self, text: str) -> list[str]:
        """Pinyin bigrams of a question, without those that span a function word ("业了", "了能"):
        like query_bigrams, they would match documents on grammar rather than topic."""
        return list(self._query_pinyin(normalize(text)))

    def _query_pinyin_uncached(self, text: str) -> tuple[str, ...]:
        out: list[str] = []
        for run in runs(_STOP_SPAN_RE.sub(" ", normalize(text))):
            if not _HAN_RE.match(run) or len(run) < 2:
                continue
            syllables = [self.reading(ch) for ch in run]
            out.extend(f"{syllables[i]} {syllables[i + 1]}" for i in range(len(run) - 1)
                       if not (_STOP_CHARS & set(run[i:i + 2]) or run[i:i + 2] in STOPWORDS))
        return tuple(out)

    def pinyin_bigrams_with(self, text: str, char: str) -> list[str]:
        """Pinyin bigrams of the text's Han runs that include the given character."""
        out: list[str] = []
        for run in runs(normalize(text)):
            if char not in run or len(run) < 2 or not _HAN_RE.match(run):
                continue
            syllables = [self.reading(ch) for ch in run]
            out.extend(f"{syllables[i]} {syllables[i + 1]}" for i in range(len(run) - 1) if char in run[i:i + 2])
        return out

    def warm_up(self) -> None:
        """Load what the first query would otherwise wait for."""
        self.words("预热")
        self.query_pinyin_bigrams("预热")
        normalize("預熱")


_DEFAULT: Analyzer | None = None


def default_analyzer() -> Analyzer:
    """jieba's dictionary without domain words, pypinyin readings (loaded on first use)."""
    global _DEFAULT
    if _DEFAULT is None:
        with _LOCK:
            if _DEFAULT is None:
                _DEFAULT = Analyzer(Segmenter.from_jieba()[0], PinyinReadings())
    return _DEFAULT


def words(text: str) -> list[str]:
    return default_analyzer().words(text)


def precise_words(text: str) -> list[str]:
    return default_analyzer().precise_words(text)


def loose_chars(text: str) -> list[str]:
    return default_analyzer().loose_chars(text)


def parts(word: str) -> tuple[str, ...]:
    return default_analyzer().parts(word)


def boundaries(text: str) -> frozenset[int]:
    return default_analyzer().boundaries(text)


def pinyin_bigrams(text: str) -> list[str]:
    return default_analyzer().pinyin_bigrams(text)


def query_pinyin_bigrams(text: str) -> list[str]:
    return default_analyzer().query_pinyin_bigrams(text)


def bigrams(text: str) -> list[str]:
    """Character bigrams inside each Han run (a one-character run yields itself)."""
    out = []
    for run in runs(normalize(text)):
        if not _HAN_RE.match(run) or len(run) == 1:
            out.append(run)
        else:
            out.extend(run[i:i + 2] for i in range(len(run) - 1))
    return out


_STOP_CHARS = frozenset(w for w in STOPWORDS if len(w) == 1)
STOP_CHARS = _STOP_CHARS  # the one-character function words


_STOP_SPAN_RE = re.compile("|".join(sorted((re.escape(w) for w in STOPWORDS if len(w) > 1), key=len, reverse=True)))


def query_bigrams(text: str) -> list[str]:
    """Character bigrams of a question once its function words are taken out ("不存在的东西xyz"
    -> "xyz"), without those that contain a one-character function word ("钱吗", "押能"): they
    join two words rather than say anything."""
    text = _STOP_SPAN_RE.sub(" ", normalize(text))
    # a lone character ("打" in "打12345") is a gram only when it means something on its own
    return [g for g in bigrams(text) if not (_STOP_CHARS & set(g) or g in STOPWORDS)
            and (len(g) > 1 or not _HAN_RE.match(g) or g in _SINGLE_OK)]
