"""咨询缺口: residents' questions the bot could not answer well (or whose answers they rejected),
most asked first, each with a "handled" mark. Super admins only (the questions are everyone's)."""

from __future__ import annotations

from aiohttp import web

from bot.services import gaps
from bot.services.rights import Actor
from bot.texts import tr
from bot.web.auth import admin_required, post_form
from bot.web.keys import ACTOR, REQUEST_DEPS
from bot.web.render import locale_of, render, whole_number

NAV = ("/admin/gaps", "web_nav_gaps")
SHOWS = ("open", "handled", "all")
PERIODS = (7, 30, 90, 365)


def allowed(actor: Actor) -> bool:
    return actor.is_super


def _days(raw: object) -> int:
    days = whole_number(raw, digits=3)
    return days if days in PERIODS else 30


@admin_required
async def gap_list(request: web.Request) -> web.Response:
    actor, deps = request[ACTOR], request[REQUEST_DEPS]
    show = request.query.get("show", "open")
    show = show if show in SHOWS else "open"
    days = _days(request.query.get("days"))
    rows = await gaps.top_gaps(deps, actor, deps.clock.now(), days=days, limit=50, show=show)
    done = request.query.get("done")
    return await render(request, "gaps.html", title="web_nav_gaps", rows=rows, show=show, shows=SHOWS, days=days,
                        periods=PERIODS, error=None, done=done if done in ("handled", "reopened") else None)


@admin_required
async def mark(request: web.Request) -> web.StreamResponse:
    actor, deps = request[ACTOR], request[REQUEST_DEPS]
    fields = await post_form(request)
    back = f"show={fields.get('show', 'open') if fields.get('show') in SHOWS else 'open'}&days={_days(fields.get('days'))}"
    try:
        if fields.get("undo"):
            await gaps.unmark(deps, actor, fields.get("query", ""))
        else:
            await gaps.mark_handled(deps, actor, fields.get("query", ""), deps.clock.now(), fields.get("note", ""))
    except gaps.GapError as exc:
        return await render(request, "gaps.html", status=400, title="web_nav_gaps", rows=[], show="open", shows=SHOWS,
                            days=30, periods=PERIODS, done=None,
                            error=tr(await locale_of(request), exc.key, **exc.values))
    raise web.HTTPSeeOther(f"/admin/gaps?{back}&done={'reopened' if fields.get('undo') else 'handled'}")


def routes() -> list[web.RouteDef]:
    return [web.get("/admin/gaps", gap_list), web.post("/admin/gaps/mark", mark)]
