"""The lookup: everyday questions -> ranked guides, cases and articles, with a confidence verdict.

Everything it knows comes from the content: guide names and aliases, case titles and keywords,
law names and texts. Articles also carry the words of the cases and guides that cite them, so
"高空抛物" finds 民法典 第一千二百五十四条 though the statute never uses that phrase.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import math
import os
import re
import threading
from collections.abc import Container, Mapping
from concurrent.futures import Future
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, TypedDict

from bot.catalog.laws import Article, LawLibrary
from bot.domain.numerals import ArticleNo
from bot.search import synonyms
from bot.search import text as tx
from bot.search.bm25 import Field, FieldIndex, TermIndex, matched
from bot.search.bm25 import scores as bm25_scores
from bot.search.intent import ADVICE_RE, WISH_RE, Intent, asks_time_limit, detect, pays_out, sets_person_limit, topic
from bot.search.lawref import named_first, parse_ref

if TYPE_CHECKING:  # the catalog package is not needed to answer from a cached index
    from bot.catalog.catalog import Catalog

log = logging.getLogger(__name__)

KINDS = ("guide", "case", "law")
FIELDS = [Field("key", 3.0), Field("mid", 1.2), Field("body", 0.4)]
# an article: its law's name, its chapter, the names and keywords of the guides and cases that
# cite it (borrowed: everyday words for what it is about), and its own text, as words and as
# bigrams. The text counts least (an everyday question shares common words with some statute or
# other), but as words it finds the article when the question uses the statute's own wording
LAW_FIELDS = [Field("key", 3.0), Field("mid", 1.2), Field("cited", 1.2), Field("body", 0.2)]
# how much each token space counts: jieba words, character bigrams, pinyin bigrams (typos)
SPACE_WEIGHTS = {"words": 1.0, "grams": 0.35, "pinyin": 0.5}
# another word for the same thing (synonyms.py) or all the parts of a query word: how much it
# adds to a document's score (share of the word's own weight) and to its coverage
SYNONYM_WEIGHT = 0.6
SYNONYM_CREDIT = 0.8
LAW_PRIOR = 0.45
# article terms found in more than about a fifth of all articles (人民, 规定) are not scored
LAW_MIN_IDF = 1.5
# law keyword search: at most this many articles that have all the bigrams of the searched
# phrase are checked for the phrase itself
PHRASE_POOL = 200
# the first RERANK guides and cases by raw score are weighed by their coverage of the question:
# score * (COORD_FLOOR + (1 - COORD_FLOOR) * coverage)
RERANK = 12
# a question about how much one receives (领多少、待遇) favours the guides that pay out money
# (失业保险金 over 失业登记)
BENEFIT_BOOST = 1.2
COORD_FLOOR = 0.5  # articles rank below guides and cases unless the query asks for a law
# when the wording asks to get something done, guides count more than cases (and the reverse
# when it asks whether something is lawful or who is liable); the other kind stays in the list
INTENT_BOOST = 1.35
LEAN_BOOST = 1.15  # when the wording has both frames, for the kind asked last
# a guide and a case that cite a common article are on the same topic: when the wording asks for
# the other kind than the one ranked first, the same-topic one of that kind moves to the front if
# it scores at least this share of the first
SAME_TOPIC_SHARE = 0.5
# confidence: a strong score on its own, or a fair score with a fair share of the query matched
CONFIDENT_SCORE = 9.0
FAIR_SCORE = 4.5
FAIR_COVERAGE = 0.25
MIN_COVERAGE = 0.2  # below this the best hit shares only a stray word with the query
# a hit CLEAR_LEAD times the score of every other candidate is confident from CLEAR_COVERAGE
CLEAR_LEAD = 2.5
CLEAR_COVERAGE = 0.15
NONE_COVERAGE = 0.1  # when none of the first three covers this much: "not covered"
LAW_RELATED = 0.3  # an article covering this much of the question is related to it
STRICT_COVERAGE = 0.5  # what a hit must cover when the question has characters the content lacks
# ... in a question of at most DETAIL_WORDS distinct words: in a longer one such a character is a
# detail of the story ("身上青一块紫一块")
DETAIL_WORDS = 7
# ... and whose best hit scores under STRONG_SCORE (a hit this strong shares the question's rare
# words: the unknown character is a detail, as in "娃胳膊上老是青一块紫一块…该不该报告")
STRONG_SCORE = 2 * CONFIDENT_SCORE
# a story: a question with more than STORY_WORDS distinct words (a long first-person account full
# of details no guide has: 周六早上去菜市场买菜…). What a document covers of it is counted against
# STORY_WORDS words' worth of it, not all of them (each of n words covers n / STORY_WORDS times as
# much), and a character no document has is one more detail, not a sign the question is off-topic
STORY_WORDS = 10
# a question on how long one has to do something: articles that give the person a time limit for
# that (…六十日内提出行政复议申请) count this many times, over those on the authority's own periods
PERSON_LIMIT_BOOST = 1.2
# a question that asks for the statute gets the articles first when the best one scores this
# many times the next one (else the articles tie on the law's name and the guide citing them leads)
ARTICLE_MARGIN = 1.1
# a question that asks for the statute: the LAW_POOL best articles by raw score are weighed by how
# much of the question they cover, as the guides and cases are (one that has every word of the
# question beats one that has a rare word of it many times)
LAW_POOL = 15
# see _a_guide_among_the_first
GUIDE_SHARE = 0.3
# unless the question asks for a law, at most FRONT_ARTICLES articles among the first FRONT hits
FRONT = 3
FRONT_ARTICLES = 1
# the ask of a question of five words or more: the guides and cases named (in their name, aliases,
# title or keywords) by a word of a story's last clause ("…我觉得太冤了，想申请复议"), or of what
# follows the question's last wish ("…吵了好几年想找村委会给调一调"), count ASK_BOOST times: the
# details told match other documents, the ask says what is wanted (Lookup._ask_words)
ASK_BOOST = 1.5
CLAUSE_RE = re.compile(r"[。，,！!？?；;\n]+")
# a number in Han numerals and nothing else ("三千", "三十八"; not "七天", "二手", "五保")
NUMBER_RE = re.compile(r"[零〇一二两三四五六七八九十百千万亿几]{2,}")
# a verb and its object split by 了/过/个, a "my"/"his" or an amount ("扣了很多钱") (Lookup._joined)
SPLIT_VERB_RE = re.compile(r"([\u4e00-\u9fff])(?:了[我你他她]?(?:很多|好多|不少|一大笔)|了个|过个|了|过|个|[我你他她]的|人家的|别人的|的)"
                           r"([\u4e00-\u9fff]{1,2})")


@dataclass(frozen=True, slots=True)
class Hit:
    kind: str  # guide | case | law
    ref: str  # guide/case id, or "<law>:<article number>"
    name: str
    score: float
    summary: str = ""


@dataclass(frozen=True, slots=True)
class LookupResult:
    query: str
    hits: list[Hit] = field(default_factory=list)
    confident: bool = False
    # why nothing is offered: "" (see hits), "law:<name>" (a law that is not shipped),
    # "article:<law>:<number>" (a shipped law has no such article), "none" (nothing related)
    uncovered: str = ""

    @property
    def best(self) -> Hit | None:
        return self.hits[0] if self.hits else None


class Query(TypedDict):
    """A question analysed for search (Lookup._query)."""

    text: str
    words: list[str]  # search-mode words: what is scored
    precise: list[str]  # precise-mode words: what coverage counts
    grams: list[str]
    loose: list[str]  # characters no word took
    pinyin: list[str]
    # pinyin bigrams of two neighbouring characters that no word took ("社宝" of "社宝卡"): where a
    # homophone typo of a known word hides that word
    sounds: list[str]
    alts: dict[str, tuple[str, ...]]  # word -> other words for the same thing
    parts: dict[str, tuple[str, ...]]  # word -> the dictionary words inside it


ArticleKey = tuple[str, "int | ArticleNo"]


def story_scale(query: Query) -> float:
    """How many times a document's share of the question counts: n / STORY_WORDS for a story of n
    distinct words, else 1."""
    n = len(set(query["precise"]))
    return n / STORY_WORDS if n > STORY_WORDS else 1.0


def _space_terms(query: Query, space: str) -> list[str]:
    """The query's tokens in one token space."""
    if space == "words":
        return query["words"]
    if space == "grams":
        return query["grams"]
    if space == "pinyin":
        return query["pinyin"]
    raise KeyError(space)


