"""Official exams (正式考试) on top of ExamFlow's engine: who may start an attempt now (window,
target units/roles, prerequisite, attempts, 补考), and tagging the attempt for the audit trail."""

from __future__ import annotations

from dataclasses import dataclass, replace

from bot.app.context import Turn
from bot.deps import Deps
from bot.domain import official_exam as rules
from bot.domain.models import Attempt, ExamDefinition, OfficialSpec
from bot.domain.study_time import hours
from bot.domain.units import RosterEntry
from bot.services.org import Org
from bot.services.study_hours import StudyHours
from bot.texts import join


@dataclass(frozen=True, slots=True)
class Gate:
    decision: rules.Decision
    spec: OfficialSpec
    entry: RosterEntry | None
    missing: dict[str, tuple[float, float]]
    standing: rules.Standing = rules.Standing()  # the attempts `decision` counted

    def attempts_left(self, definition: ExamDefinition) -> tuple[int | None, int]:
        """(left, allowed) in the window the exam is in now (the 补考 has its own attempts)."""
        return rules.attempts_left(definition, self.spec, self.standing, self.decision.phase)


class OfficialExams:
    def __init__(self, deps: Deps, org: Org | None = None):
        self.deps = deps
        self.store = deps.storage
        self.org = org or Org(deps)
        self.hours = StudyHours(deps)

    def definitions(self) -> list[ExamDefinition]:
        return [d for d in self.deps.catalog.exams.values() if d.official]

    async def spec(self, definition: ExamDefinition) -> OfficialSpec:
        assert definition.official is not None
        return rules.effective(definition.official, await self.store.windows.window_override(definition.id))

    async def standing(self, entry: RosterEntry, definition: ExamDefinition, spec: OfficialSpec) -> rules.Standing:
        attempts = await self.store.attempts.official_attempts(entry.id, definition.id)
        final = rules.final_result([(a.id, a.score, a.passed) for a in attempts if a.status != "open"],
                                   spec.final_score)
        return rules.Standing(regular_used=sum(1 for a in attempts if a.phase == "regular"),
                              makeup_used=sum(1 for a in attempts if a.phase == "makeup"),
                              passed=bool(final and final[1]), open_attempt=any(a.status == "open" for a in attempts))

    async def gate(self, turn: Turn, definition: ExamDefinition) -> Gate:
        spec = await self.spec(definition)
        entry = await self.org.entry(turn.user)
        if entry is None:
            decision = rules.decide(definition, spec, turn.now, registered=False, target=False,
                                    standing=rules.Standing(), progress=rules.StudyProgress())
            return Gate(decision, spec, None, {})
        tree = await self.org.tree()
        target = rules.is_target(spec, tree.ancestors(entry.unit_id) or [entry.unit_id], entry.role)
        users = await self.store.roster.users_of(entry.id)
        progress = await self.progress(users, spec, turn.now)
        standing = await self.standing(entry, definition, spec)
        decision = rules.decide(definition, spec, turn.now, registered=True, target=target, standing=standing,
                                progress=progress)
        return Gate(decision, spec, entry, rules.missing(spec.prerequisite, progress), standing)

    async def progress(self, users: list[str], spec: OfficialSpec, now: float) -> rules.StudyProgress:
        """Study since the exam's study_from: points, answers, days and 学时."""
        summary = await self.org.study_summary(users, now, spec.study_from)
        progress = summary.progress()
        if spec.prerequisite.study_hours:
            progress = replace(progress, study_hours=hours(await self.hours.seconds_since(users, spec.study_from, now)))
        return progress

    async def visible(self, turn: Turn) -> list[tuple[ExamDefinition, Gate]]:
        """Official exams to list in the exam menu: those for this person, open or not."""
        out = []
        for definition in self.definitions():
            gate = await self.gate(turn, definition)
            if gate.entry is not None and gate.decision.reason != "official_not_target":
                out.append((definition, gate))
        return out

    def refusal(self, turn: Turn, definition: ExamDefinition, gate: Gate) -> str:
        reason = gate.decision.reason
        fmt = self.deps.config.timezone
        values = dict(title=definition.title_for(turn.locale), opens=_when(gate.spec.opens, fmt),
                      closes=_when(gate.spec.closes, fmt))
        if reason == "official_prereq":
            values["missing"] = join(turn.locale, (turn.t(f"prereq_{k}", have=amount(h), need=amount(n),
                                                          short=amount(n - h))
                                                   for k, (h, n) in gate.missing.items()), "clauses")
        return turn.t(reason, **values)

    def describe(self, turn: Turn, definition: ExamDefinition, gate: Gate) -> str:
        spec, fmt = gate.spec, self.deps.config.timezone
        lines = [turn.t("official_window", opens=_when(spec.opens, fmt), closes=_when(spec.closes, fmt))]
        if spec.makeup_opens and spec.makeup_closes:
            lines.append(turn.t("official_makeup", opens=_when(spec.makeup_opens, fmt),
                                closes=_when(spec.makeup_closes, fmt)))
        lines.append(turn.t("official_final_" + spec.final_score))
        if spec.prerequisite.required:
            need = join(turn.locale, (turn.t(f"prereq_{k}", have=amount(getattr(spec.prerequisite, k) - n_missing(gate, k)),
                                             need=amount(getattr(spec.prerequisite, k)),
                                             short=amount(n_missing(gate, k)))
                                      for k in rules.PREREQ_KEYS
                                      if getattr(spec.prerequisite, k)), "clauses")
            lines.append(turn.t("official_prereq_line", progress=need))
        return "\n".join(lines)

    def deadline(self, now: float, definition: ExamDefinition, gate: Gate) -> float:
        return rules.attempt_deadline(now, definition.time_limit_minutes, gate.spec)

    async def tag(self, attempt: Attempt, gate: Gate) -> None:
        assert gate.entry is not None
        phase = "makeup" if gate.decision.phase == rules.MAKEUP else "regular"
        await self.store.attempts.tag_attempt(attempt.id, gate.entry.id, gate.entry.unit_id, phase)


def amount(value: float) -> str:
    """A count or 学时 as people write it: 5, 1.5 (never 1.5000001)."""
    return f"{round(value, 1):g}"


def n_missing(gate: Gate, key: str) -> float:
    have_need = gate.missing.get(key)
    return have_need[1] - have_need[0] if have_need else 0


def _when(ts: float, zone: str) -> str:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    return datetime.fromtimestamp(ts, ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M")
