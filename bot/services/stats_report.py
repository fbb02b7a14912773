"""Admin statistics for an official exam and a unit: the per-unit report with drill-down, who
has not studied or sat, item analysis, and daily snapshots for the rates-over-time chart.
Used by the chat admin flow, the CLI and the benchmark."""

from __future__ import annotations

import time
from collections.abc import AsyncGenerator, Callable
from contextlib import aclosing
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.deps import Deps
from bot.domain import official_exam as rules
from bot.domain import study_time
from bot.domain.models import ExamDefinition, OfficialSpec
from bot.domain.statistics import ItemAnalysis, UnitStats, aggregate_units, analyse, ranked
from bot.domain.units import UnitTree
from bot.services.org import Org
from bot.services.study_hours import StudyHours
from bot.storage.ports import PersonRow


class StatsError(ValueError):
    """Unknown exam or unit (the message is technical; chat shows its own text)."""


@dataclass
class Report:
    exam: ExamDefinition
    unit_id: str | None  # None: the whole tree
    unit_name: str
    rows: list[UnitStats]  # one per sub-unit (and the unit's own staff as "本级")
    total: UnitStats
    tree: UnitTree
    studied_min: int
    people: list[PersonRow] | None = None  # the target roster within the unit: Stats.load_people
    hours: dict[int, float] | None = None  # 学时 seconds per roster entry since study_from: load_people
    hours_per_person: float | None = None  # 学时 seconds per active roster entry of the unit's subtree

    def ranking(self) -> list[tuple[int, UnitStats]]:
        return ranked(self.rows)

    def studied(self, person: PersonRow) -> bool:
        return person.study_points >= self.studied_min


