"""操作日志: the audit log, newest first, paged on the server, within the admin's scope
(?unit= narrows to a unit's subtree; a unit outside the scope is 403, an unknown one 404). The pager's links carry a
cursor (`after=` the oldest entry shown for 下一页, `before=` the newest for 上一页, `last=1`
for »), so a deep page is read from the index at the cursor instead of counting past every newer
entry; `page=` is only the number shown (a bare ?page=N still works, by offset) and `n=` the total
the first page counted (the cursor pages do not count again)."""

from __future__ import annotations

import json
from dataclasses import replace

from aiohttp import web

from bot.services import audit
from bot.web.auth import admin_required
from bot.web.keys import ACTOR, REQUEST_DEPS
from bot.web.render import Paging, render, unknown_unit_page, whole_number

NAV = ("/admin/audit", "web_nav_audit")
GROUPS = ("exam", "roster", "bank", "notice", "gap", "web")  # action prefixes offered as filters


def _pretty(value: dict | None) -> str:
    return "" if value is None else json.dumps(value, ensure_ascii=False, indent=1, sort_keys=True)


@admin_required
async def audit_page(request: web.Request) -> web.Response:
    actor, deps = request[ACTOR], request[REQUEST_DEPS]
    paging = Paging.parse(request, size=50, max_size=200)
    unit = request.query.get("unit") or None
    if unit is not None and unit not in actor.tree:  # 404 as on 总览; a unit outside the scope: 403
        return await unknown_unit_page(request, unit)
    action = request.query.get("action") or None
    q = request.query
    after, before, last = q.get("after") or None, q.get("before") or None, q.get("last") == "1"
    cursor = last or audit.parse_cursor(after) is not None or audit.parse_cursor(before) is not None
    page = await audit.entries(deps, actor, offset=0 if cursor else paging.offset, limit=paging.size, unit=unit,
                               action=action, after=after, before=before, last=last,
                               total=whole_number(q.get("n"), digits=11))
    if last:
        paging = replace(paging, page=paging.pages(page.total))
    rows = [{"entry": e, "unit_name": actor.tree.name(e.unit_id) if e.unit_id else "",
             "before": _pretty(e.before), "after": _pretty(e.after)} for e in page.entries]
    return await render(request, "audit.html", title="web_nav_audit", rows=rows, total=page.total, paging=paging,
                        unit=unit, unit_name=actor.tree.name(unit) if unit else None, action=action or "",
                        groups=GROUPS, cursor_links=_cursor_links(paging, page.total, page.newest_cursor,
                                                                  page.oldest_cursor))


def _cursor_links(paging: Paging, total: int, newest: str | None, oldest: str | None) -> dict[str, dict[str, object]]:
    """The pager's query changes per link (None drops the parameter): « is a fresh first page (it
    counts again); ‹ reads before the newest entry shown (by offset when it leads to page 1); ›
    after the oldest; » the last page. All but « carry the counted total as n=."""
    back = paging.page > 2
    return {"first": {"after": None, "before": None, "last": None, "n": None},
            "prev": {"after": None, "before": newest if back else None, "last": None, "n": total if back else None},
            "next": {"after": oldest, "before": None, "last": None, "n": total},
            "last": {"after": None, "before": None, "last": 1, "n": total}}


def routes() -> list[web.RouteDef]:
    return [web.get("/admin/audit", audit_page)]
