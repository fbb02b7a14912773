"""`lawbot content check`: every content rule, reported as file:line: reason."""

from __future__ import annotations

import re
from pathlib import Path

from bot.catalog.catalog import Catalog, load_catalog
from bot.catalog.laws import LawLibrary
from bot.catalog.questions import Problem
from bot.domain.exam_rules import check_blueprint
from bot.domain.models import Citation, Question

QUOTE_RE = re.compile(r"“([^”]+)”|「([^」]+)」")
_NOISE_RE = re.compile(r"[\s，。、；：！？,.;:!?（）()“”「」《》\"'…—-]+")
NEAR_DUPLICATE = 0.9


def _norm(text: str) -> str:
    return _NOISE_RE.sub("", text)


def unquoted_spans(text: str, cites: tuple[Citation, ...] | list[Citation], laws: LawLibrary) -> list[str]:
    """Quoted spans in text that occur in none of the cited articles."""
    sources = [_norm(a.text) for c in cites if (a := laws.article(c.law, c.article))]
    missing = []
    for match in QUOTE_RE.finditer(text):
        span = match.group(1) or match.group(2)
        if _norm(span) and not any(_norm(span) in src for src in sources):
            missing.append(span)
    return missing


def _bigrams(text: str) -> frozenset[str]:
    text = _norm(text)
    return frozenset(text[i:i + 2] for i in range(len(text) - 1)) or frozenset({text})


def near_duplicates(questions: list[Question], threshold: float = NEAR_DUPLICATE) -> list[tuple[Question, Question, float]]:
    """Pairs of stems whose character-bigram Jaccard similarity reaches the threshold."""
    grams = [(q, _bigrams(q.stem)) for q in questions]
    index: dict[str, list[int]] = {}
    pairs = []
    for i, (q, g) in enumerate(grams):
        candidates: dict[int, int] = {}
        for gram in g:
            for j in index.get(gram, ()):
                candidates[j] = candidates.get(j, 0) + 1
        for j, shared in candidates.items():
            other, og = grams[j]
            similarity = shared / len(g | og)
            if similarity >= threshold:
                pairs.append((other, q, similarity))
        for gram in g:
            index.setdefault(gram, []).append(i)
    return pairs


def _split(origin: str) -> tuple[str, int]:
    path, _, line = origin.rpartition(":")
    return path, int(line or 0)


def semantic_problems(catalog: Catalog) -> list[Problem]:
    problems: list[Problem] = []
    for q in catalog.questions.values():
        for span in unquoted_spans(q.explanation, [q.cite], catalog.laws):
            problems.append(Problem(*_split(q.origin), f"{q.id}: explanation quotes “{span}”, "
                                    f"which is not in {q.cite.law} article {q.cite.article}"))
    for a, b, similarity in near_duplicates(catalog.question_list):
        problems.append(Problem(*_split(b.origin), f"{b.id}: stem nearly duplicates {a.id} "
                                f"({a.origin}, similarity {similarity:.2f})"))
    for exam in catalog.exams.values():
        for reason in check_blueprint(exam, catalog.question_list):
            problems.append(Problem(*_split(exam.origin), f"exam {exam.id}: {reason}"))
    for case in catalog.cases.values():
        for span in unquoted_spans(case.analysis, case.cites, catalog.laws):
            problems.append(Problem(*_split(case.origin), f"case {case.id}: analysis quotes “{span}”, "
                                    f"which is in none of its cited articles"))
        for qid in case.quiz:
            if qid not in catalog.questions:
                problems.append(Problem(*_split(case.origin), f"case {case.id}: quiz question {qid} not in the bank"))
        if not 2 <= len(case.quiz) <= 3:
            problems.append(Problem(*_split(case.origin), f"case {case.id}: needs 2 or 3 quiz questions"))
    return problems


def check_content(root: Path) -> tuple[Catalog, list[Problem]]:
    catalog, problems = load_catalog(root)
    return catalog, problems + semantic_problems(catalog)
