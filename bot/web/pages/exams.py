"""考试管理: the official exams (YAML and console-made) with their windows and phase; create and
edit a console exam in a form (validated like `lawbot content check`); open, close, extend a
window and open the 补考. Every rule is in bot.services.exams; this module parses and renders."""

from __future__ import annotations

from dataclasses import replace

from aiohttp import web

from bot.domain.models import QType
from bot.services import exams
from bot.services.rights import Actor
from bot.texts import tr
from bot.web.auth import admin_required, post_form
from bot.web.keys import ACTOR, REQUEST_DEPS
from bot.web.render import locale_of, render, whole_number

NAV = ("/admin/exams", "web_nav_exams")
DONE = exams.KINDS + ("created", "updated")
FIELDS = ("id", "title_zh", "title_en", "time_limit", "pass_mark", "attempts", "final_score", "opens", "closes",
          "makeup_opens", "makeup_closes", "makeup_attempts", "roles", "prereq_points", "prereq_practice",
          "prereq_days", "prereq_hours", "study_from", "per_question")
EMPTY_LINE: dict[str, object] = {"type": "", "count": "", "points": "", "tag": "", "partial": False}


def allowed(actor: Actor) -> bool:
    return True  # a unit admin sees the exams for their units and may create ones for them


def _units(actor: Actor) -> list[tuple[str, str]]:
    """The units this actor may target, in tree order, with indented names."""
    tree = actor.tree
    scope = actor.scope()
    out = []
    for unit_id in tree.units:
        if unit_id in scope:
            depth = len(tree.ancestors(unit_id) or [unit_id]) - 1
            out.append((unit_id, "　" * depth + tree.name(unit_id)))
    return out


def _form_values(form: exams.ExamForm | None) -> dict[str, object]:
    """The form's fields as the template fills them in."""
    if form is None:
        values: dict[str, object] = {k: "" for k in FIELDS}
        values.update(bp=[dict(EMPTY_LINE) for _ in range(exams.MAX_LINES)], units=[], final_score="best",
                      attempts=1, makeup_attempts=1)
        return values

    def local(value):
        return value.strftime("%Y-%m-%dT%H:%M") if value else ""

    bp: list[dict[str, object]] = [
        {"type": line.type.value, "count": line.count, "points": f"{line.points:g}",
         "tag": line.tags[0] if line.tags else "", "partial": line.partial} for line in form.blueprint]
    bp += [dict(EMPTY_LINE) for _ in range(exams.MAX_LINES - len(bp))]
    return {"id": form.id, "title_zh": form.title_zh, "title_en": form.title_en, "time_limit": form.time_limit_minutes,
            "pass_mark": f"{form.pass_mark:g}", "attempts": form.attempts_allowed, "final_score": form.final_score,
            "opens": local(form.opens), "closes": local(form.closes), "makeup_opens": local(form.makeup_opens),
            "makeup_closes": local(form.makeup_closes), "makeup_attempts": form.makeup_attempts,
            "units": list(form.units), "roles": "、".join(form.roles), "prereq_points": form.prereq_points or "",
            "prereq_practice": form.prereq_practice_answers or "", "prereq_days": form.prereq_study_days or "",
            "prereq_hours": f"{form.prereq_study_hours:g}" if form.prereq_study_hours else "",
            "study_from": form.study_from.strftime("%Y-%m-%d") if form.study_from else "", "bp": bp,
            "per_question": form.per_question_seconds or ""}


def _raw_values(fields) -> dict:
    """What the admin typed, to show the form again after a refusal."""
    values = {k: fields.get(k, "") for k in FIELDS}
    values["base"] = str(fields.get("base", ""))[:40]
    values["units"] = fields.getall("units", [])
    values["bp"] = [{"type": fields.get(f"bp_type_{i}", ""), "count": fields.get(f"bp_count_{i}", ""),
                     "points": fields.get(f"bp_points_{i}", ""), "tag": fields.get(f"bp_tag_{i}", ""),
                     "partial": bool(fields.get(f"bp_partial_{i}"))} for i in range(exams.MAX_LINES)]
    return values


async def _form_page(request: web.Request, *, editing: str | None, values: dict, errors: list[str],
                     status: int = 200) -> web.Response:
    actor, deps = request[ACTOR], request[REQUEST_DEPS]
    return await render(request, "exam_form.html", status=status, title="web_nav_exams", editing=editing,
                        v=values, errors=errors, units=_units(actor), tags=exams.bank_tags(deps)[:300],
                        types=[t.value for t in QType], zone=deps.config.timezone)


async def _list_page(request: web.Request, error: str | None = None, status: int = 200) -> web.Response:
    actor, deps = request[ACTOR], request[REQUEST_DEPS]
    now = deps.clock.now()
    rows = await exams.list_exams(deps, actor, now)
    done = request.query.get("done")
    done_exam = next((r.definition for r in rows if r.definition.id == request.query.get("exam")), None)
    return await render(request, "exams.html", status=status, title="web_nav_exams", rows=rows, tree=actor.tree,
                        done=done if done in DONE and done_exam and not error else None, done_exam=done_exam,
                        error=error, may_create=actor.is_super or bool(actor.role.unit), stamp=exams.window_stamp)


