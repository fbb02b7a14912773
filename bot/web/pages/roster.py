"""人员名册: search people by name or 工号 (paged and sorted in SQL), upload a roster file with a
preview and its bad rows (nothing imported while any row is bad), and per person: move to another
unit, unbind chat accounts, issue a bind code, erase personal data after a confirmation. Every
rule is in bot/services/roster.py; this module parses requests and renders results."""

from __future__ import annotations

import asyncio

from aiohttp import web

from bot.catalog.bank_io.messages import localise
from bot.services import roster as svc
from bot.web.auth import admin_required, post_form
from bot.web.keys import ACTOR, REQUEST_DEPS
from bot.web.render import Paging, locale_of, render, unknown_unit_page, whole_number

NAV = ("/admin/roster", "web_nav_roster")
SORTS = ("staff_no", "name", "unit")


def _units(actor) -> list[tuple[str, str]]:
    """(id, indented name) of the units the actor manages, in tree order."""
    tree = actor.tree
    out: list[tuple[str, str]] = []

    def walk(unit_id: str, depth: int) -> None:
        out.append((unit_id, "　" * depth + tree.name(unit_id)))
        for child in tree.children(unit_id):
            walk(child, depth + 1)

    for root in ([actor.role.unit] if actor.role.unit else tree.roots()):
        if root in tree:
            walk(root, 0)
    return out


def _int(text: object) -> int | None:
    return whole_number(text)


async def _refused(request: web.Request, exc: svc.RosterError, status: int = 400, **context) -> web.Response:
    locale = await locale_of(request)  # a file reader's reason comes in English (imp_* texts)
    values = {k: localise(v, locale) if k == "reason" and isinstance(v, str) else v for k, v in exc.values.items()}
    return await render(request, "roster_message.html", status=status, title="web_nav_roster",
                        message_key=exc.key, message_values=values, **context)


@admin_required
async def roster_page(request: web.Request) -> web.Response:
    actor, deps = request[ACTOR], request[REQUEST_DEPS]
    paging = Paging.parse(request, sorts=SORTS, default="staff_no", size=50, max_size=100)
    text = request.query.get("q", "")[:40]
    unit = request.query.get("unit") or None
    if unit is not None and unit not in actor.tree:  # 404 as on 总览; a unit outside the scope: 403
        return await unknown_unit_page(request, unit)
    query = svc.SearchPeople(text=text, unit=unit, page=paging.page, size=paging.size if paging.size in
                             svc.PAGE_SIZES else 50, sort=paging.sort, desc=paging.descending)
    page = await svc.search_people(deps, actor, query)
    return await render(request, "roster.html", title="web_nav_roster", page=page, paging=paging, q=text,
                        unit=unit or "", units=_units(actor), notice=request.query.get("done", ""))


@admin_required
async def upload(request: web.Request) -> web.Response:
    actor, deps = request[ACTOR], request[REQUEST_DEPS]
    form = await post_form(request)
    field = form.get("file")
    if field is None or not hasattr(field, "file"):
        return await _refused(request, svc.RosterError("web_roster_no_file"))
    data = await asyncio.to_thread(field.file.read)
    try:
        preview = await svc.preview_roster(deps, actor, field.filename or "", data)
    except svc.RosterError as exc:
        return await _refused(request, exc)
    locale = await locale_of(request)
    errors = [(e.row, localise(e.reason, locale)) for e in preview.errors]
    return await render(request, "roster_preview.html", status=200 if preview.ok else 400, title="web_nav_roster",
                        preview=preview, errors=errors, can_replace=actor.is_super)


@admin_required
async def import_upload(request: web.Request) -> web.Response:
    actor, deps = request[ACTOR], request[REQUEST_DEPS]
    form = await post_form(request)
    upload_id = _int(form.get("upload"))
    if upload_id is None:
        return await _refused(request, svc.RosterError("roster_upload_gone"))
    try:
        done = await svc.import_roster(deps, actor, upload_id, replace=form.get("replace") == "1")
    except svc.RosterError as exc:
        return await _refused(request, exc)
    return await render(request, "roster_message.html", title="web_nav_roster", message_key="web_roster_imported",
                        message_values={"name": done.filename, "added": done.added, "updated": done.updated,
                                        "gone": done.deactivated}, ok=True)


async def _person_view(request: web.Request, template: str, **values) -> web.Response:
    """`template` showing the roster person /<id> of the URL, with `values`: 404 when there is no such
    (or an erased) person, 403 (Forbidden, from get_person) for a person outside the admin's scope."""
    roster_id = _int(request.match_info["id"])
    if roster_id is None:
        raise web.HTTPNotFound()
    try:
        person = await svc.get_person(request[REQUEST_DEPS], request[ACTOR], roster_id)
    except svc.RosterError as exc:
        return await _refused(request, exc, status=404)
    return await render(request, template, title="web_nav_roster", person=person, **values)


@admin_required
async def person_page(request: web.Request) -> web.Response:
    return await _person_view(request, "roster_person.html", units=_units(request[ACTOR]),
                              notice=request.query.get("done", ""), code=None)


@admin_required
async def person_action(request: web.Request) -> web.Response:
    """POST /admin/roster/person/<id>/<move|unbind|code|erase> (the route admits only these)."""
    actor, deps = request[ACTOR], request[REQUEST_DEPS]
    action = request.match_info["action"]
    roster_id = _int(request.match_info["id"])
    if roster_id is None:
        raise web.HTTPNotFound()
    form = await post_form(request)
    try:
        if action == "move":
            await svc.move_person(deps, actor, roster_id, (form.get("unit") or "")[:40])
        elif action == "unbind":
            await svc.unbind_person(deps, actor, roster_id, (form.get("platform") or None))
        elif action == "code":
            code = await svc.issue_bind_code(deps, actor, roster_id)
            return await render(request, "roster_person.html", title="web_nav_roster", person=code.person,
                                units=_units(actor), notice="", code=code)
        elif action == "erase":
            done = await svc.erase_person(deps, actor, roster_id, (form.get("confirm") or "")[:40])
            return await render(request, "roster_message.html", title="web_nav_roster", ok=True,
                                message_key="web_roster_erased",
                                message_values={"accounts": done.accounts, "rows": sum(done.changed.values())})
    except svc.RosterError as exc:
        if action == "erase" and exc.key == "roster_erase_confirm_mismatch":
            person = await svc.get_person(deps, actor, roster_id)
            return await render(request, "roster_erase.html", status=400, title="web_nav_roster", person=person,
                                mismatch=True)
        return await _refused(request, exc)
    raise web.HTTPSeeOther(f"/admin/roster/person/{roster_id}?done={action}")


@admin_required
async def erase_confirm(request: web.Request) -> web.Response:
    return await _person_view(request, "roster_erase.html", mismatch=False)


def routes() -> list[web.RouteDef]:
    return [
        web.get("/admin/roster", roster_page),
        web.post("/admin/roster/upload", upload),
        web.post("/admin/roster/import", import_upload),
        web.get(r"/admin/roster/person/{id:\d+}", person_page),
        web.get(r"/admin/roster/person/{id:\d+}/erase", erase_confirm),
        web.post(r"/admin/roster/person/{id:\d+}/{action:move|unbind|code|erase}", person_action),
    ]
