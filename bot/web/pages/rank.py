"""排行榜 in the console: units ranked by 参学率, average score or points per person for this
week, month or year, and the people of a unit, through the same service as /rank in chat
(bot/app/ranking.py). Full names only within the admin's own subtree; another unit's people
are refused with 403, as in chat."""

from __future__ import annotations

from aiohttp import web

from bot.app.ranking import Leaderboards, RankDenied, RankQuery
from bot.domain.ranking import UNIT_METRICS
from bot.domain.study_time import PERIODS, format_hours
from bot.services.org import Org
from bot.services.rights import Forbidden
from bot.web.auth import admin_required
from bot.web.keys import ACTOR, REQUEST_DEPS
from bot.web.render import render, unknown_unit_page

NAV = ("/admin/rank", "web_nav_rank")


@admin_required
async def rank_page(request: web.Request) -> web.Response:
    actor, deps = request[ACTOR], request[REQUEST_DEPS]
    period = request.query.get("period", "week")
    metric = request.query.get("metric", "rate")
    unit = (request.query.get("unit") or "")[:80] or (None if actor.is_super else actor.role.unit)
    if period not in PERIODS or metric not in UNIT_METRICS:
        raise web.HTTPBadRequest()  # the console's 400 page (bot/web/app.py), in Chinese
    query = RankQuery(actor.user, period, metric, unit)
    try:
        board = await Leaderboards(deps, Org(deps)).board(query, deps.clock.now())
    except RankDenied as exc:
        if exc.args and exc.args[0] == "rank_no_unit" and unit is not None:
            return await unknown_unit_page(request, unit)
        raise Forbidden("admin_not_your_unit") from None
    units = [{"row": u, "link": actor.covers(u.unit_id)} for u in board.units]
    people = [{"row": p, "hours": format_hours(p.seconds)} for p in board.people]
    return await render(request, "rank.html", title="web_nav_rank", board=board, units=units, people=people,
                        period=period, metric=metric, periods=PERIODS, metrics=UNIT_METRICS)


def routes() -> list[web.RouteDef]:
    return [web.get("/admin/rank", rank_page)]
