"""Admin statistics for an official exam and a unit: the per-unit report with drill-down, who
has not studied or sat, item analysis, and daily snapshots for the rates-over-time chart.
Used by the chat admin flow, the CLI and the benchmark."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.app.context import Deps
from bot.app.org import Org
from bot.domain import official_exam as rules
from bot.domain.models import ExamDefinition
from bot.domain.statistics import ItemAnalysis, PersonFacts, UnitStats, aggregate, analyse, ranked
from bot.domain.units import UnitTree
from bot.storage.sqlite_stats import PersonRow


class StatsError(ValueError):
    """Unknown exam or unit (the message is technical; chat shows its own text)."""


@dataclass
class Report:
    exam: ExamDefinition
    unit_id: str | None  # None: the whole tree
    unit_name: str
    rows: list[UnitStats]  # one per sub-unit (and the unit's own staff as "本级")
    total: UnitStats
    people: list[PersonRow]  # the target roster within the unit
    tree: UnitTree
    studied_min: int

    def ranking(self) -> list[tuple[int, UnitStats]]:
        return ranked(self.rows)

    def studied(self, person: PersonRow) -> bool:
        return person.study_points >= self.studied_min


class Stats:
    def __init__(self, deps: Deps, org: Org | None = None):
        self.deps = deps
        self.store = deps.storage
        self.org = org or Org(deps)

    def official_exams(self) -> list[ExamDefinition]:
        return [d for d in self.deps.catalog.exams.values() if d.official]

    def exam(self, exam_id: str) -> ExamDefinition:
        definition = self.deps.catalog.exams.get(exam_id)
        if definition is None or not definition.official:
            raise StatsError(f"no official exam {exam_id!r}")
        return definition

    async def _people(self, definition: ExamDefinition, tree: UnitTree, unit_id: str | None,
                      now: float) -> list[PersonRow]:
        await self.org.refresh_study(now)
        spec = rules.effective(definition.official, await self.store.window_override(definition.id))
        since = self.org.day(spec.study_from) if spec.study_from else 0
        rows = await self.store.person_rows(definition.id, spec.final_score, since)
        scope = tree.subtree(unit_id) if unit_id else None
        chains: dict[str, list[str]] = {}
        out = []
        for row in rows:
            if scope is not None and row.unit_id not in scope:
                continue
            chain = chains.get(row.unit_id)
            if chain is None:
                chain = chains[row.unit_id] = tree.ancestors(row.unit_id) or [row.unit_id]
            if rules.is_target(spec, chain, row.role):
                out.append(row)
        return out

    def _facts(self, people: list[PersonRow]) -> list[PersonFacts]:
        need = self.deps.config.study.studied_min_points
        return [PersonFacts(p.roster_id, p.unit_id, p.registered, p.study_points >= need, p.score, bool(p.passed))
                for p in people]

    async def report(self, exam_id: str, unit_id: str | None, now: float, locale: str = "zh") -> Report:
        from bot.app.texts import tr

        definition = self.exam(exam_id)
        tree = await self.org.tree()
        if unit_id is not None and unit_id not in tree:
            raise StatsError(f"no unit {unit_id!r}")
        if unit_id is None and len(tree.roots()) == 1:
            unit_id = tree.roots()[0]
        people = await self._people(definition, tree, unit_id, now)
        children = tree.children(unit_id)
        owner = tree.bucket_of(children)
        names = {c: tree.name(c) for c in children}
        if unit_id is not None:
            owner[unit_id] = unit_id
            names[unit_id] = tr(locale, "stats_own_staff", unit=tree.name(unit_id))
        else:  # people whose unit is not in the tree still count in the total
            for person in people:
                owner.setdefault(person.unit_id, person.unit_id)
        rows, total = aggregate(self._facts(people), owner, names, unit_id or "",
                                tree.name(unit_id) if unit_id else tr(locale, "stats_all_units"))
        rows = [r for r in rows if r.unit_id != unit_id or r.roster]  # hide an empty "本级" row
        return Report(definition, unit_id, total.name, rows, total, people, tree,
                      self.deps.config.study.studied_min_points)

    async def items(self, exam_id: str) -> list[ItemAnalysis]:
        self.exam(exam_id)
        return [analyse(s) for s in await self.store.item_sums(exam_id)]

    async def take_snapshot(self, now: float) -> int:
        """Store today's counts for every official exam and every unit (its whole subtree) and
        the whole roster (unit id ""). The scheduler's nightly job calls this; returns rows."""
        tree = await self.org.tree()
        day = datetime.fromtimestamp(now, ZoneInfo(self.deps.config.timezone)).strftime("%Y-%m-%d")
        written = 0
        for definition in self.official_exams():
            people = await self._people(definition, tree, None, now)
            counts: dict[str, UnitStats] = {u: UnitStats(u, "") for u in ["", *tree.units]}
            chains: dict[str, list[str]] = {}
            for fact in self._facts(people):
                chain = chains.get(fact.unit_id)
                if chain is None:
                    chain = chains[fact.unit_id] = tree.ancestors(fact.unit_id)
                for unit in ["", *chain]:
                    counts.setdefault(unit, UnitStats(unit, "")).add(fact)
            rows = [(u, s.roster, s.registered, s.studied, s.sat, s.passed) for u, s in counts.items()]
            await self.store.save_snapshot(day, definition.id, rows, now)
            written += len(rows)
        return written

    async def trend(self, exam_id: str, unit_id: str | None) -> list[tuple[str, float | None, float | None, float | None]]:
        """(day, 参学率, 参考率, 通过率 of roster) from the snapshots."""
        from bot.domain.statistics import rate

        rows = await self.store.snapshots(exam_id, unit_id or "")
        return [(day, rate(studied, roster), rate(sat, roster), rate(passed, roster))
                for day, roster, _reg, studied, sat, passed in rows]
