"""Statistics use cases for admins (总览): the official exams, one exam's rates by unit with the
ranking and breadcrumbs, the trend, the charts, the item analysis, the drill-down person list
(未参学 / 未参考 / 未通过 / all, sorted and paged in SQL) and the Excel workbook of a view.

Every function takes the acting admin (`Actor`) and checks the unit: a super admin sees every
unit, a unit admin their unit and below (`Forbidden` otherwise). An unknown exam or unit raises
`NotFound`. The chat (/stats, /export), the CLI and the web console call these functions and
only render what they return. CPU work (openpyxl, matplotlib) runs off the event loop."""

from __future__ import annotations

import asyncio
import io
import math
import os
import threading
from collections.abc import Callable
from contextlib import aclosing
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from bot.catalog.catalog import Catalog
from bot.deps import Deps
from bot.domain.models import ExamDefinition, OfficialSpec
from bot.domain.statistics import ItemAnalysis, UnitStats
from bot.domain.units import UnitTree
from bot.reports import process
from bot.reports.excel import Sheet
from bot.services import stats_files
from bot.services.rights import Actor, Forbidden
from bot.services.stats_report import Report, Stats
from bot.storage.ports import PersonRow

__all__ = [
    "CHARTS",
    "FILTERS",
    "SORTS",
    "UNIT_SORTS",
    "Crumb",
    "ExamItem",
    "FileResult",
    "Forbidden",
    "ItemLine",
    "NotFound",
    "Overview",
    "PeoplePage",
    "PeopleQuery",
    "PersonLine",
    "RankedRow",
    "TooBig",
    "ViewQuery",
    "chart",
    "items",
    "official_exams",
    "overview",
    "people",
    "sort_units",
    "trend",
    "workbook",
    "write_workbook",
]

FILTERS = ("all", "not_studied", "not_sat", "not_passed")
SORTS = ("staff_no", "name", "unit", "points", "score", "attempts")
CHARTS = ("rates", "hist", "trend")
UNIT_SORTS = ("rank", "name", "roster", "study_rate", "sit_rate", "pass_rate", "pass_rate_roster", "average")
PAGE_SIZES = (20, 50, 100, 200)
_draw = threading.Lock()  # pyplot keeps global state: one chart at a time across threads


def _forget_in_child() -> None:
    """A forked child has no chart thread: a lock one held at the fork would stay held."""
    global _draw
    _draw = threading.Lock()


os.register_at_fork(after_in_child=_forget_in_child)


class NotFound(Exception):
    """No such official exam or unit; `key` names the text in bot/texts.py."""

    def __init__(self, key: str, **values: object):
        super().__init__(key)
        self.key = key
        self.values = values


class TooBig(Exception):
    """The view has more people than admin.export_max_rows allows in one workbook."""

    def __init__(self, n: int):
        super().__init__(n)
        self.n = n


@dataclass(frozen=True, slots=True)
class ExamItem:
    id: str
    title: str
    index: int  # position among the official exams (chat buttons carry it)


@dataclass(frozen=True, slots=True)
class ViewQuery:
    """One view: an official exam and a unit (None: the actor's own scope)."""
    exam_id: str
    unit_id: str | None = None
    locale: str = "zh"


@dataclass(frozen=True, slots=True)
class Crumb:
    unit_id: str | None
    name: str


@dataclass(frozen=True, slots=True)
class RankedRow:
    rank: int
    stats: UnitStats
    drillable: bool  # a sub-unit one can open (not the unit's own staff row)


@dataclass
class Overview:
    exam: ExamDefinition
    unit_id: str | None
    unit_name: str
    total: UnitStats
    rows: list[RankedRow]  # the children of the unit, best first
    crumbs: list[Crumb]  # from the top the actor may see down to this unit
    hours_per_person: float | None
    report: Report = field(repr=False)

    @property
    def counts(self) -> dict[str, int]:
        """How many people each person-list filter holds (the paging totals)."""
        t = self.total
        return {"all": t.roster, "not_studied": t.roster - t.studied, "not_sat": t.roster - t.sat,
                "not_passed": t.sat - t.passed}


@dataclass(frozen=True, slots=True)
class PeopleQuery:
    exam_id: str
    unit_id: str | None = None
    which: str = "all"
    page: int = 1
    size: int = 50
    sort: str = "staff_no"
    descending: bool = False
    locale: str = "zh"


@dataclass(frozen=True, slots=True)
class PersonLine:
    roster_id: int
    staff_no: str
    name: str
    unit_id: str
    unit_name: str
    role: str
    registered: bool
    points: int
    studied: bool
    attempts: int
    score: float | None
    passed: bool | None


