"""Official exam (正式考试) rules: the window, who it is for, the prerequisite, the 补考 makeup,
attempts, how the final score is taken, and the deadline of an attempt."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from bot.domain.models import ExamDefinition, OfficialSpec, Prerequisite

BEFORE, OPEN, BETWEEN, MAKEUP, CLOSED = "before", "open", "between", "makeup", "closed"


@dataclass(frozen=True, slots=True)
class WindowOverride:
    """An admin's change to the YAML window (None = keep the YAML value)."""

    opens: float | None = None
    closes: float | None = None
    makeup_opens: float | None = None
    makeup_closes: float | None = None


def move_main_window(spec: OfficialSpec, opens: float, closes: float) -> WindowOverride:
    """The override that moves the main window of `spec` to [opens, closes). A 补考 window that
    would then come before or overlap it moves to after it, keeping its distance from the main
    window's end and its length (so the two windows stay in order)."""
    override = WindowOverride(opens=opens, closes=closes)
    if spec.makeup_opens is None or spec.makeup_closes is None or spec.makeup_opens >= closes:
        return override
    gap = max(0.0, spec.makeup_opens - spec.closes)
    length = max(0.0, spec.makeup_closes - spec.makeup_opens)
    return replace(override, makeup_opens=closes + gap, makeup_closes=closes + gap + length)


def effective(spec: OfficialSpec, override: WindowOverride | None) -> OfficialSpec:
    if override is None:
        return spec
    changes = {k: getattr(override, k) for k in ("opens", "closes", "makeup_opens", "makeup_closes")
               if getattr(override, k) is not None}
    return replace(spec, **changes)


def phase_at(spec: OfficialSpec, now: float) -> str:
    if now < spec.opens:
        return BEFORE
    if now < spec.closes:
        return OPEN
    if spec.makeup_opens is not None and spec.makeup_closes is not None:
        if now < spec.makeup_opens:
            return BETWEEN
        if now < spec.makeup_closes:
            return MAKEUP
    return CLOSED


def is_target(spec: OfficialSpec, unit_chain: Sequence[str], role: str) -> bool:
    """unit_chain: the person's unit and its ancestors."""
    if spec.units and not set(spec.units) & set(unit_chain):
        return False
    return not spec.roles or role in spec.roles


PREREQ_KEYS = ("points", "practice_answers", "study_days", "study_hours")


@dataclass(frozen=True, slots=True)
class StudyProgress:
    points: int = 0
    practice_answers: int = 0
    study_days: int = 0
    study_hours: float = 0  # 学时, rounded down to a tenth


def missing(prereq: Prerequisite, progress: StudyProgress) -> dict[str, tuple[float, float]]:
    """What is still missing: name -> (have, need); empty when the prerequisite is met."""
    out = {}
    for name in PREREQ_KEYS:
        need, have = getattr(prereq, name), getattr(progress, name)
        if need and have < need:
            out[name] = (have, need)
    return out


@dataclass(frozen=True, slots=True)
class Standing:
    """A roster entry's record on one exam."""

    regular_used: int = 0
    makeup_used: int = 0
    passed: bool = False  # the final result passed
    open_attempt: bool = False


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    reason: str  # a text key: why not, or the phase when allowed
    phase: str


def decide(definition: ExamDefinition, spec: OfficialSpec, now: float, *, registered: bool, target: bool,
           standing: Standing, progress: StudyProgress) -> Decision:
    """May this person start an attempt now? Checked in a fixed order so the reason is the first
    thing they can do something about."""
    phase = phase_at(spec, now)
    if not registered:
        return Decision(False, "official_need_bind", phase)
    if not target:
        return Decision(False, "official_not_target", phase)
    if phase == BEFORE:
        return Decision(False, "official_not_open", phase)
    if phase in (BETWEEN, CLOSED):
        return Decision(False, "official_closed", phase)
    if phase == MAKEUP and standing.passed:  # the makeup: only for those who failed or missed it
        return Decision(False, "official_makeup_passed", phase)
    if attempts_left(definition, spec, standing, phase)[0] == 0:
        return Decision(False, "official_no_attempts", phase)
    if missing(spec.prerequisite, progress):
        return Decision(False, "official_prereq", phase)
    return Decision(True, phase, phase)


def attempts_left(definition: ExamDefinition, spec: OfficialSpec, standing: Standing,
                  phase: str) -> tuple[int | None, int]:
    """(left, allowed) in the window of `phase`: the main window counts its attempts against
    attempts_allowed, the 补考 its own against makeup.attempts (the main window's do not count
    there). left is None when unlimited (allowed 0)."""
    if phase == MAKEUP:
        allowed, used = spec.makeup_attempts, standing.makeup_used
    else:
        allowed, used = definition.attempts_allowed, standing.regular_used
    if not allowed:
        return None, 0
    return max(0, allowed - used), allowed


def attempt_deadline(now: float, time_limit_minutes: int, spec: OfficialSpec) -> float:
    """The time limit, but never past the end of the window the attempt was started in."""
    end = spec.closes if phase_at(spec, now) == OPEN else (spec.makeup_closes or spec.closes)
    return min(now + time_limit_minutes * 60, end)


def final_result(attempts: Iterable[tuple[int, float | None, bool | None]], rule: str) -> tuple[float, bool] | None:
    """(id, score, passed) of closed attempts -> the final (score, passed) by best or last."""
    graded = [(i, s, bool(p)) for i, s, p in attempts if s is not None]
    if not graded:
        return None
    chosen = max(graded, key=lambda a: a[0]) if rule == "last" else max(graded, key=lambda a: (a[1], a[0]))
    return chosen[1], chosen[2]