async def _refusal(request: web.Request, exc: exams.ExamError) -> web.Response:
    text = tr(await locale_of(request), exc.key, **await _values(request, request[REQUEST_DEPS], exc))
    return await _list_page(request, error=text, status=404 if exc.key == "exam_unknown" else 409)


@admin_required
async def exam_list(request: web.Request) -> web.Response:
    return await _list_page(request)


@admin_required
async def new_exam(request: web.Request) -> web.Response:
    return await _form_page(request, editing=None, values=_form_values(None), errors=[])


@admin_required
async def edit_exam(request: web.Request) -> web.Response:
    actor, deps = request[ACTOR], request[REQUEST_DEPS]
    exam_id = request.match_info["exam_id"]
    try:
        summary = await exams.get_exam(deps, actor, exam_id, deps.clock.now())
        if not summary.editable:
            raise exams.ExamError("exam_err_started", title=summary.definition.title)
        form = await exams.form_of(deps, actor, exam_id)
    except exams.ExamError as exc:
        return await _refusal(request, exc)
    return await _form_page(request, editing=exam_id, values={**_form_values(form), "base": exams.form_stamp(form)}, errors=[])


async def _values(request: web.Request, deps, exc: exams.ExamError) -> dict:
    """An ExamError's values ready for its text (titles in the page's language, times local)."""
    locale = await locale_of(request)
    out = {}
    for k, v in exc.values.items():
        if k == "title" and isinstance(v, dict):
            v = v.get(locale) or v.get("zh", "")
        elif k in ("opens", "closes") and isinstance(v, float):
            v = exams.when(deps, v)
        out[k] = v
    return out


async def _save(request: web.Request, editing: str | None) -> web.StreamResponse:
    actor, deps = request[ACTOR], request[REQUEST_DEPS]
    fields = await post_form(request)
    try:
        form = exams.parse_form(fields, fields.getall("units", []))
        if editing is not None:
            form = replace(form, id=editing)
            await exams.update_exam(deps, actor, form, deps.clock.now(), base=str(fields.get("base", ""))[:40])
        else:
            await exams.create_exam(deps, actor, form, deps.clock.now())
    except exams.EditConflict as exc:  # another admin saved it since the form was opened: show what is saved now
        assert editing is not None
        latest = await exams.form_of(deps, actor, editing)
        return await _form_page(request, editing=editing, values={**_form_values(latest), "base": exams.form_stamp(latest)},
                                status=409, errors=[tr(await locale_of(request), exc.key)])
    except exams.ExamInvalid as exc:
        errors = exams.problem_texts(await locale_of(request), exc)
        values = _raw_values(fields)
        if editing is not None:
            values["id"] = editing
        return await _form_page(request, editing=editing, values=values, errors=errors, status=400)
    except exams.ExamError as exc:
        lang = await locale_of(request)
        return await _form_page(request, editing=editing, values=_raw_values(fields), status=409,
                                errors=[tr(lang, exc.key, **await _values(request, deps, exc))])
    raise web.HTTPSeeOther(f"/admin/exams?done={'updated' if editing else 'created'}&exam={form.id}")


@admin_required
async def create(request: web.Request) -> web.StreamResponse:
    return await _save(request, None)


@admin_required
async def update(request: web.Request) -> web.StreamResponse:
    return await _save(request, request.match_info["exam_id"])


@admin_required
async def window(request: web.Request) -> web.StreamResponse:
    actor, deps = request[ACTOR], request[REQUEST_DEPS]
    fields = await post_form(request)
    exam_id = request.match_info["exam_id"]
    kind = fields.get("kind", "")
    days = fields.get("days", "7").strip()
    try:
        definition = deps.catalog.exams.get(exam_id)  # admin_required took in other workers' exams
        if definition is None or not definition.official:  # the service would answer with the chat's usage line
            raise exams.ExamError("exam_unknown", id=exam_id[:40])
        number = whole_number(days, digits=4)
        if number is None:
            raise exams.ExamError("exam_err_days")
        await exams.move_window(deps, actor, exam_id, kind, deps.clock.now(), number,
                                base=str(fields.get("base", ""))[:80])  # compared where the window is written
    except exams.ExamError as exc:
        return await _refusal(request, exc)
    raise web.HTTPSeeOther(f"/admin/exams?done={kind}&exam={exam_id}")


def routes() -> list[web.RouteDef]:
    return [web.get("/admin/exams", exam_list), web.get("/admin/exams/new", new_exam),
            web.post("/admin/exams/new", create), web.get("/admin/exams/{exam_id}/edit", edit_exam),
            web.post("/admin/exams/{exam_id}/edit", update), web.post("/admin/exams/{exam_id}/window", window)]
