"""操作日志: the audit log, newest first, paged on the server, within the admin's scope
(?unit= narrows to a unit's subtree; a unit outside the scope is 403)."""

from __future__ import annotations

import json

from aiohttp import web

from bot.services import audit
from bot.web.auth import admin_required
from bot.web.render import Paging, render

NAV = ("/admin/audit", "web_nav_audit")
GROUPS = ("exam", "roster", "bank", "notice", "gap", "web")  # action prefixes offered as filters


def _pretty(value: dict | None) -> str:
    return "" if value is None else json.dumps(value, ensure_ascii=False, indent=1, sort_keys=True)


@admin_required
async def audit_page(request: web.Request) -> web.Response:
    actor, deps = request["actor"], request["deps"]
    paging = Paging.parse(request, size=50, max_size=200)
    unit = request.query.get("unit") or None
    action = request.query.get("action") or None
    page = await audit.entries(deps, actor, offset=paging.offset, limit=paging.size, unit=unit, action=action)
    rows = [{"entry": e, "unit_name": actor.tree.name(e.unit_id) if e.unit_id else "",
             "before": _pretty(e.before), "after": _pretty(e.after)} for e in page.entries]
    return await render(request, "audit.html", title="web_nav_audit", rows=rows, total=page.total, paging=paging,
                        unit=unit, unit_name=actor.tree.name(unit) if unit else None, action=action or "",
                        groups=GROUPS)


def routes() -> list[web.RouteDef]:
    return [web.get("/admin/audit", audit_page)]
