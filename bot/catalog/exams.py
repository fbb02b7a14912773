"""Exam definitions: quizzes/exams/*.yaml -> ExamDefinition."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.catalog.questions import Problem
from bot.catalog.yamlsrc import SourceError, line_of, load_yaml
from bot.domain.models import TYPE_ALIASES, BlueprintItem, ExamDefinition


def _number(raw: dict, key: str, low: float, high: float, problems: list, shown: str, integer=True) -> Any:
    value = raw.get(key)
    ok = isinstance(value, int) if integer else isinstance(value, (int, float))
    if isinstance(value, bool) or not ok or not low <= value <= high:
        problems.append(Problem(shown, line_of(raw), f"{key} must be a number from {low} to {high}, got {value!r}"))
        return None
    return value


def load_exam_file(path: Path, shown: str) -> tuple[ExamDefinition | None, list[Problem]]:
    try:
        raw = load_yaml(path)
    except SourceError as exc:
        return None, [Problem(shown, exc.line, exc.reason)]
    problems: list[Problem] = []
    if not isinstance(raw, dict):
        return None, [Problem(shown, 1, "an exam file must be a mapping")]
    exam_id = str(raw.get("id", "")).strip()
    if not exam_id or len(exam_id.encode()) > 24 or not exam_id.replace("-", "").replace("_", "").isalnum():
        problems.append(Problem(shown, line_of(raw), f"invalid exam id {exam_id!r} (letters, digits, - _; ≤ 24 bytes)"))
    title = raw.get("title")
    if isinstance(title, str):
        title = {"zh": title}
    if not isinstance(title, dict) or not title.get("zh"):
        problems.append(Problem(shown, line_of(raw), "title needs at least a zh text"))
        title = {"zh": exam_id}
    limit = _number(raw, "time_limit_minutes", 1, 600, problems, shown)
    pass_mark = _number(raw, "pass_mark", 0, 10000, problems, shown, integer=False)
    attempts = _number(raw, "attempts_allowed", 0, 100, problems, shown) if "attempts_allowed" in raw else 0
    items = []
    blueprint = raw.get("blueprint")
    if not isinstance(blueprint, list) or not blueprint:
        problems.append(Problem(shown, line_of(raw), "blueprint must be a non-empty list"))
        blueprint = []
    for entry in blueprint:
        line = line_of(entry, line_of(raw))
        if not isinstance(entry, dict):
            problems.append(Problem(shown, line, "blueprint entry must be a mapping"))
            continue
        qtype = TYPE_ALIASES.get(str(entry.get("type", "")).strip())
        count, points = entry.get("count"), entry.get("points", 1)
        tags = entry.get("tags") or []
        if qtype is None:
            problems.append(Problem(shown, line, f"unknown question type {entry.get('type')!r}"))
        elif not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= 500:
            problems.append(Problem(shown, line, f"count must be 1..500, got {count!r}"))
        elif not isinstance(points, (int, float)) or isinstance(points, bool) or points <= 0:
            problems.append(Problem(shown, line, f"points must be positive, got {points!r}"))
        elif not isinstance(tags, list):
            problems.append(Problem(shown, line, "tags must be a list"))
        else:
            items.append(BlueprintItem(type=qtype, count=count, points=float(points), tags=tuple(map(str, tags))))
    if problems:
        return None, problems
    definition = ExamDefinition(
        id=exam_id, title={str(k): str(v) for k, v in title.items() if k != "__line__"},
        time_limit_minutes=limit, pass_mark=float(pass_mark), attempts_allowed=attempts,
        blueprint=tuple(items), shuffle_options=bool(raw.get("shuffle_options", True)),
        origin=f"{shown}:{line_of(raw)}",
    )
    if definition.pass_mark > definition.max_score:
        return None, [Problem(shown, line_of(raw), f"pass_mark {pass_mark} exceeds the paper's {definition.max_score:g} points")]
    return definition, []