class Stats:
    def __init__(self, deps: Deps, org: Org | None = None):
        self.deps = deps
        self.store = deps.storage
        self.org = org or Org(deps)
        self._cache: dict[str, tuple[tuple[Any, ...], dict[str, UnitStats]]] = {}
        self._hours_cache: dict[tuple[int, int], tuple[float, list[tuple[str, int, float]]]] = {}

    def official_exams(self) -> list[ExamDefinition]:
        return [d for d in self.deps.catalog.exams.values() if d.official]

    def exam(self, exam_id: str) -> ExamDefinition:
        definition = self.deps.catalog.exams.get(exam_id)
        if definition is None or not definition.official:
            raise StatsError(f"no official exam {exam_id!r}")
        return definition

    async def spec_since(self, definition: ExamDefinition, now: float) -> tuple[OfficialSpec, int]:
        """The exam's effective rules (YAML + window override) and the first study day that counts."""
        await self.org.refresh_study(now)
        assert definition.official is not None  # official_exams() / exam() hand out official exams only
        spec = rules.effective(definition.official, await self.store.windows.window_override(definition.id))
        return spec, self.org.day(spec.study_from) if spec.study_from else 0

    async def per_unit(self, definition: ExamDefinition, tree: UnitTree, now: float) -> dict[str, UnitStats]:
        """The exam's target roster summed per unit (not yet rolled up to parents). Kept while
        nothing it depends on changed, so drill-downs, charts and exports after a report are
        instant; any new attempt, binding, roster or study change recomputes it."""
        spec, since = await self.spec_since(definition, now)
        need = self.deps.config.study.studied_min_points
        key = (definition.id, spec, since, need, await self.store.stats.stats_fingerprint())
        cached = self._cache.get(definition.id)
        if cached is not None and cached[0] == key:
            return cached[1]
        counts = await self.store.stats.unit_counts(definition.id, spec.final_score, since, need)
        chains: dict[str, list[str]] = {}
        out: dict[str, UnitStats] = {}

        def stats_for(unit_id: str, role: str) -> UnitStats | None:
            chain = chains.get(unit_id)
            if chain is None:
                chain = chains[unit_id] = tree.ancestors(unit_id) or [unit_id]
            if not rules.is_target(spec, chain, role):
                return None
            return out.setdefault(unit_id, UnitStats(unit_id, tree.name(unit_id)))

        for field in ("roster", "registered", "studied"):
            for unit_id, role, n in counts[field]:
                target = stats_for(unit_id, role)
                if target is not None:
                    setattr(target, field, getattr(target, field) + n)
        for unit_id, role, score, passed, n in counts["results"]:
            target = stats_for(unit_id, role)
            if target is not None and score is not None:
                target.sat += n
                target.passed += n if passed else 0
                target.score_counts[score] += n
        self._cache[definition.id] = (key, out)
        return out

    async def load_people(self, report: Report, now: float) -> list[PersonRow]:
        """Fill report.people (for the not-yet list and the per-person sheet)."""
        if report.people is None:
            report.people = await self._people(report.exam, report.tree, report.unit_id, now)
        if report.hours is None:
            spec, _since = await self.spec_since(report.exam, now)
            report.hours = await StudyHours(self.deps).by_roster(spec.study_from, now)
        return report.people

    async def people_chunks(self, report: Report, now: float,
                            size: int = 5000) -> AsyncGenerator[list[tuple[PersonRow, float]], None]:
        """The people load_people gives (same order, same target rule), each with its 学时 seconds
        since the exam's study_from, read `size` roster rows at a time (the whole-province export:
        memory does not grow with the roster). report.people is left as it is."""
        spec, since = await self.spec_since(report.exam, now)
        zone = self.deps.config.timezone
        first = study_time.local_day(spec.study_from, zone) if spec.study_from else 0
        keep = _targeted(spec, report.tree, report.unit_id)
        chunks = self.store.stats.person_row_chunks(report.exam.id, spec.final_score, since, first,
                                                    study_time.local_day(now, zone), size)
        async with aclosing(chunks):
            async for rows in chunks:
                kept = [person for person in rows if keep(person[0])]
                if kept:
                    yield kept

    async def _hours_per_person(self, definition: ExamDefinition, tree: UnitTree, unit_id: str | None,
                                now: float, max_age: float = 0.0) -> float | None:
        """学时 seconds per active roster entry of the unit's subtree since the exam's study_from.
        With max_age > 0, per-unit sums read up to that many seconds ago serve again (the web
        overview: 学时 grows by minutes, and the sums read the whole roster)."""
        spec, _since = await self.spec_since(definition, now)
        zone = self.deps.config.timezone
        first = study_time.local_day(spec.study_from, zone) if spec.study_from else 0
        days = (first, study_time.local_day(now, zone))
        kept = self._hours_cache.get(days)
        if max_age > 0 and kept is not None and time.monotonic() - kept[0] <= max_age:
            figures = kept[1]
        else:
            figures = await self.store.person_list.unit_seconds(*days)
            self._hours_cache = {days: (time.monotonic(), figures)}
        scope = tree.subtree(unit_id) if unit_id else None
        chosen = [(n, seconds) for unit, n, seconds in figures if scope is None or unit in scope]
        people = sum(n for n, _ in chosen)
        return sum(seconds for _, seconds in chosen) / people if people else None

    async def _people(self, definition: ExamDefinition, tree: UnitTree, unit_id: str | None,
                      now: float) -> list[PersonRow]:
        spec, since = await self.spec_since(definition, now)
        rows = await self.store.stats.person_rows(definition.id, spec.final_score, since)
        keep = _targeted(spec, tree, unit_id)
        return [row for row in rows if keep(row)]

    async def report(self, exam_id: str, unit_id: str | None, now: float, locale: str = "zh",
                     with_hours: bool = True, hours_max_age: float = 0.0) -> Report:
        from bot.texts import tr

        definition = self.exam(exam_id)
        tree = await self.org.tree()
        if unit_id is not None and unit_id not in tree:
            raise StatsError(f"no unit {unit_id!r}")
        if unit_id is None and len(tree.roots()) == 1:
            unit_id = tree.roots()[0]
        per_unit = await self.per_unit(definition, tree, now)
        children = tree.children(unit_id)
        owner = tree.bucket_of(children)
        names = {c: tree.name(c) for c in children}
        if unit_id is not None:
            owner[unit_id] = unit_id
            names[unit_id] = tr(locale, "stats_own_staff", unit=tree.name(unit_id))
        else:  # people whose unit is not in the tree still count in the total
            for unit in per_unit:
                owner.setdefault(unit, unit)
        rows, total = aggregate_units(per_unit, owner, names, unit_id or "",
                                      tree.name(unit_id) if unit_id else tr(locale, "stats_all_units"))
        rows = [r for r in rows if r.unit_id != unit_id or r.roster]  # hide an empty "本级" row
        hours = await self._hours_per_person(definition, tree, unit_id, now, hours_max_age) if with_hours else None
        return Report(definition, unit_id, total.name, rows, total, tree, self.deps.config.study.studied_min_points,
                      hours_per_person=hours)

    async def items(self, exam_id: str) -> list[ItemAnalysis]:
        self.exam(exam_id)
        return [analyse(s) for s in await self.store.stats.item_sums(exam_id)]

    async def take_snapshot(self, now: float) -> int:
        """Store today's counts for every official exam and every unit (its whole subtree) and
        the whole roster (unit id ""). The scheduler's nightly job calls this; returns rows."""
        tree = await self.org.tree()
        day = datetime.fromtimestamp(now, ZoneInfo(self.deps.config.timezone)).strftime("%Y-%m-%d")
        written = 0
        for definition in self.official_exams():
            counts: dict[str, UnitStats] = {u: UnitStats(u, "") for u in ["", *tree.units]}
            for unit_id, stats in (await self.per_unit(definition, tree, now)).items():
                for unit in ["", *tree.ancestors(unit_id)]:
                    counts.setdefault(unit, UnitStats(unit, "")).merge(stats)
            rows = [(u, s.roster, s.registered, s.studied, s.sat, s.passed) for u, s in counts.items()]
            await self.store.stats.save_snapshot(day, definition.id, rows, now)
            written += len(rows)
        return written

    async def trend(self, exam_id: str, unit_id: str | None, live: Report | None = None,
                    now: float | None = None) -> list[tuple[str, float | None, float | None, float | None]]:
        """(day, 参学率, 参考率, 通过率 of roster) from the snapshots. With a live report (and the
        time it was made), today's point is that report's figures, so the chart ends where /stats is."""
        from bot.domain.statistics import rate

        rows = await self.store.stats.snapshots(exam_id, unit_id or "")
        points = [(day, rate(studied, roster), rate(sat, roster), rate(passed, roster))
                  for day, roster, _reg, studied, sat, passed in rows]
        if live is None or now is None:
            return points
        today = datetime.fromtimestamp(now, ZoneInfo(self.deps.config.timezone)).strftime("%Y-%m-%d")
        total = live.total
        return [p for p in points if p[0] != today] + [(today, total.study_rate, total.sit_rate, total.pass_rate_roster)]


def _targeted(spec: OfficialSpec, tree: UnitTree, unit_id: str | None) -> Callable[[PersonRow], bool]:
    """Whether a roster row is in the view of `unit_id` (None: everyone) and a target of the exam;
    decided once per (unit, role)."""
    scope = tree.subtree(unit_id) if unit_id else None
    wanted: dict[tuple[str, str], bool] = {}

    def keep(row: PersonRow) -> bool:
        key = (row.unit_id, row.role)
        kept = wanted.get(key)
        if kept is None:
            chain = tree.ancestors(row.unit_id) or [row.unit_id]
            kept = wanted[key] = (scope is None or row.unit_id in scope) and rules.is_target(spec, chain, row.role)
        return kept

    return keep
