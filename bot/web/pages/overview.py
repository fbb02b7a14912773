"""总览: an official exam's figures for a unit — roster size and 参学率 / 参考率 / 通过率 of the
unit and of each child unit (ranked, sortable), the charts (server-rendered SVG), the drill-down
person list (未参学 / 未参考 / 未通过 / all, sorted and paged in SQL), the item analysis and the
Excel workbook of the current view. Every figure comes from bot.services.stats, which checks
the unit: a unit admin asking for another unit gets 403.

    GET /admin/overview?exam=&unit=&sort=&order=     the overview of a unit
    GET /admin/overview/people?exam=&unit=&filter=&page=&size=&sort=&order=
    GET /admin/overview/chart?exam=&unit=&kind=rates|hist|trend   image/svg+xml
    GET /admin/overview/items?exam=                  item analysis
    GET /admin/overview/export?exam=&unit=           the .xlsx of the view
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar
from urllib.parse import urlencode

from aiohttp import web

from bot.deps import Deps
from bot.domain.statistics import percent
from bot.domain.study_time import format_hours
from bot.reports import offloop
from bot.services import flags, stats
from bot.services.rights import Actor
from bot.web.auth import admin_required
from bot.web.keys import ACTOR, REQUEST_DEPS
from bot.web.render import Paging, attachment, locale_of
from bot.web.render import render as _render

T = TypeVar("T")
NAV = ("/admin/overview", "web_nav_overview")
BASE = "/admin/overview"
HOURS_MAX_AGE = 60.0  # 人均学时 may be this many seconds old (it sums the whole roster's study time)
FILTER_KEYS = {"all": "ov_filter_all", "not_studied": "ov_filter_not_studied", "not_sat": "ov_filter_not_sat",
               "not_passed": "ov_filter_not_passed"}


def _num(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


async def render(request: web.Request, template: str, **context) -> web.Response:
    """A console page with the figure formatters of these templates (the same as the chat's)."""
    return await _render(request, template, pct=percent, num=_num, hours=format_hours, link=link, **context)


def link(path: str = "", **query: object) -> str:
    """A URL of this page family with the query parameters that are not None."""
    kept = {k: str(v) for k, v in query.items() if v is not None and v != ""}
    return BASE + path + ("?" + urlencode(kept) if kept else "")


async def _not_found(request: web.Request, exc: stats.NotFound) -> web.Response:
    return await render(request, "error.html", status=404, code=404, message_key=exc.key,
                        message_values=dict(exc.values))


def _exam_id(request: web.Request, exams: list[stats.ExamItem]) -> str | None:
    wanted = request.query.get("exam")
    if wanted:
        return wanted[:80]
    return exams[0].id if exams else None


def _unit(request: web.Request) -> str | None:
    return (request.query.get("unit") or "")[:80] or None


async def _asked(request: web.Request) -> tuple[Actor, Deps, str, list[stats.ExamItem], str | None]:
    """What every page of this module starts from: the acting admin, the dependencies, the
    locale, the official exams the admin may see, and the one asked for (None: none)."""
    actor, deps = request[ACTOR], request[REQUEST_DEPS]
    locale = await locale_of(request)
    exams = stats.official_exams(deps, actor, locale)
    return actor, deps, locale, exams, _exam_id(request, exams)


async def _off_loop(deps, job: Callable[[Any], Awaitable[T]]) -> T:
    """`await job(report_deps)` on the report loop with its own read connection
    (bot/reports/offloop.py), as the chat's /export: reading a city's roster and building its
    figures or workbook never stalls the turns of the users on the main loop."""
    return await offloop.on_report_loop(deps, job)


@admin_required
async def overview_page(request: web.Request) -> web.Response:
    actor, deps, locale, exams, exam_id = await _asked(request)
    if exam_id is None:
        return await render(request, "overview.html", title="web_nav_overview", exams=exams, view=None)
    try:
        query, now = stats.ViewQuery(exam_id, _unit(request), locale), deps.clock.now()

        async def figures(there) -> tuple[stats.Overview, int]:
            view = await stats.overview(there, actor, query, now, hours_max_age=HOURS_MAX_AGE)
            # fair-exam flags, linked to /admin/flags
            return view, await flags.count_flags(there, actor, view.exam.id, view.unit_id)

        view, flag_count = await _off_loop(deps, figures)
    except stats.NotFound as exc:
        return await _not_found(request, exc)
    sort = request.query.get("sort", "rank")
    sort = sort if sort in stats.UNIT_SORTS else "rank"
    descending = request.query.get("order") == "desc"
    rows = stats.sort_units(view.rows, sort, descending)
    unit = view.unit_id
    return await render(request, "overview.html", title="web_nav_overview", exams=exams, view=view, rows=rows,
                        exam_id=view.exam.id, unit=unit, sort=sort, descending=descending,
                        filters=FILTER_KEYS, charts=stats.CHARTS, flag_count=flag_count)


@admin_required
async def people_page(request: web.Request) -> web.Response:
    actor, deps, locale, _exams, exam_id = await _asked(request)
    if exam_id is None:
        raise web.HTTPSeeOther(BASE)
    which = request.query.get("filter", "all")
    which = which if which in stats.FILTERS else "all"
    paging = Paging.parse(request, sorts=stats.SORTS, default="staff_no", size=50, max_size=max(stats.PAGE_SIZES))
    query = stats.PeopleQuery(exam_id, _unit(request), which, paging.page, paging.size, paging.sort,
                              paging.descending, locale)
    try:
        now = deps.clock.now()
        page = await _off_loop(deps, lambda there: stats.people(there, actor, query, now))
    except stats.NotFound as exc:
        return await _not_found(request, exc)
    return await render(request, "overview_people.html", title="ov_people_title", page=page, view=page.overview,
                        paging=paging, exam_id=page.overview.exam.id, unit=page.overview.unit_id, which=which,
                        filters=FILTER_KEYS, sizes=stats.PAGE_SIZES)


@admin_required
async def items_page(request: web.Request) -> web.Response:
    actor, deps, locale, _exams, exam_id = await _asked(request)
    if exam_id is None:
        raise web.HTTPSeeOther(BASE)
    try:
        query, now = stats.ViewQuery(exam_id, _unit(request), locale), deps.clock.now()

        async def analysis(there) -> tuple[stats.Overview, list[stats.ItemLine]]:
            return (await stats.overview(there, actor, query, now, with_hours=False),
                    await stats.items(there, actor, exam_id))

        view, lines = await _off_loop(deps, analysis)
    except stats.NotFound as exc:
        return await _not_found(request, exc)
    return await render(request, "overview_items.html", title="ov_items", view=view, lines=lines,
                        exam_id=view.exam.id, unit=view.unit_id)


@admin_required
async def chart(request: web.Request) -> web.Response:
    actor, deps, locale, _exams, exam_id = await _asked(request)
    kind = request.query.get("kind", "")
    if exam_id is None or kind not in stats.CHARTS:
        raise web.HTTPNotFound()
    try:
        query, now = stats.ViewQuery(exam_id, _unit(request), locale), deps.clock.now()
        data = await _off_loop(deps, lambda there: stats.chart(there, actor, query, kind, now, "svg"))
    except stats.NotFound as exc:
        return await _not_found(request, exc)
    return web.Response(body=data, content_type="image/svg+xml", headers={"Cache-Control": "no-store"})


@admin_required
async def export(request: web.Request) -> web.Response:
    actor, deps, locale, _exams, exam_id = await _asked(request)
    if exam_id is None:
        raise web.HTTPSeeOther(BASE)
    try:
        query, now = stats.ViewQuery(exam_id, _unit(request), locale), deps.clock.now()
        file = await _off_loop(deps, lambda there: stats.workbook(there, actor, query, now))
    except stats.NotFound as exc:
        return await _not_found(request, exc)
    except stats.TooBig as exc:
        return await render(request, "error.html", status=413, code=413, message_key="export_too_big",
                            message_values={"n": exc.n})
    return web.Response(body=file.data, content_type=file.content_type,
                        headers={"Content-Disposition": attachment(file.filename), "Cache-Control": "no-store"})


def routes() -> list[web.RouteDef]:
    return [web.get(BASE, overview_page), web.get(BASE + "/people", people_page),
            web.get(BASE + "/items", items_page), web.get(BASE + "/chart", chart),
            web.get(BASE + "/export", export)]
