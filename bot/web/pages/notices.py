"""通知: compose a broadcast, preview its audience per unit, schedule it (quiet hours respected),
watch its progress and cancel it. Every rule is in bot.services.notices (the chat's /broadcast
uses the same functions)."""

from __future__ import annotations

import secrets
from datetime import datetime
from zoneinfo import ZoneInfo

from aiohttp import web

from bot.services import notices
from bot.texts import tr
from bot.web.auth import admin_required, post_form
from bot.web.keys import ACTOR, REQUEST_DEPS
from bot.web.render import locale_of, render, whole_number

NAV = ("/admin/notices", "web_nav_notices")


async def _sender(request: web.Request) -> notices.Sender:
    """The broadcast role of the logged-in admin, as the chat's /broadcast decides it."""
    deps, actor = request[REQUEST_DEPS], request[ACTOR]
    role = await notices.directory(deps).role_of(actor.user)
    return notices.Sender(actor.user, role) if role is not None else notices.sender_of(actor)


def _at(deps, raw: str) -> float | None:
    """A datetime-local field (local time of the configured zone) -> epoch seconds; '' = now."""
    raw = (raw or "").strip().replace(" ", "T", 1)
    if not raw:
        return None
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise notices.NoticeError("notice_err_time") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(deps.config.timezone))
    return moment.timestamp()


async def _list_page(request: web.Request, *, text: str = "", at: str = "", error: str | None = None,
                     status: int = 200) -> web.Response:
    deps = request[REQUEST_DEPS]
    sender = await _sender(request)
    campaigns = await notices.recent(deps, sender, 20)
    done = request.query.get("done")
    return await render(request, "notices.html", status=status, title="web_nav_notices", campaigns=campaigns,
                        text=text, at=at, error=error, done=done if done in ("scheduled", "cancelled") else None,
                        done_id=request.query.get("id", "")[:12], max_chars=notices.MAX_BROADCAST,
                        scope=sender.role.unit)


async def _refusal(request: web.Request, exc: notices.NoticeError, **keep) -> web.Response:
    return await _list_page(request, error=tr(await locale_of(request), exc.key, **exc.values), status=400, **keep)


@admin_required
async def notice_list(request: web.Request) -> web.Response:
    return await _list_page(request)


@admin_required
async def preview(request: web.Request) -> web.Response:
    deps = request[REQUEST_DEPS]
    fields = await post_form(request)
    text, at_raw = fields.get("text", ""), fields.get("at", "")
    try:
        starts, moved = notices.start_of(deps, deps.clock.now(), _at(deps, at_raw))
        result = await notices.preview(deps, notices.directory(deps), await _sender(request), text)
    except notices.NoticeError as exc:
        return await _refusal(request, exc, text=text[:notices.MAX_BROADCAST * 2], at=at_raw)
    return await render(request, "notice_preview.html", title="web_nav_notices", preview=result, at=at_raw,
                        starts=starts or None, quiet_moved=moved, key=secrets.token_urlsafe(12))


@admin_required
async def schedule(request: web.Request) -> web.StreamResponse:
    deps = request[REQUEST_DEPS]
    fields = await post_form(request)
    text, at_raw = fields.get("text", ""), fields.get("at", "")
    key = "".join(c for c in fields.get("key", "") if c.isalnum() or c in "-_")[:40]
    sender = await _sender(request)
    try:
        done = await notices.schedule(deps, notices.directory(deps), sender, text, deps.clock.now(),
                                      at=_at(deps, at_raw), key=f"web:{sender.user}:{key}" if key else None)
    except notices.NoticeError as exc:
        return await _refusal(request, exc, text=text[:notices.MAX_BROADCAST * 2], at=at_raw)
    raise web.HTTPSeeOther(f"/admin/notices/{done.campaign_id}?done=scheduled")


@admin_required
async def detail(request: web.Request) -> web.Response:
    deps = request[REQUEST_DEPS]
    campaign_id = request.match_info["campaign_id"]
    try:
        number = whole_number(campaign_id)
        if number is None:
            raise notices.NoticeError("bc_unknown", id=campaign_id[:12])
        progress = await notices.progress(deps, await _sender(request), number)
    except notices.NoticeError as exc:
        return await render(request, "notice_detail.html", status=404, title="web_nav_notices", progress=None,
                            error=tr(await locale_of(request), exc.key, **exc.values), done=None)
    done = request.query.get("done")
    return await render(request, "notice_detail.html", title="web_nav_notices", progress=progress, error=None,
                        done=done if done in ("scheduled", "cancelled") else None,
                        cancelled_n=request.query.get("n", "")[:8])


@admin_required
async def cancel(request: web.Request) -> web.StreamResponse:
    deps = request[REQUEST_DEPS]
    await post_form(request)
    campaign_id = request.match_info["campaign_id"]
    try:
        number = whole_number(campaign_id)
        if number is None:
            raise notices.NoticeError("bc_unknown", id=campaign_id[:12])
        stopped = await notices.cancel(deps, await _sender(request), number, deps.clock.now())
    except notices.NoticeError as exc:
        return await _refusal(request, exc)
    raise web.HTTPSeeOther(f"/admin/notices/{campaign_id}?done=cancelled&n={stopped}")


def routes() -> list[web.RouteDef]:
    return [web.get("/admin/notices", notice_list), web.post("/admin/notices/preview", preview),
            web.post("/admin/notices/schedule", schedule), web.get("/admin/notices/{campaign_id}", detail),
            web.post("/admin/notices/{campaign_id}/cancel", cancel)]
