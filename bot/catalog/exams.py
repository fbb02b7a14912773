"""Exam definitions: quizzes/exams/*.yaml -> ExamDefinition."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from bot.catalog.questions import Problem
from bot.catalog.yamlsrc import SourceError, line_of, load_yaml
from bot.domain.models import TYPE_ALIASES, BlueprintItem, ExamDefinition, OfficialSpec, Prerequisite, QType

CHINA = timezone(timedelta(hours=8))  # a time written without an offset is Beijing time


def _number(raw: dict, key: str, low: float, high: float, problems: list, shown: str, integer=True) -> Any:
    value = raw.get(key)
    if (isinstance(value, bool) or not isinstance(value, (int, float)) or (integer and not isinstance(value, int))
            or not low <= value <= high):
        problems.append(Problem(shown, line_of(raw), f"{key} must be a number from {low} to {high}, got {value!r}"))
        return None
    return value


def load_exam_file(path: Path, shown: str) -> tuple[ExamDefinition | None, list[Problem]]:
    try:
        raw = load_yaml(path)
    except SourceError as exc:
        return None, [Problem(shown, exc.line, exc.reason)]
    return parse_exam(raw, shown)


def parse_exam(raw: Any, shown: str) -> tuple[ExamDefinition | None, list[Problem]]:
    """An exam definition from its YAML mapping (a file's, or one built by the web console and
    stored in the database: both pass the same rules)."""
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
        partial = entry.get("partial", False)
        if qtype is None:
            problems.append(Problem(shown, line, f"unknown question type {entry.get('type')!r}"))
        elif not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= 500:
            problems.append(Problem(shown, line, f"count must be 1..500, got {count!r}"))
        elif not isinstance(points, (int, float)) or isinstance(points, bool) or points <= 0:
            problems.append(Problem(shown, line, f"points must be positive, got {points!r}"))
        elif not isinstance(tags, list):
            problems.append(Problem(shown, line, "tags must be a list"))
        elif not isinstance(partial, bool) or (partial and qtype is not QType.FILL):
            problems.append(Problem(shown, line, "partial (credit per blank) is true or false, on fill lines only"))
        else:
            items.append(BlueprintItem(type=qtype, count=count, points=float(points), tags=tuple(map(str, tags)),
                                       partial=partial))
    if len({item.partial for item in items if item.type is QType.FILL}) > 1:
        problems.append(Problem(shown, line_of(raw), "fill lines must agree on partial"))
    official = _official(raw, problems, shown) if raw.get("kind", "mock") != "mock" else None
    per_question = 0
    if raw.get("per_question_seconds") is not None:  # a fair official exam: each question's own clock
        per_question = _number(raw, "per_question_seconds", 5, 3600, problems, shown) or 0
        if raw.get("kind") != "official":
            problems.append(Problem(shown, line_of(raw), "per_question_seconds is for official exams (kind: official)"))
    if problems:
        return None, problems
    definition = ExamDefinition(
        id=exam_id, title={str(k): str(v) for k, v in title.items() if k != "__line__"},
        time_limit_minutes=limit, pass_mark=float(pass_mark), attempts_allowed=attempts,
        blueprint=tuple(items), shuffle_options=bool(raw.get("shuffle_options", True)),
        origin=f"{shown}:{line_of(raw)}", official=official,
        include_stale_laws=raw.get("include_stale_laws") is True, per_question_seconds=per_question,
    )
    if definition.pass_mark > definition.max_score:
        return None, [Problem(shown, line_of(raw), f"pass_mark {pass_mark} exceeds the paper's {definition.max_score:g} points")]
    return definition, []


def _timestamp(value: Any) -> float | None:
    """A YAML date/datetime or an ISO string -> epoch seconds (no offset = Beijing time)."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            return None
    if isinstance(value, date) and not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day)
    if not isinstance(value, datetime):
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=CHINA)
    return value.timestamp()


def _window(raw: dict, key: str, problems: list, shown: str, required: bool) -> tuple[float | None, float | None]:
    block = raw.get(key)
    if block is None and not required:
        return None, None
    if not isinstance(block, dict):
        problems.append(Problem(shown, line_of(raw), f"{key} must be a mapping with opens and closes"))
        return None, None
    opens, closes = _timestamp(block.get("opens")), _timestamp(block.get("closes"))
    if opens is None or closes is None:
        problems.append(Problem(shown, line_of(block, line_of(raw)),
                                f"{key}: opens and closes must be times like 2026-01-01 08:00 (+08:00 by default)"))
    elif closes <= opens:
        problems.append(Problem(shown, line_of(block, line_of(raw)), f"{key}: closes must be after opens"))
    return opens, closes


def _strings(raw: dict, key: str, problems: list, shown: str) -> tuple[str, ...]:
    value = raw.get(key) or []
    if not isinstance(value, list):
        problems.append(Problem(shown, line_of(raw), f"{key} must be a list"))
        return ()
    return tuple(str(v) for v in value)


def _official(raw: dict, problems: list, shown: str) -> OfficialSpec | None:
    """kind: official -> its window, makeup window, target units/roles, final score rule and the
    study prerequisite (see docs/content-formats.md)."""
    if raw.get("kind") != "official":
        problems.append(Problem(shown, line_of(raw), f"kind must be mock or official, got {raw.get('kind')!r}"))
        return None
    opens, closes = _window(raw, "window", problems, shown, required=True)
    m_opens, m_closes = _window(raw, "makeup", problems, shown, required=False)
    if m_opens is not None and closes is not None and m_opens < closes:
        problems.append(Problem(shown, line_of(raw), "makeup must open after the window closes"))
    final = raw.get("final_score", "best")
    if final not in ("best", "last"):
        problems.append(Problem(shown, line_of(raw), f"final_score must be best or last, got {final!r}"))
    prereq_raw = raw.get("prerequisite") or {}
    prereq = Prerequisite()
    if not isinstance(prereq_raw, dict) or set(prereq_raw) - {"points", "practice_answers", "study_days", "study_hours",
                                                               "__line__"}:
        problems.append(Problem(shown, line_of(raw),
                                "prerequisite may set points, practice_answers, study_days, study_hours"))
    else:
        values = {k: _number(prereq_raw, k, 0, 100000, problems, shown, integer=k != "study_hours")
                  for k in ("points", "practice_answers", "study_days", "study_hours") if k in prereq_raw}
        prereq = Prerequisite(**{k: v or 0 for k, v in values.items()})
    makeup_attempts = 1
    if isinstance(raw.get("makeup"), dict) and "attempts" in raw["makeup"]:
        makeup_attempts = _number(raw["makeup"], "attempts", 0, 100, problems, shown) or 0
    study_from = _timestamp(raw["study_from"]) if raw.get("study_from") is not None else None
    if raw.get("study_from") is not None and study_from is None:
        problems.append(Problem(shown, line_of(raw), "study_from must be a date"))
    if opens is None or closes is None:
        return None
    return OfficialSpec(opens=opens, closes=closes, makeup_opens=m_opens, makeup_closes=m_closes,
                        makeup_attempts=makeup_attempts, units=_strings(raw, "units", problems, shown),
                        roles=_strings(raw, "roles", problems, shown), final_score=final, prerequisite=prereq,
                        study_from=study_from)
