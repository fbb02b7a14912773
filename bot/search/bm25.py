"""BM25F over pre-tokenised fields, with each document's term weights computed at build time.

Written here rather than taken from rank-bm25 because lookup needs field weights (a word in a
guide's name counts more than the same word in its steps) and sparse scoring: rank-bm25 scores
every document for every query term with numpy, while the documents here are static, so the
saturated weight of each (term, document) pair is computed once and a query only walks the
postings of its own terms (a few hundred additions).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Container, Iterable
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    weight: float


class TermIndex(Protocol):
    """What scoring reads from an index: a FieldIndex in memory or one stored on disk."""

    size: int
    max_idf: float

    def idf_of(self, term: str) -> float | None: ...

    def postings_of(self, term: str) -> Iterable[tuple[int, float]]: ...

    def has(self, doc: int, term: str) -> bool: ...

    def terms_of(self, doc: int) -> Container[str]: ...


class FieldIndex:
    """Documents are dicts field name -> token list; fields not listed in `fields` are ignored."""

    def __init__(self, docs: list[dict[str, list[str]]], fields: list[Field], k1: float = 1.2, b: float = 0.75):
        self.size = len(docs)
        avg = {f.name: (sum(len(d.get(f.name, ())) for d in docs) / self.size if self.size else 0.0) or 1.0
               for f in fields}
        pseudo: list[dict[str, float]] = []
        df: Counter[str] = Counter()
        for doc in docs:
            tf: dict[str, float] = {}
            for f in fields:
                tokens = doc.get(f.name, ())
                if not tokens:
                    continue
                norm = 1 - b + b * len(tokens) / avg[f.name]
                for term, count in Counter(tokens).items():
                    tf[term] = tf.get(term, 0.0) + f.weight * count / norm
            pseudo.append(tf)
            df.update(tf.keys())
        self.idf = {t: math.log(1 + (self.size - n + 0.5) / (n + 0.5)) for t, n in df.items()}
        self.max_idf = math.log(1 + (self.size + 0.5) / 0.5) if self.size else 1.0
        self.doc_terms = [frozenset(tf) for tf in pseudo]
        self.postings: dict[str, list[tuple[int, float]]] = {}
        for i, tf in enumerate(pseudo):
            for term, value in tf.items():
                self.postings.setdefault(term, []).append((i, self.idf[term] * value * (k1 + 1) / (value + k1)))

    def idf_of(self, term: str) -> float | None:
        return self.idf.get(term)

    def postings_of(self, term: str) -> Iterable[tuple[int, float]]:
        """(document, weight) pairs of a term, in document order."""
        return self.postings.get(term, ())

    def has(self, doc: int, term: str) -> bool:
        return term in self.doc_terms[doc]

    def terms_of(self, doc: int) -> frozenset[str]:
        return self.doc_terms[doc]

    def scores(self, terms: list[str], min_idf: float = 0.0) -> dict[int, float]:
        return scores(self, terms, min_idf)

    def matched(self, terms: list[str], doc: int) -> float:
        return matched(self, terms, doc)


def scores(index: TermIndex, terms: list[str], min_idf: float = 0.0) -> dict[int, float]:
    """Summed BM25F score per matching document (each distinct query term counts once).
    Terms with an idf under min_idf (in a large share of the documents) are skipped: they
    add little to any one document and cost a walk over a long postings list. `index` is a
    FieldIndex or one stored on disk (bot/search/cache.py): the same arithmetic either way."""
    out: dict[int, float] = {}
    for term in dict.fromkeys(terms):
        if min_idf:
            idf = index.idf_of(term)
            if idf is not None and idf < min_idf:
                continue
        for doc, weight in index.postings_of(term):
            out[doc] = out.get(doc, 0.0) + weight
    return out


def matched(index: TermIndex, terms: list[str], doc: int) -> float:
    """Share of the query's idf mass that this document contains (unknown terms count fully)."""
    total = hit = 0.0
    for term in dict.fromkeys(terms):
        idf = index.idf_of(term)
        if idf is None:
            idf = index.max_idf
        total += idf
        if index.has(doc, term):
            hit += idf
    return hit / total if total else 0.0