@dataclass
class PeoplePage:
    query: PeopleQuery
    overview: Overview
    items: list[PersonLine]
    total: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.query.size))


@dataclass(frozen=True, slots=True)
class ItemLine:
    question_id: str
    cite: str
    stem: str
    n: int
    correct_rate: float | None
    discrimination: float | None
    warn: bool  # discrimination < 0.2 or correct rate < 0.3


@dataclass(frozen=True, slots=True)
class FileResult:
    filename: str
    data: bytes
    content_type: str


def _stats(deps: Deps) -> Stats:
    """One Stats per wiring, so its per-unit counts (checked against the database's fingerprint on
    every call) serve the next request too."""
    stats = deps.__dict__.get("_stats_service")
    if stats is None:
        stats = deps.__dict__["_stats_service"] = Stats(deps)
    return stats


def official_exams(deps: Deps, actor: Actor, locale: str = "zh") -> list[ExamItem]:
    """Every admin may list the official exams (the figures are scoped, not the list)."""
    del actor
    return [ExamItem(d.id, d.title_for(locale), i) for i, d in enumerate(_stats(deps).official_exams())]


def _exam(deps: Deps, exam_id: str) -> ExamDefinition:
    definition = deps.catalog.exams.get(exam_id)
    if definition is None or not definition.official:
        raise NotFound("stats_web_no_exam", exam=exam_id[:40])
    return definition


async def _resolve(deps: Deps, actor: Actor, exam_id: str, unit_id: str | None) -> tuple[ExamDefinition, str | None]:
    definition = _exam(deps, exam_id)
    unit = unit_id or actor.role.unit
    if unit is not None and unit not in actor.tree:
        raise NotFound("admin_unknown_unit", unit=unit[:40])
    actor.require_unit(unit)
    return definition, unit


def _crumbs(actor: Actor, report: Report, locale: str) -> list[Crumb]:
    from bot.texts import tr

    tree = report.tree
    if report.unit_id is None:
        return [Crumb(None, report.unit_name)]
    chain = [u for u in reversed(tree.ancestors(report.unit_id)) if actor.covers(u)]
    crumbs = [Crumb(u, tree.name(u)) for u in chain]
    if actor.is_super and len(tree.roots()) > 1:
        crumbs.insert(0, Crumb(None, tr(locale, "stats_all_units")))
    return crumbs


async def overview(deps: Deps, actor: Actor, query: ViewQuery, now: float, *, with_hours: bool = True,
                   hours_max_age: float = 0.0) -> Overview:
    """One exam's figures for a unit (the whole unit and each child one level down, ranked).
    hours_max_age > 0 lets 人均学时 come from sums read up to that many seconds ago."""
    definition, unit = await _resolve(deps, actor, query.exam_id, query.unit_id)
    report = await _stats(deps).report(definition.id, unit, now, query.locale, with_hours=with_hours,
                                       hours_max_age=hours_max_age)
    rows = [RankedRow(rank, row, row.unit_id != report.unit_id and row.unit_id in report.tree)
            for rank, row in report.ranking()]
    return Overview(definition, report.unit_id, report.unit_name, report.total, rows,
                    _crumbs(actor, report, query.locale), report.hours_per_person, report)


def sort_units(rows: list[RankedRow], key: str = "rank", descending: bool = False) -> list[RankedRow]:
    """The unit rows of an overview in another order (a few dozen rows: sorted here, not in SQL);
    units without a figure go last either way. An unknown key keeps the ranking."""
    if key not in UNIT_SORTS or key == "rank":
        return list(reversed(rows)) if descending and key == "rank" else list(rows)
    if key == "name":
        return sorted(rows, key=lambda r: r.stats.name, reverse=descending)
    known = [r for r in rows if getattr(r.stats, key) is not None]
    unknown = [r for r in rows if getattr(r.stats, key) is None]
    return sorted(known, key=lambda r: (getattr(r.stats, key), r.rank), reverse=descending) + unknown


def _target_units(spec: OfficialSpec, tree: UnitTree, unit_id: str | None) -> list[str] | None:
    """The units whose people an exam targets within a unit's subtree (None: no unit filter)."""
    scope = tree.subtree(unit_id) if unit_id else None
    if scope is None and not spec.units:
        return None
    candidates = scope if scope is not None else set(tree.units) | set(spec.units)
    wanted = set(spec.units)
    return sorted(u for u in candidates if not wanted or wanted & set(tree.ancestors(u) or [u]))


