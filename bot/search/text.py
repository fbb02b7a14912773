"""Normalising and tokenising everyday Chinese for search.

- Traditional -> Simplified with OpenCC (the maintained converter; phrase-level tables).
- Words with jieba (a private Tokenizer, loaded once and lazily, plus domain words taken from
  the content: guide names, aliases, case keywords, law names).
- Character bigrams, so a word jieba splits differently still matches.
- Pinyin syllable bigrams (pypinyin), so homophone typos from pinyin input (离昏 for 离婚,
  公机金 for 公积金) still match.
"""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from functools import lru_cache
from typing import Iterable

_LOCK = threading.Lock()
_JIEBA = None
_OPENCC = None
_DOMAIN_WORDS: set[str] = set()

_HAN = r"\u3400-\u4dbf\u4e00-\u9fff"
_RUN_RE = re.compile(rf"[{_HAN}]+|[a-z0-9]+")
_HAN_RE = re.compile(rf"[{_HAN}]")

# Function words and question frames that carry no topic. Not a query->answer table: these
# words are dropped from every query and every document alike.
STOPWORDS = frozenset("""
的 了 吗 呢 吧 啊 呀 嘛 哦 么 着 过 把 被 让 给 对 向 在 从 和 与 及 或 而 也 都 就 还 又 才 再 很 太 最
我 你 他 她 它 我们 你们 他们 她们 咱 咱们 自己 人家 这 那 这个 那个 这样 那样 这些 那些 哪 哪个 哪些 哪里 哪儿 哪边
谁 什么 啥 怎么 怎样 怎么样 怎么办 如何 为什么 为啥 多少 几 是 不是 有 没有 没 能 能不能 可以 可不可以 可 会 要 想 需要 应该
吗 一下 一个 一些 个 些 请问 请 问 问问 请教 谢谢 您好 你好 好 啊 嗯 就是 还是 到底 是否 已经 如果 但是 因为 所以 然后
怎么弄 弄 搞 去 来 该 得 着急 急 在线 等 里 上 下 中 后 前 时 时候 之后 以后 以前
东西 事情 事儿 情况 存在 方面 之类 不存在 什么样 怎么回事 干什么 干嘛 做什么 哪几个 哪几 好久 有用吗 有用 有没有用 管用吗
""".split())


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


def add_domain_words(words: Iterable[str]) -> None:
    """Words jieba must keep whole (taken from the content). Safe before or after loading."""
    fresh = {w.strip() for w in words if 2 <= len(w.strip()) <= 8 and _HAN_RE.search(w)} - _DOMAIN_WORDS
    if not fresh:
        return
    with _LOCK:
        _DOMAIN_WORDS.update(fresh)
        if _JIEBA is not None:
            for word in fresh:
                _JIEBA.add_word(normalize(word))
    _cached_words.cache_clear()
    _cached_precise.cache_clear()
    parts.cache_clear()
    boundaries.cache_clear()


def _tokenizer():
    global _JIEBA
    if _JIEBA is None:
        with _LOCK:
            if _JIEBA is None:
                import jieba

                jieba.setLogLevel(logging.WARNING)
                tokenizer = jieba.Tokenizer()
                tokenizer.initialize()
                for word in sorted(_DOMAIN_WORDS):
                    tokenizer.add_word(normalize(word))
                _JIEBA = tokenizer
    return _JIEBA


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


def _cut(text: str, search: bool, singles: bool = False) -> tuple[str, ...]:
    tokenizer = _tokenizer()
    out = []
    for run in runs(text):
        if not _HAN_RE.match(run):
            out.append(run)
            continue
        cut = tokenizer.cut_for_search(run, HMM=False) if search else tokenizer.cut(run, HMM=False)
        out.extend(w for w in cut if w not in STOPWORDS and (len(w) > 1 or singles or w in _SINGLE_OK))
    return tuple(out)


@lru_cache(maxsize=8192)
def _cached_words(text: str) -> tuple[str, ...]:
    return _cut(text, search=True)


# single characters that carry meaning on their own in residents' questions
_SINGLE_OK = frozenset("房车狗猫药毒税罚钱债婚病伤死领店告")


@lru_cache(maxsize=4096)
def _cached_precise(text: str) -> tuple[str, ...]:
    return _cut(text, search=False, singles=True)


def precise_words(text: str) -> list[str]:
    """jieba words in precise mode (no overlapping parts): what the query is about, for coverage."""
    return [w for w in _cached_precise(normalize(text)) if len(w) > 1 or w in _SINGLE_OK or not _HAN_RE.match(w)]


