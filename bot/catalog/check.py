"""`lawbot content check`: every content rule, reported as file:line: reason."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from bot.catalog.catalog import Catalog, load_catalog
from bot.catalog.guide_rules import guide_problems
from bot.catalog.laws import LawLibrary
from bot.catalog.questions import Problem
from bot.domain.exam_rules import check_blueprint
from bot.domain.models import CHOICE_TYPES, Citation, Question
from bot.domain.numerals import ArticleNo

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
    """Pairs (earlier, later, similarity) of stems whose character-bigram Jaccard similarity
    reaches the threshold, ordered by the later stem, then the earlier.

    Exact, by prefix filtering (Bayardo, Ma & Srikant, "Scaling up all pairs similarity search",
    2007): put each stem's bigrams in one global order, rarest first. If J(x, y) >= t then x and y
    share at least floor(t * |x|) bigrams, so the first |x| - floor(t * |x|) + 1 bigrams of x
    meet the first ones of y. Only those prefixes (4 of a 28-character stem's 27 bigrams at
    t = 0.9) are indexed, and every candidate pair is verified with the exact formula."""
    rarity = _rarity_order(questions)
    sizes: list[int] = []
    index: dict[str, list[int]] = {}
    pairs = []
    for i, q in enumerate(questions):
        grams = _bigrams(q.stem)
        size = len(grams)
        prefix = sorted(grams, key=rarity)[:size - math.floor(threshold * size) + 1]
        candidates = {j for gram in prefix for j in index.get(gram, ())}
        for j in sorted(candidates):
            # J <= min/max, so this skips no pair that reaches the threshold
            if min(size, sizes[j]) / max(size, sizes[j]) < threshold:
                continue
            other = questions[j]
            other_grams = _bigrams(other.stem)
            similarity = len(grams & other_grams) / len(grams | other_grams)
            if similarity >= threshold:
                pairs.append((other, q, similarity))
        sizes.append(size)
        for gram in prefix:
            index.setdefault(gram, []).append(i)
    return pairs


def _rarity_order(questions: list[Question], sample: int = 5000) -> Callable[[str], tuple[int, str]]:
    """A sort key putting rare bigrams first. Any fixed order keeps near_duplicates exact; counting
    in an even sample of stems (not all, which costs ~130 MB for 50,000 stems) keeps common
    bigrams such as 下列 or 规定 out of the indexed prefixes."""
    counts: Counter[str] = Counter()
    for q in questions[::max(1, len(questions) // sample)]:
        counts.update(_bigrams(q.stem))
    return lambda gram: (counts[gram], gram)


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
        for reason in check_blueprint(exam, catalog.exam_questions(exam)):
            problems.append(Problem(*_split(exam.origin), f"exam {exam.id}: {reason}"))
    for case in catalog.cases.values():
        for span in unquoted_spans(case.analysis, case.cites, catalog.laws):
            problems.append(Problem(*_split(case.origin), f"case {case.id}: analysis quotes “{span}”, "
                                    f"which is in none of its cited articles"))
        for qid in case.quiz:
            if qid not in catalog.questions:
                problems.append(Problem(*_split(case.origin), f"case {case.id}: quiz question {qid} not in the bank"))
            elif catalog.questions[qid].type not in CHOICE_TYPES or catalog.questions[qid].parent:
                problems.append(Problem(*_split(case.origin), f"case {case.id}: quiz question {qid} must be a "
                                        f"single, multiple or judge question of its own"))
        if not 2 <= len(case.quiz) <= 3:
            problems.append(Problem(*_split(case.origin), f"case {case.id}: needs 2 or 3 quiz questions"))
    problems += guide_problems(list(catalog.services.values()), catalog.laws)
    return problems


def stale_citations(catalog: Catalog) -> list[tuple[Problem, str, int | ArticleNo]]:
    """Every question, case and guide citing a text known to be out of date (status.yaml), as
    (where, law, article): warnings, not failures; the exams leave these questions out unless
    they say include_stale_laws."""
    stale = catalog.laws.stale_names()
    found: list[tuple[Problem, str, int | ArticleNo]] = []
    for q in catalog.questions.values():
        if q.cite.law in stale:
            found.append((Problem(*_split(q.origin), f"question {q.id}"), q.cite.law, q.cite.article))
    for kind, items in (("case", catalog.cases.values()), ("guide", catalog.services.values())):
        for item in items:
            for c in item.cites:
                if c.law in stale:
                    found.append((Problem(*_split(item.origin), f"{kind} {item.id}"), c.law, c.article))
    return found


def check_content(root: Path) -> tuple[Catalog, list[Problem]]:
    catalog, problems = load_catalog(root)
    return catalog, problems + semantic_problems(catalog)
