"""Mock and official exam rules: drawing a paper, timing and grading."""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from bot.domain.models import Attempt, BlueprintItem, ExamDefinition, PaperItem, QType, Question


class PaperError(ValueError):
    """The bank cannot satisfy a blueprint."""


def eligible(questions: Iterable[Question], qtype: QType, tags: tuple[str, ...]) -> list[Question]:
    wanted = set(tags)
    return [q for q in questions if q.type is qtype and not q.parent and (not wanted or wanted & set(q.tags))]


def blueprint_shortfalls(definition: ExamDefinition, questions: list[Question]) -> list[tuple[BlueprintItem, int]]:
    """The blueprint lines the bank cannot fill, each with how many questions the bank has for it."""
    short = []
    for item in definition.blueprint:
        have = len(eligible(questions, item.type, item.tags))
        if have < item.count:
            short.append((item, have))
    return short


def check_blueprint(definition: ExamDefinition, questions: list[Question]) -> list[str]:
    """Reasons the bank cannot fill the blueprint (empty when it can)."""
    problems = []
    for item, have in blueprint_shortfalls(definition, questions):
        tags = f" tagged {'/'.join(item.tags)}" if item.tags else ""
        problems.append(
            f"blueprint needs {item.count} {item.type.value} questions{tags}, the bank has {have}"
        )
    return problems


def line_pools(definition: ExamDefinition, questions: list[Question]) -> list[list[Question]]:
    """The questions each blueprint line may draw from (`eligible`), in the bank's order."""
    return [eligible(questions, item.type, item.tags) for item in definition.blueprint]


def draw_paper(definition: ExamDefinition, questions: list[Question], rng: random.Random,
               pools: list[list[Question]] | None = None) -> list[PaperItem]:
    """A fresh paper: each blueprint line draws distinct questions; options shuffled. A material
    takes one position per sub-question, in order, sharing the line's points equally. `pools`:
    line_pools(definition, questions) when the caller keeps it (the same paper for the same rng)."""
    if pools is None:
        pools = line_pools(definition, questions)
    used: set[str] = set()
    paper: list[PaperItem] = []
    for item, eligible_ones in zip(definition.blueprint, pools, strict=True):
        pool = [q for q in eligible_ones if q.id not in used] if used else eligible_ones
        if len(pool) < item.count:
            raise PaperError(f"not enough {item.type.value} questions for exam {definition.id}")
        for q in rng.sample(pool, item.count):
            used.add(q.id)
            parts = q.subs if q.type is QType.MATERIAL else (q,)
            for part in parts:
                order = list(range(part.option_count))
                if definition.shuffle_options and part.type not in (QType.JUDGE, QType.FILL):
                    rng.shuffle(order)
                paper.append(PaperItem(qid=part.id, order=tuple(order), points=item.points / len(parts)))
    return paper


def is_expired(attempt: Attempt, now: float) -> bool:
    return now >= attempt.deadline


def remaining_seconds(attempt: Attempt, now: float) -> int:
    return max(0, int(attempt.deadline - now))


@dataclass(frozen=True, slots=True)
class Grade:
    score: float
    max_score: float
    passed: bool
    correct: int
    total: int
    wrong_positions: tuple[int, ...]


def grade(attempt: Attempt, definition: ExamDefinition, bank: Mapping[str, Question]) -> Grade:
    """All-or-nothing per question (the usual rule for 多选 in 学法考法 exams) and per material
    sub-question; fill questions earn credit per blank when the blueprint says partial."""
    score = 0.0
    correct = 0
    wrong: list[int] = []
    partial = definition.partial_fill
    for pos, item in enumerate(attempt.paper):
        question = bank.get(item.qid)
        chosen = attempt.answers.get(pos, frozenset())
        share = question.credit(chosen, partial) if question is not None else 0.0
        score += item.points * share
        if share >= 1.0:
            correct += 1
        else:
            wrong.append(pos)
    max_score = sum(item.points for item in attempt.paper)
    score = round(score, 2)
    return Grade(
        score=score,
        max_score=max_score,
        passed=score >= definition.pass_mark,
        correct=correct,
        total=len(attempt.paper),
        wrong_positions=tuple(wrong),
    )


def attempts_left(definition: ExamDefinition, used: int) -> int | None:
    """None when unlimited."""
    if definition.attempts_allowed <= 0:
        return None
    return max(0, definition.attempts_allowed - used)