async def people(deps: Deps, actor: Actor, query: PeopleQuery, now: float) -> PeoplePage:
    """One page of the people of a unit's subtree that a filter keeps, sorted in SQL. The total
    comes from the unit's counts (the same definitions), so paging needs no COUNT over the roster."""
    if query.which not in FILTERS or query.sort not in SORTS:
        raise NotFound("stats_web_bad_query")
    view = await overview(deps, actor, ViewQuery(query.exam_id, query.unit_id, query.locale), now, with_hours=False)
    stats = _stats(deps)
    spec, since = await stats.spec_since(view.exam, now)
    size = max(1, min(query.size, max(PAGE_SIZES)))
    page = max(1, query.page)
    rows: list[PersonRow] = await deps.storage.person_list.person_page(
        view.exam.id, spec.final_score, since, deps.config.study.studied_min_points,
        units=_target_units(spec, view.report.tree, view.unit_id), roles=list(spec.roles) or None,
        which=query.which, sort=query.sort, descending=query.descending, offset=(page - 1) * size, limit=size)
    tree = view.report.tree
    need = deps.config.study.studied_min_points
    lines = [PersonLine(r.roster_id, r.staff_no, stats_files.person_name(query.locale, r.staff_no, r.name), r.unit_id,
                        tree.name(r.unit_id), r.role, r.registered,
                        r.study_points, r.study_points >= need, r.attempts, r.score, r.passed) for r in rows]
    fixed = PeopleQuery(query.exam_id, view.unit_id, query.which, page, size, query.sort, query.descending,
                        query.locale)
    return PeoplePage(fixed, view, lines, view.counts[query.which])


async def items(deps: Deps, actor: Actor, exam_id: str) -> list[ItemLine]:
    """Item analysis of an exam (every admin: questions, not people), the weakest items first."""
    del actor
    definition = _exam(deps, exam_id)
    found = await _stats(deps).items(definition.id)
    found.sort(key=lambda i: (i.discrimination if i.discrimination is not None else 1.0,
                              i.correct_rate if i.correct_rate is not None else 1.0))
    out = []
    for item in found:
        question = deps.catalog.questions.get(item.question_id)
        warn = (item.discrimination is not None and item.discrimination < 0.2) or \
            (item.correct_rate is not None and item.correct_rate < 0.3)
        out.append(ItemLine(item.question_id, f"{question.cite.law} {question.cite.article}" if question else "",
                            question.stem[:80] if question else "", item.n, item.correct_rate,
                            item.discrimination, warn))
    return out


async def trend(deps: Deps, actor: Actor, query: ViewQuery, now: float,
                view: Overview | None = None) -> list[tuple[str, float | None, float | None, float | None]]:
    """(day, 参学率, 参考率, 通过率 of roster) from the nightly snapshots, ending with today's live figures."""
    view = view or await overview(deps, actor, query, now)
    return await _stats(deps).trend(view.exam.id, view.unit_id, live=view.report, now=now)


def _locked(fn: Callable[..., bytes], *args: Any) -> bytes:
    with _draw:
        return fn(*args)


CHART_CACHE_SIZE = 64


async def chart(deps: Deps, actor: Actor, query: ViewQuery, kind: str, now: float, fmt: str = "png") -> bytes:
    """A chart of the view: rates by unit, score histogram or rates over time (PNG or SVG). A chart
    drawn for the same figures (the per-unit counts' key, and today's date for the trend's snapshots
    and live point) is served again without drawing, so a page's three charts cost CPU once per change.
    Drawn in the report process (bot/reports/process.py) when the database can be opened there."""
    if kind not in CHARTS:
        raise NotFound("stats_web_bad_query")
    if process.enabled(deps):
        data: bytes = await process.call(deps, "bot.services.stats:_chart_here", actor, query, kind, now, fmt,
                                         prepare=lambda: _stats(deps).org.refresh_study(now))
        return data
    return await _chart_here(deps, actor, query, kind, now, fmt)


async def _chart_here(deps: Deps, actor: Actor, query: ViewQuery, kind: str, now: float, fmt: str) -> bytes:
    """chart() in this process."""
    view = await overview(deps, actor, query, now, with_hours=False)
    stats = _stats(deps)
    counted = stats._cache.get(view.exam.id)
    key = None
    if counted is not None:
        day = stats.org.day(now)
        key = (kind, fmt, query.locale, view.exam.id, view.unit_id, counted[0], day)
        cache: dict[tuple[Any, ...], bytes] = deps.__dict__.setdefault("_stats_charts", {})
        if key in cache:
            return cache[key]
    if kind == "rates":
        data = await asyncio.to_thread(_locked, stats_files.rates_chart, view.report, query.locale, fmt)
    elif kind == "hist":
        data = await asyncio.to_thread(_locked, stats_files.histogram_chart, view.report, query.locale, fmt)
    else:
        points = await trend(deps, actor, query, now, view)
        data = await asyncio.to_thread(_locked, stats_files.trend_chart, view.report, points, query.locale, fmt)
    if key is not None:
        if len(cache) >= CHART_CACHE_SIZE:
            cache.pop(next(iter(cache)))
        cache[key] = data
    return data


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