def _short(text: str, limit: int = 80) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _flat(value) -> str:
    if isinstance(value, dict):
        return " ".join(_flat(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return " ".join(_flat(v) for v in value)
    return "" if value is None else str(value)


def _tokens(fields: dict[str, str], an: tx.Analyzer) -> dict[str, dict[str, list[str]]]:
    """field texts -> token space -> field -> tokens (pinyin only for the key field)."""
    return {
        "words": {f: an.words(t) for f, t in fields.items()},
        "grams": {f: tx.bigrams(t) for f, t in fields.items()},
        "pinyin": {"key": an.pinyin_bigrams(fields.get("key", ""))},
    }


def _idf(index: TermIndex, term: str) -> float:
    idf = index.idf_of(term)
    return index.max_idf if idf is None else idf


class _Space:
    """One searchable collection: the same documents indexed in each token space. The guides'
    and cases' space is held in memory; the articles' space (min_idf set, no character
    statistics) may be a FieldIndex or one stored on disk (bot/search/cache.py)."""

    min_idf = 0.0
    key_terms: list[frozenset[str]] | None = None
    chars: list[frozenset[str]] | None = None
    indexes: dict[str, TermIndex]

    @classmethod
    def of_indexes(cls, indexes: Mapping[str, TermIndex], min_idf: float) -> _Space:
        space = cls.__new__(cls)
        space.indexes = dict(indexes)
        space.min_idf = min_idf
        return space

    def __init__(self, docs: list[dict[str, str]], an: tx.Analyzer, spaces=("words", "grams", "pinyin")):
        tokenised = [_tokens(d, an) for d in docs]
        built = {s: FieldIndex([t[s] for t in tokenised], FIELDS) for s in spaces}
        self.indexes = dict(built)
        self.key_terms = [frozenset(t["words"].get("key", ())) for t in tokenised]
        # characters followed / preceded by another inside some word of the content: a typo's
        # neighbour ("仲" of "仲栽" for 仲裁) shows where a known word was meant
        vocab = [w for w in built["words"].idf if len(w) > 1]
        self.leads = frozenset(ch for w in vocab for ch in w[:-1])
        self.trails = frozenset(ch for w in vocab for ch in w[1:])
        self.chars = [frozenset(tx.normalize(" ".join(d.values()))) for d in docs]
        df: dict[str, int] = {}
        for chars in self.chars:
            for ch in chars:
                df[ch] = df.get(ch, 0) + 1
        n = len(docs)
        self.char_idf = {ch: math.log(1 + (n - k + 0.5) / (k + 0.5)) for ch, k in df.items()}
        self.max_char_idf = math.log(1 + (n + 0.5) / 0.5) if n else 1.0

    def scores(self, query: Query) -> dict[int, float]:
        total: dict[int, float] = {}
        min_idf = self.min_idf
        for space, index in self.indexes.items():
            weight = SPACE_WEIGHTS[space]
            for doc, score in bm25_scores(index, _space_terms(query, space), min_idf).items():
                total[doc] = total.get(doc, 0.0) + weight * score
        # other words for the same thing, at a lower weight: a document that lacks the query's own
        # word gets its best-weighted other word; one that has the word gets nothing more
        words = self.indexes["words"]
        asked = set(query["words"])
        for word, alts in query["alts"].items():
            own = dict(words.postings_of(word))
            best: dict[int, float] = {}
            for alt in alts:
                if alt in asked:
                    continue
                for doc, score in words.postings_of(alt):
                    if score > best.get(doc, 0.0):
                        best[doc] = score
            for doc, score in best.items():
                extra = SYNONYM_WEIGHT * score - own.get(doc, 0.0)
                if extra > 0:
                    total[doc] = total.get(doc, 0.0) + extra
        return total

    @staticmethod
    def _word_credit(query: Query, word: str, terms: Container[str]) -> float:
        """How far a document has a query word: itself 1, another word for it or all of its parts
        ("出生" and "证明" for "出生证明") a little less, else 0."""
        if word in terms:
            return 1.0
        if any(a in terms for a in query["alts"].get(word, ())):
            return SYNONYM_CREDIT
        split = query["parts"].get(word)
        if split and all(p in terms for p in split):
            return SYNONYM_CREDIT
        return 0.0

    def in_key(self, query: Query, word: str, doc: int) -> bool:
        """Whether a query word (or another word for it, or all its parts) is in the document's
        key field (a guide's name and aliases, a case's title and keywords)."""
        keys = self.key_terms
        if not keys:
            return False
        return self._word_credit(query, word, keys[doc]) > 0

    def unexplained(self, query: Query, doc: int, an: tx.Analyzer) -> bool:
        """Whether the question has a character that no document has and that is no typo either:
        neither a homophone the document matches by pinyin ("离昏") nor next to a character that
        starts or ends a word of the content there ("仲栽" for 仲裁)."""
        if self.chars is None:
            return False
        unknown = [ch for ch in query["loose"] if ch not in self.char_idf]
        if not unknown:
            return False
        pinyin = self.indexes["pinyin"].terms_of(doc)
        text = tx.normalize(query["text"])
        for ch in unknown:
            if any(gram in pinyin for gram in an.pinyin_bigrams_with(text, ch)):
                continue
            at = text.find(ch)
            if (at > 0 and text[at - 1] in self.leads) or (at + 1 < len(text) and text[at + 1] in self.trails):
                continue
            return True
        return False

    def mishap_elsewhere(self, query: Query, doc: int, intent: Intent, chars: Container[str] | None = None) -> bool:
        """"手机丢了怎么办", "电脑坏了怎么办", "孩子发烧了怎么办": a bare 怎么办 (no how-to, rights
        or law frame) about what happened to someone or something. A document that shares only
        the thing (one word: a case whose story mentions a phone) and lacks what happened to it
        (丢, 坏, 发烧: a character no word took, or another word of the question) answers another
        question. The guides that do handle a loss or a fault (补领身份证) have that word. `chars`:
        the document's characters (an article's text) where the space keeps none."""
        if chars is None and self.chars is not None:
            chars = self.chars[doc]
        if intent.procedure or intent.rights or intent.law or not intent.weak_procedure or chars is None:
            return False
        terms = self.indexes["words"].terms_of(doc)
        words = list(dict.fromkeys(query["precise"]))
        shared = sum(1 for w in words if self._word_credit(query, w, terms))
        missing = [ch for ch in query["loose"] if ch not in chars]
        return shared <= 1 and bool(missing or shared < len(words))

    def shares_word(self, query: Query, doc: int) -> bool:
        """Whether the document has one of the query's own words (precise cut), another word for
        it or all its parts, not only bigrams or a part of a longer word ("天天" in "今天天气")."""
        terms = self.indexes["words"].terms_of(doc)
        if any(self._word_credit(query, w, terms) for w in query["precise"]):
            return True
        # or a homophone typo of a word of its name ("社宝卡" for 社保卡): the pinyin of two
        # neighbouring characters no word took is a syllable pair of the document's key field
        pinyin = self.indexes.get("pinyin")
        return pinyin is not None and any(pinyin.has(doc, sound) for sound in query["sounds"])

    def word_coverage(self, query: Query, doc: int) -> float:
        """Share of the idf mass of the query's words that the document has (see _word_credit)."""
        index = self.indexes["words"]
        terms = index.terms_of(doc)
        total = hit = 0.0
        for word in dict.fromkeys(query["precise"]):
            idf = _idf(index, word)
            total += idf
            hit += idf * self._word_credit(query, word, terms)
        return hit / total if total else 0.0

    def coverage(self, query: Query, doc: int) -> float:
        words = self.word_coverage(query, doc) if query["precise"] else 0.0
        grams = matched(self.indexes["grams"], query["grams"], doc) if query["grams"] else 0.0
        best = max(words, grams)
        best = min(1.0, best * story_scale(query))
        loose = query["loose"]
        chars = self.chars
        if not loose or chars is None:
            return best
        # characters no word took: a rare one the document lacks is a part of the question it
        # does not answer; common ones (生, 上) weigh next to nothing
        missing = sum(self.char_idf.get(ch, self.max_char_idf) for ch in dict.fromkeys(loose) if ch not in chars[doc])
        terms = query["precise"] or query["grams"]
        index = self.indexes["words"] if query["precise"] else self.indexes["grams"]
        mass = sum(_idf(index, t) for t in dict.fromkeys(terms))
        return best * mass / (mass + missing) if mass + missing else best


class SearchIndex:
    """What a lookup searches: the analyzer (dictionary with the content's words), the guides'
    and cases' space, and the articles' space. Built from a catalog here (the articles' space on
    first use), or read from a cache file (bot/search/cache.py) with the same contents."""

    analyzer: tx.Analyzer
    topics: list[Hit]
    topic_space: _Space
    topic_cites: list[frozenset[ArticleKey]]
    pays_out: list[bool]
    article_count: int
    # set when built from a catalog (a stored index has its articles' space already)
    catalog: Catalog
    freq_table: dict[str, int]
    articles: list[Article]
    cited_by: dict[ArticleKey, list[str]]
    _law_space: _Space | None
    _law_lock: threading.Lock

    @classmethod
    def build(cls, catalog: Catalog) -> SearchIndex:
        index = cls.__new__(cls)
        index.catalog = catalog
        segmenter, index.freq_table = tx.Segmenter.from_jieba(tx.domain_words(domain_words(catalog)))
        index.analyzer = tx.Analyzer(segmenter, tx.PinyinReadings())
        index.topics = []
        topic_docs: list[dict[str, str]] = []
        index.topic_cites = []
        cited_by: dict[ArticleKey, list[str]] = {}
        for guide in catalog.services.values():
            d = guide.data
            index.topics.append(Hit("guide", guide.id, guide.name, 0.0, _short(d.get("audience", ""))))
            topic_docs.append({
                "key": " ".join([guide.name, *guide.aliases]),
                "mid": " ".join([guide.category, _flat(d.get("audience")), _flat(d.get("bundle"))]),
                # many guides list the same hotlines (12348, 12345): a weak signal of what one is about
                "body": " ".join(_flat(d.get(k)) for k in ("conditions", "materials", "steps", "time_limit", "fee",
                                                           "hotline")),
            })
            index.topic_cites.append(frozenset((c.law, c.article) for c in guide.cites))
            for c in guide.cites:
                cited_by.setdefault((c.law, c.article), []).extend([guide.name, *guide.aliases])
        for case in catalog.cases.values():
            index.topics.append(Hit("case", case.id, case.title, 0.0, _short(case.question)))
            topic_docs.append({
                "key": " ".join([case.title, *case.keywords]),
                "mid": " ".join([case.question, case.takeaway, case.topic]),
                "body": " ".join([case.facts, case.analysis]),
            })
            index.topic_cites.append(frozenset((c.law, c.article) for c in case.cites))
            for c in case.cites:
                cited_by.setdefault((c.law, c.article), []).extend(case.keywords)
        index.topic_space = _Space(topic_docs, index.analyzer)
        index.pays_out = [hit.kind == "guide" and pays_out(hit.name) for hit in index.topics]
        index.articles = [a for law in catalog.laws.laws.values() for a in law.articles.values()]
        index.article_count = len(index.articles)
        index.cited_by = cited_by
        index._law_space = None
        index._law_lock = threading.Lock()
        return index

    def law_space(self) -> _Space:
        """The article index: built on first use (every article of every shipped law)."""
        if self._law_space is None:
            with self._law_lock:
                if self._law_space is None:
                    an = self.analyzer
                    docs = [{
                        "key": a.law,
                        "mid": a.chapter,
                        "cited": " ".join(self.cited_by.get((a.law, a.number), [])),
                        "body": a.body,
                    } for a in self.articles]
                    tokenised = [{"words": {f: an.words(t) for f, t in d.items()},
                                  "grams": {f: tx.bigrams(t) for f, t in d.items()}} for d in docs]
                    indexes = {s: FieldIndex([t[s] for t in tokenised], LAW_FIELDS) for s in ("words", "grams")}
                    self._law_space = _Space.of_indexes(indexes, LAW_MIN_IDF)
        return self._law_space

    def article_hit(self, i: int, score: float) -> Hit:
        return article_hit(self.articles[i], score)

    def article_body(self, i: int) -> str:
        """The article's text without its label, normalised (for phrase matching)."""
        return tx.normalize(self.articles[i].body)


def article_hit(article: Article, score: float) -> Hit:
    return Hit("law", f"{article.law}:{article.number}", f"《{article.law}》{article.label}", score,
               _short(article.body, 60))


def domain_words(catalog: Catalog) -> list[str]:
    """Words the dictionary must keep whole: law names, synonym groups, guide names, and the
    aliases and case keywords that are terms rather than phrases."""
    out = list(catalog.laws.names()) + synonyms.all_words() + [g.name for g in catalog.services.values()]
    # aliases and keywords are often phrases ("公司不交社保", "失业了要登记吗"): kept whole by
    # jieba they would match only questions worded exactly so, and hide their words
    phrases = [a for g in catalog.services.values() for a in g.aliases] + [k for case in catalog.cases.values()
                                                                          for k in case.keywords]
    return out + [p for p in phrases if tx.is_term(p)]


class Lookup:
    """Answers questions from a SearchIndex; `laws` resolves article references ("民法典 1254")."""

    def __init__(self, catalog: Catalog | None = None, *, index: SearchIndex | None = None,
                 laws: LawLibrary | None = None):
        if index is None:
            if catalog is None:
                raise ValueError("a catalog or an index is needed")
            index = SearchIndex.build(catalog)
        self.catalog = catalog
        self.laws = laws if laws is not None else catalog.laws  # type: ignore[union-attr]
        self.index = index
        self.an = index.analyzer
        self._topics = index.topics
        self._topic_space = index.topic_space
        self._topic_cites = index.topic_cites
        self._pays_out = index.pays_out

    def _laws(self) -> _Space:
        return self.index.law_space()

    def warm_up(self) -> None:
        self.an.warm_up()
        self._laws()
        self.search("预热 孩子出生", 3)

    def _query(self, text: str) -> Query:
        an = self.an
        # a bare number ("月收入三千", "三十八度") is a detail of the story, not what it is about: like
        # an amount with its unit (intent.AMOUNT_RE) it is no word of the question
        precise = [w for w in an.precise_words(text) if not NUMBER_RE.fullmatch(w)]
        words = [w for w in an.words(text) if not NUMBER_RE.fullmatch(w)]
        grams = [g for g in tx.query_bigrams(text) if not NUMBER_RE.fullmatch(g)]
        # a two-character word with a function character in it ("小时", "时间", "上班") is a
        # bigram of the texts that have it, though query_bigrams leaves such bigrams out
        grams += [w for w in dict.fromkeys(words) if len(w) == 2 and w not in grams and tx._HAN_RE.match(w)]
        loose = an.loose_chars(text)
        # a character with other words for it ("爸": 父亲, "娃": 孩子) is a word of the question,
        # not a character the content may lack
        spoken = [ch for ch in loose if synonyms.alternatives(ch)]
        if spoken:
            precise = precise + spoken
            loose = [ch for ch in loose if ch not in spoken]
        # a function character that jieba joined to such a word ("还吵" of "半夜还吵得睡不着"), when
        # the content has no such word: the word is the character alone
        known = self._topic_space.indexes["words"]
        glued = {w: w[1] for w in precise if len(w) == 2 and w[0] in tx.STOP_CHARS and known.idf_of(w) is None
                 and (synonyms.alternatives(w[1]) or w[1] in tx.SINGLE_OK)}
        if glued:
            precise = [glued.get(w, w) for w in precise]
            words = words + list(glued.values())
        norm = tx.normalize(text)
        sounds = [f"{an.reading(a)} {an.reading(b)}" for a, b in itertools.pairwise(norm)
                  if a in loose and b in loose and a != b]
        return {"text": text, "words": words, "precise": precise, "grams": grams,
                "loose": loose, "pinyin": an.query_pinyin_bigrams(text), "sounds": sounds,
                "alts": {w: alts for w in precise if (alts := synonyms.alternatives(w))},
                "parts": {w: split for w in precise if (split := an.parts(w))}}

    def _joined(self, text: str) -> str:
        """A verb and its object with 了/过/个 or a "my"/"his" between them, joined when the content
        has them as one word ("离了婚" -> "离婚", "报个警" -> "报警", "造我的谣" -> "造谣"): jieba
        reads "离了婚" as a word of its own that no guide or case uses."""
        words = self._topic_space.indexes["words"]

        def join(m: re.Match) -> str:
            verb, rest = m.group(1), m.group(2)
            for n in (2, 1):
                if len(rest) >= n and (words.idf_of(verb + rest[:n]) is not None
                                       or synonyms.alternatives(verb + rest[:n])):
                    return verb + rest
            return m.group(0)

        return SPLIT_VERB_RE.sub(join, text)

    def _article_hit(self, i: int, score: float) -> Hit:
        return self.index.article_hit(i, score)

    def search_laws(self, query: str, limit: int = 10) -> list[Hit]:
        """Keyword search across all shipped laws, ranked."""
        q = self._query(query)
        space = self._laws()
        ranked = sorted(space.scores(q).items(), key=lambda item: (-item[1], item[0]))
        # the words as typed, together ("醉酒驾驶"), as in a find-in-text: the articles that have
        # the phrase itself come first (by score), then those that have its words apart
        phrases = [run for run in tx.runs(tx.normalize(query)) if len(run) >= 3 and tx._HAN_RE.match(run)]
        if phrases:
            having = self._articles_with(phrases)
            if having:
                scored = dict(ranked)
                first = sorted(((scored.get(i, 0.0), i) for i in having), key=lambda item: (-item[0], item[1]))
                ranked = [(i, s) for s, i in first] + [(i, s) for i, s in ranked if i not in having]
        ranked = ranked[:limit]
        # an article that shares only a stray word with the query is not offered
        return [self._article_hit(i, round(s, 2)) for i, s in ranked
                if space.coverage(q, i) >= MIN_COVERAGE * 1.5]

    def _articles_with(self, phrases: list[str]) -> set[int]:
        """Articles whose text has every phrase (candidates from the bigram postings, then
        checked in the text); at most PHRASE_POOL are checked."""
        grams = self._laws().indexes["grams"]
        found: set[int] | None = None
        for phrase in phrases:
            for gram in tx.bigrams(phrase):
                docs = {doc for doc, _ in grams.postings_of(gram)}
                found = docs if found is None else found & docs
                if not found:
                    return set()
        candidates = sorted(found or ())[:PHRASE_POOL]
        return {i for i in candidates if all(p in self.index.article_body(i) for p in phrases)}

    def _same_topic_first(self, scored: list, wanted: str, q: Query) -> None:
        """Put the wanted kind (guide for a how-to question, case for a rights question) first
        when the top hit is the other kind and one of the wanted kind scores well and is on the
        same topic: it cites an article the top hit cites, or its name or aliases (a case's title
        or keywords) have a word of the question the top hit's do not."""
        if wanted not in ("guide", "case") or not scored:
            return
        top_score, top_i, top_hit, _ = scored[0]
        if top_hit.kind == wanted or top_hit.kind == "law":
            return
        cites = self._topic_cites[top_i]
        space = self._topic_space
        top_named = {w for w in q["precise"] if space.in_key(q, w, top_i)}
        for pos, (score, i, hit, _) in enumerate(scored[1:], 1):
            if score < SAME_TOPIC_SHARE * top_score:
                return
            if hit.kind != wanted:
                continue
            if self._topic_cites[i] & cites or any(
                    w not in top_named and space.in_key(q, w, i) for w in q["precise"]):
                scored.insert(0, scored.pop(pos))
                return

    def search(self, query: str, limit: int = 5, kinds: tuple[str, ...] = KINDS) -> LookupResult:
        query = query.strip()
        if not query:
            return LookupResult(query)
        ref = parse_ref(self.laws, query)
        if ref and "law" in kinds:
            if ref.law and ref.number in ref.law.articles:
                hit = article_hit(ref.law.articles[ref.number], 100.0)
                return LookupResult(query, [hit], True)
            if ref.law and ref.number is not None:
                return LookupResult(query, [], False, f"article:{ref.law.short_name}:{ref.number}")
            if ref.law is None:
                return LookupResult(query, [], False, f"law:{ref.name}")
        intent = detect(query)
        if not intent.law and "law" in kinds and named_first(self.laws, query) is not None:
            intent = replace(intent, law=True)  # "行政诉讼法复议完了多少天内能起诉"
        if intent.opinion:  # which product or dish is good: no guide, case or article says
            return LookupResult(query, [], False, "none")
        if intent.kind in ("guide", "case"):
            boost = {intent.kind: INTENT_BOOST}
        else:
            boost = {intent.lean: LEAN_BOOST} if intent.lean in ("guide", "case") else {}
        q = self._query(self._joined(topic(query, self.an)))
        scored: list[tuple[float, int, Hit, float]] = []
        topic_scores = self._topic_space.scores(q)
        ask = self._ask_words(query, story_scale(q) > 1.0) if len(set(q["precise"])) >= 5 else []
        # the strongest candidates are weighed by how much of the question they cover: one that
        # has every word of it beats one that has a rare word of it many times
        strongest = heapq.nlargest(RERANK, topic_scores.items(), key=lambda item: item[1])
        for i, score in strongest:
            base = self._topics[i]
            if base.kind in kinds:
                cover = self._topic_space.coverage(q, i)
                weight = boost.get(base.kind, 1.0) * (COORD_FLOOR + (1 - COORD_FLOOR) * cover)
                if intent.benefit and base.kind == "guide" and self._pays_out[i]:
                    weight *= BENEFIT_BOOST
                if ask and any(self._topic_space.in_key(q, w, i) for w in ask):
                    weight *= ASK_BOOST
                scored.append((score * weight, i, base, cover))
        if "law" in kinds:
            prior = 1.0 if intent.law else LAW_PRIOR
            space = self._laws()
            article_scores = space.scores(q)
            if intent.law:  # the articles a statute question asks for, weighed by their coverage of it
                pool = heapq.nlargest(LAW_POOL, article_scores.items(), key=lambda item: item[1])
                law_scores = heapq.nlargest(limit, ((i, score * (COORD_FLOOR + (1 - COORD_FLOOR) * space.coverage(q, i)))
                                                    for i, score in pool), key=lambda item: item[1])
            else:
                law_scores = heapq.nlargest(limit, article_scores.items(), key=lambda item: item[1])
            if asks_time_limit(query):
                law_scores = [(i, score * PERSON_LIMIT_BOOST if sets_person_limit(self.index.article_body(i)) else score)
                              for i, score in law_scores]
            for i, score in law_scores:
                scored.append((score * prior, len(self._topics) + i, self._article_hit(i, 0.0), -2.0))
        scored.sort(key=lambda item: (-item[0], item[1]))
        self._same_topic_first(scored, intent.kind, q)
        scored = self._related_articles_first(q, scored) if intent.law else _few_articles_in_front(scored)
        if intent.kind != "case" and not intent.law:
            scored = _a_guide_among_the_first(scored, intent.kind == "guide")
        hits = [Hit(h.kind, h.ref, h.name, round(s, 2), h.summary) for s, _, h, _ in scored[:limit]]
        confident, related = self._verdict(q, scored, intent) if scored else (False, False)
        if not confident and not related:
            return LookupResult(query, hits, False, "none")
        return LookupResult(query, hits, confident, "" if hits else "none")

    def _ask_words(self, query: str, story: bool = True) -> list[str]:
        """The words of a story's last clause (what the asker wants after telling what happened),
        without its frames; none when the question is one clause. In a shorter question, what
        follows its last 想/想要/打算 ("…吵了好几年想找村委会给调一调")."""
        clauses = [c for c in CLAUSE_RE.split(query) if c.strip()]
        if len(clauses) >= 2 and story:
            last = clauses[-1]
        else:
            wishes = list(WISH_RE.finditer(query))
            if not wishes or wishes[-1].start() < 4:
                return []
            last = query[wishes[-1].end():]
        return list(dict.fromkeys(self.an.precise_words(self._joined(topic(last, self.an)))))

    def _related_articles_first(self, q: Query, scored: list) -> list:
        """A question that asks for the statute gets the best two articles first when the best
        is related to it (covers LAW_RELATED) and scores ARTICLE_MARGIN times the next article;
        the rest follow in score order."""
        articles = [item for item in scored if item[2].kind == "law"]
        if not articles or self._cover(q, articles[0][1]) < LAW_RELATED:
            return scored
        if len(articles) > 1 and articles[0][0] < ARTICLE_MARGIN * articles[1][0]:
            return scored  # no article stands out: the guide or case (citing them) answers first
        # two articles at most, then the rest in score order: the best guide or case (which may
        # be what was meant) usually stays among the first three
        first = articles[:FRONT - 1]
        return first + [item for item in scored if item not in first]

    def _verdict(self, q: Query, scored: list, intent: Intent | None = None) -> tuple[bool, bool]:
        """(confident in the first hit, any of the first three related to the question)."""
        top_score, top_i = scored[0][0], scored[0][1]
        covers = [self._cover(q, i) for _, i, _, _ in scored[:3]]
        cover = covers[0]
        topics = self._topic_space
        is_topic = top_i < len(self._topics)
        # an article first for a question that does not ask for the statute: no guide or case
        # answers it well, so a fair score is not enough
        fair = is_topic or (intent is not None and intent.law)
        confident = cover >= MIN_COVERAGE and (top_score >= CONFIDENT_SCORE
                                               or (fair and top_score >= FAIR_SCORE and cover >= FAIR_COVERAGE))
        if (not confident and is_topic and cover >= CLEAR_COVERAGE and top_score >= CONFIDENT_SCORE
                and top_score >= CLEAR_LEAD * max((s for s, i, _, _ in scored[1:] if i != top_i), default=0.0)):
            confident = True  # far ahead of every other candidate, though the question has many details
        if is_topic and q["precise"] and all(topics.in_key(q, w, top_i) for w in q["precise"]):
            confident = True  # every word of the question is in the guide's or case's name or aliases
        if confident and is_topic and not topics.shares_word(q, top_i):
            confident = False  # only bigrams or word parts in common: not sure enough
        if confident and is_topic and intent is not None and topics.mishap_elsewhere(q, top_i, intent):
            confident = False
        if confident and not is_topic and intent is not None:
            article = top_i - len(self._topics)
            if self._laws().mishap_elsewhere(q, article, intent, self.index.article_body(article)):
                confident = False
        related = any(topics.shares_word(q, i) if i < len(self._topics) else c >= LAW_RELATED
                      for (_, i, _, _), c in zip(scored[:3], covers, strict=False)) and max(covers) >= NONE_COVERAGE
        # a character no guide, case or keyword has (and no typo of a known word, by pinyin):
        # the question is about something the content does not cover, unless the hit covers most
        # of it anyway
        if (is_topic and cover < STRICT_COVERAGE and len(set(q["precise"])) <= DETAIL_WORDS
                and top_score < STRONG_SCORE
                and topics.unexplained(q, top_i, self.an)):
            confident = related = False
        # advice (a knack, how hard, which style: intent.ADVICE_RE) that the hit answers only in
        # part: it shares a word with the question ("考驾照", "装修"), not what is asked. A guide or
        # case named by every other word of it stays ("申请低保有什么窍门": the 低保 guide)
        if (intent is not None and intent.advice and cover < STRICT_COVERAGE
                and not (is_topic and all(topics.in_key(q, w, top_i) for w in q["precise"] if not ADVICE_RE.search(w)))):
            confident = related = False
        return confident, related

    def _cover(self, q: Query, i: int) -> float:
        """Coverage of the query by a scored entry (topics first, then articles)."""
        if i >= len(self._topics):
            return self._laws().coverage(q, i - len(self._topics))
        return self._topic_space.coverage(q, i)


def _few_articles_in_front(scored: list) -> list:
    """At most FRONT_ARTICLES articles among the first FRONT entries (the others follow them):
    a question that does not ask for the statute gets guides and cases to choose from first."""
    front: list = []
    later: list = []
    articles = 0
    for pos, item in enumerate(scored):
        if len(front) == FRONT:
            return front + later + scored[pos:]
        if item[2].kind == "law":
            if articles == FRONT_ARTICLES:
                later.append(item)
                continue
            articles += 1
        front.append(item)
    return front + later


def _a_guide_among_the_first(scored: list, how_to: bool) -> list:
    """For a question that asks neither whether something is lawful nor for the statute: when two
    cases are among the first three and the third is one of them, the third gives way to the best
    guide after them that scores GUIDE_SHARE of the first (a resident telling what happened to them
    may want to know where to take it); for a how-to question, every case after the first there
    gives way so. The cases move down, in their order."""
    front, rest = list(scored[:FRONT]), list(scored[FRONT:])
    if len(front) < FRONT:
        return scored
    for _ in range(FRONT):
        cases = [pos for pos, item in enumerate(front) if item[2].kind == "case"]
        if len(cases) < 2 or not (how_to or cases[-1] == FRONT - 1):
            break
        guide = next((item for item in rest[:RERANK] if item[2].kind == "guide"), None)
        if guide is None or guide[0] < GUIDE_SHARE * front[0][0]:
            break
        rest.remove(guide)
        rest.insert(0, front.pop(cases[-1]))
        front.append(guide)
        if not how_to:
            break
    return front + rest


_CACHE: dict[int, Lookup] = {}
_CACHE_LOCK = threading.Lock()
_PREPARING: dict[int, Future] = {}


def _forget_in_child() -> None:
    """A forked child has no thread preparing an index: a future still pending would never end."""
    global _CACHE_LOCK
    _CACHE_LOCK = threading.Lock()
    for key, future in list(_PREPARING.items()):
        if not future.done():
            del _PREPARING[key]


os.register_at_fork(after_in_child=_forget_in_child)


def lookup_for(catalog: Catalog) -> Lookup:
    """One Lookup per loaded catalog (content is loaded once per process): the one prepared at
    start-up (prepare_lookup, from the index cache; waited for if still loading), else one built
    in memory on first use."""
    key = id(catalog)
    preparing = _PREPARING.get(key)
    if preparing is not None and not preparing.done():
        try:
            preparing.result()
        except Exception:  # noqa: BLE001 (logged by the preparing thread; built in memory below)
            pass
    with _CACHE_LOCK:
        found = _CACHE.get(key)
        if found is None or found.catalog is not catalog:
            found = _CACHE[key] = Lookup(catalog)
        return found


async def lookup_ready(catalog: Catalog) -> Lookup:
    """lookup_for, awaiting (not blocking the event loop) an index still being prepared."""
    preparing = _PREPARING.get(id(catalog))
    if preparing is not None and not preparing.done():
        import asyncio

        try:
            await asyncio.wrap_future(preparing)
        except Exception:  # noqa: BLE001 (logged by the preparing thread; lookup_for builds it in memory)
            pass
    return lookup_for(catalog)


def prepare_lookup(catalog: Catalog, cache_dir=None) -> str:
    """Make the catalog's Lookup ready before the first question: its index read from the cache
    folder (or built and stored there; in memory when cache_dir is None), dictionaries loaded.
    Slow on a cache miss: call it off the event loop. Returns "hit", "built" or "memory"."""
    from bot.search.cache import cached_lookup

    lookup, how = cached_lookup(catalog, cache_dir)
    if how == "built":  # answered from the file now: drop the build's dictionaries (~100 MB)
        tx.release_build_tables()
    lookup.warm_up()
    with _CACHE_LOCK:
        _CACHE[id(catalog)] = lookup
    return how


def start_preparing(catalog: Catalog, cache_dir=None) -> Future:
    """prepare_lookup in a background thread, started now (a bot at start-up): the process goes
    on starting; a question that arrives before the index is ready waits for it (lookup_ready)."""
    future: Future = Future()

    def run() -> None:
        try:
            how = prepare_lookup(catalog, cache_dir)
            log.info("search index ready (%s)", how)
            future.set_result(how)
        except BaseException as exc:  # the lookup falls back to an index built in memory
            log.exception("search index could not be prepared")
            future.set_exception(exc)

    with _CACHE_LOCK:
        _PREPARING[id(catalog)] = future
    threading.Thread(target=run, name="search-index", daemon=True).start()
    return future