@lru_cache(maxsize=8192)
def parts(word: str) -> tuple[str, ...]:
    """The dictionary words inside a longer word ("出生证明" -> 出生, 证明), without the word."""
    if len(word) < 3 or not _HAN_RE.match(word):
        return ()
    return tuple(dict.fromkeys(w for w in _tokenizer().cut_for_search(word, HMM=False)
                               if w != word and len(w) > 1 and w not in STOPWORDS))


@lru_cache(maxsize=4096)
def boundaries(text: str) -> frozenset[int]:
    """Offsets in the (normalised) text where a jieba word starts or ends (precise mode)."""
    out = {0, len(text)}
    pos = 0
    for word in _tokenizer().cut(text, HMM=False):
        pos += len(word)
        out.add(pos)
    return frozenset(out)


def loose_chars(text: str) -> list[str]:
    """Han characters that no word took and that are not function words ("蓝", "屏" in "电脑蓝屏了"):
    part of the question too, which coverage weighs by how rare the character is."""
    return [w for w in _cached_precise(normalize(text)) if len(w) == 1 and w not in _SINGLE_OK and _HAN_RE.match(w)]


def words(text: str) -> list[str]:
    """jieba words (search mode: long words also yield their parts) without stopwords."""
    return list(_cached_words(normalize(text)))


def bigrams(text: str) -> list[str]:
    """Character bigrams inside each Han run (a one-character run yields itself)."""
    out = []
    for run in runs(normalize(text)):
        if not _HAN_RE.match(run):
            out.append(run)
        elif len(run) == 1:
            out.append(run)
        else:
            out.extend(run[i:i + 2] for i in range(len(run) - 1))
    return out


_STOP_CHARS = frozenset(w for w in STOPWORDS if len(w) == 1)


_STOP_SPAN_RE = re.compile("|".join(sorted((re.escape(w) for w in STOPWORDS if len(w) > 1), key=len, reverse=True)))


def query_bigrams(text: str) -> list[str]:
    """Character bigrams of a question once its function words are taken out ("不存在的东西xyz"
    -> "xyz"), without those that contain a one-character function word ("钱吗", "押能"): they
    join two words rather than say anything."""
    text = _STOP_SPAN_RE.sub(" ", normalize(text))
    # a lone character ("打" in "打12345") is a gram only when it means something on its own
    return [g for g in bigrams(text) if not (_STOP_CHARS & set(g) or g in STOPWORDS)
            and (len(g) > 1 or not _HAN_RE.match(g) or g in _SINGLE_OK)]


def pinyin_bigrams(text: str) -> list[str]:
    """Toneless pinyin syllable bigrams of each Han run ("离昏" -> "li hun")."""
    from pypinyin import lazy_pinyin

    out = []
    for run in runs(normalize(text)):
        if not _HAN_RE.match(run) or len(run) < 2:
            continue
        syllables = lazy_pinyin(run)
        out.extend(f"{a} {b}" for a, b in zip(syllables, syllables[1:]))
    return out


def query_pinyin_bigrams(text: str) -> list[str]:
    """Pinyin bigrams of a question, without those that span a function word ("业了", "了能"):
    like query_bigrams, they would match documents on grammar rather than topic."""
    return list(_cached_query_pinyin(normalize(text)))


@lru_cache(maxsize=4096)
def _cached_query_pinyin(text: str) -> tuple[str, ...]:
    from pypinyin import lazy_pinyin

    out = []
    for run in runs(_STOP_SPAN_RE.sub(" ", normalize(text))):
        if not _HAN_RE.match(run) or len(run) < 2:
            continue
        syllables = lazy_pinyin(run)
        out.extend(f"{syllables[i]} {syllables[i + 1]}" for i in range(len(run) - 1)
                   if not (_STOP_CHARS & set(run[i:i + 2]) or run[i:i + 2] in STOPWORDS))
    return tuple(out)


def pinyin_bigrams_with(text: str, char: str) -> list[str]:
    """Pinyin bigrams of the text's Han runs that include the given character."""
    from pypinyin import lazy_pinyin

    out = []
    for run in runs(normalize(text)):
        if char not in run or len(run) < 2 or not _HAN_RE.match(run):
            continue
        syllables = lazy_pinyin(run)
        out.extend(f"{syllables[i]} {syllables[i + 1]}" for i in range(len(run) - 1) if char in run[i:i + 2])
    return out


def warm_up() -> None:
    """Load the dictionaries now (start-up) rather than on the first user's query."""
    words("预热")
    pinyin_bigrams("预热")
