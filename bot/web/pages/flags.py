"""公平性提示 in the console: the fair-exam flags of one official exam (bot/services/flags.py), each
with the people it names and its evidence, for the admin's unit and the units below it. The
总览 page of the exam shows their count and links here. A unit outside the admin's subtree is
403 (services.flags refuses it); flags are for checking, never a penalty."""

from __future__ import annotations

from aiohttp import web

from bot.services import flag_words as words
from bot.services import flags
from bot.services.stats_files import person_name
from bot.texts import tr
from bot.web.auth import admin_required
from bot.web.keys import ACTOR, REQUEST_DEPS
from bot.web.render import locale_of, render, unknown_unit_page

NAV = None  # reached from the 总览 page of an exam


def _who(locale: str, person: flags.Person | None, tree) -> str:
    if person is None:
        return tr(locale, "fair_person_gone")
    if person.outside:
        return tr(locale, "fair_person_outside", unit=tree.name(person.unit_id))
    return tr(locale, "fair_person", name=person_name(locale, person.staff_no, person.name), staff_no=person.staff_no,
              unit=tree.name(person.unit_id))


@admin_required
async def flag_list(request: web.Request) -> web.Response:
    actor, deps = request[ACTOR], request[REQUEST_DEPS]
    exam_id = (request.query.get("exam") or "")[:80]
    unit = (request.query.get("unit") or "")[:80] or None
    definition = deps.catalog.exams.get(exam_id)
    if definition is None or not definition.official:
        return await render(request, "error.html", status=404, code=404, message_key="stats_web_no_exam",
                            message_values={"exam": exam_id[:40]})
    if unit is not None and unit not in actor.tree:  # as the 总览 of an unknown unit (a super admin covers any id)
        return await unknown_unit_page(request, unit)
    views = await flags.list_flags(deps, actor, exam_id, unit)  # Forbidden outside the subtree -> 403
    locale = await locale_of(request)
    tree, zone = actor.tree, deps.config.timezone
    shown = unit or actor.role.unit
    rows = [{"id": v.record.id, "kind": v.record.kind, "kind_label": words.kind_label(locale, v.record.kind),
             "person": _who(locale, v.person, tree), "unit": tree.name(v.record.unit_id), "makeup": v.record.phase == "makeup",
             "other": _who(locale, v.other, tree) if v.record.other_roster_id else "",
             "evidence": words.evidence_text(locale, v, tree, zone), "at": v.record.created_at} for v in views]
    return await render(request, "flags.html", title="web_flags_title", exam=definition,
                        exam_title=definition.title_for(locale), exam_id=exam_id, unit=unit,
                        unit_name=tree.name(shown) if shown else None, rows=rows,
                        kinds=flags.counts(views))


def routes() -> list[web.RouteDef]:
    return [web.get("/admin/flags", flag_list)]