async def workbook(deps: Deps, actor: Actor, query: ViewQuery, now: float) -> FileResult:
    """The Excel workbook of a view (unit summary, every person, item analysis): the file /export
    sends in chat. Refused with TooBig above admin.export_max_rows people; the export is logged.
    Built in the report process (bot/reports/process.py), which reads the database itself and
    writes the file under the data folder, when the database can be opened there; the new study
    and answer logs are folded here first (the report process does not write)."""
    if process.enabled(deps):
        async def prepare() -> None:
            await _stats(deps).org.refresh_study(now)
            await deps.storage.stats.fold_item_sums()

        path = process.export_path(deps.config, ".xlsx")
        try:
            filename, detail = await process.call(deps, "bot.services.stats:_workbook_to_file", actor, query, now,
                                                  str(path), prepare=prepare, niceness=process.NICENESS)
            file = FileResult(filename, path.read_bytes(), XLSX)
        finally:
            path.unlink(missing_ok=True)
    else:
        file, detail = await _workbook_here(deps, actor, query, now)
    await deps.storage.admins.log_admin(actor.user, "export", detail, now)
    return file


EXPORT_CHUNK = 5000  # roster rows read, turned into sheet rows and written at a time


async def _workbook_to_file(deps: Deps, actor: Actor, query: ViewQuery, now: float, path: str) -> tuple[str, str]:
    """(report process) The workbook written to `path`; returns (file name, admin log detail)."""
    with open(path, "wb") as out:
        return await _workbook_into(deps, actor, query, now, out)


async def _workbook_here(deps: Deps, actor: Actor, query: ViewQuery, now: float) -> tuple[FileResult, str]:
    """The workbook built in this process, and the admin log line's detail (not written here)."""
    out = io.BytesIO()
    filename, detail = await _workbook_into(deps, actor, query, now, out)
    return FileResult(filename, out.getvalue(), XLSX), detail


async def _workbook_into(deps: Deps, actor: Actor, query: ViewQuery, now: float,
                         out: BinaryIO) -> tuple[str, str]:
    """The workbook of a view written to `out`; returns (file name, admin log detail)."""
    view = await overview(deps, actor, query, now)
    if view.total.roster > deps.config.admin.export_max_rows:
        raise TooBig(view.total.roster)
    stats = _stats(deps)
    found = await stats.items(view.exam.id)
    from bot.services.flag_words import flags_sheet  # the fair-exam flags of the view, with their evidence
    from bot.services.flags import list_flags

    flags = flags_sheet(query.locale, await list_flags(deps, actor, view.exam.id, view.unit_id), view.report.tree,
                        deps.config.timezone)
    await write_workbook(stats, view.report, found, deps.catalog, query.locale, out, now, [flags])
    return f"stats-{view.exam.id}-{view.unit_id or 'all'}.xlsx", f"{view.exam.id}:{view.unit_id or ''}"


async def write_workbook(stats: Stats, report: Report, items: list[ItemAnalysis], catalog: Catalog, locale: str,
                         out: BinaryIO, now: float, extra: list[Sheet] | None = None,
                         chunk: int | None = None) -> int:
    """The workbook of a report (stats_files.workbook's sheets) written to `out` while its people
    are read from the database `chunk` (default EXPORT_CHUNK) roster rows at a time
    (Stats.people_chunks), so memory does not grow with the organisation: a province exports in
    the memory of a city. The CPU work runs off the event loop (in the report process: on the
    job's thread). Returns the number of people written."""
    book = await asyncio.to_thread(stats_files.PeopleWorkbook, report, items, catalog, locale, out, extra,
                                   report.total.roster)
    written = 0
    # aclosing: the database cursor is closed at once when writing fails
    async with aclosing(stats.people_chunks(report, now, chunk or EXPORT_CHUNK)) as chunks:
        async for people in chunks:
            await asyncio.to_thread(book.write, people)
            written += len(people)
    await asyncio.to_thread(book.close)
    return written
