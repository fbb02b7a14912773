"""题库: browse, search and filter the bank (law, type, tag, in use / retired; paged), one
question with the article it cites and its item statistics, edit (validated as an import row is),
retire or bring back, import a file with a preview, export. Every rule is in bot/services/bank.py;
this module parses requests and renders results."""

from __future__ import annotations

import asyncio
from urllib.parse import quote

from aiohttp import web

from bot.catalog.bank_io.messages import problem_text
from bot.domain.models import LETTERS
from bot.services import bank as svc
from bot.web.auth import admin_required, post_form
from bot.web.keys import ACTOR, REQUEST_DEPS
from bot.web.render import Paging, attachment, locale_of, render, whole_number

NAV = ("/admin/bank", "web_nav_bank")
MAX_FIELD = 4000


async def _message(request: web.Request, key: str, values: dict, *, ok: bool = False, lines: list[str] | None = None,
                   status: int = 200) -> web.Response:
    return await render(request, "bank_message.html", status=status, title="web_nav_bank", message_key=key,
                        message_values=values, ok=ok, lines=lines or [])


@admin_required
async def bank_page(request: web.Request) -> web.Response:
    actor, deps = request[ACTOR], request[REQUEST_DEPS]
    paging = Paging.parse(request, size=50, max_size=100)
    q = request.query
    query = svc.BankQuery(text=q.get("q", "")[:60], law=q.get("law", "")[:60], type=q.get("type", "")[:20],
                          tag=q.get("tag", "")[:60], status=q.get("status", "active"), page=paging.page,
                          size=paging.size if paging.size in svc.PAGE_SIZES else 50)
    page = await svc.search_questions(deps, actor, query)
    return await render(request, "bank.html", title="web_nav_bank", page=page, query=query, paging=paging,
                        can_edit=actor.is_super)


SUB_FIELDS = ("id", "type", "stem", "options", "answer", "explanation", "law", "article")


def _sub_values(q, locale: str) -> list[dict]:
    """A material's sub-question slots as the form shows them (existing ones, then empty ones)."""
    subs = [{"id": s.id, "type": s.type.value, "stem": s.stem, "options": "\n".join(s.options),
             "answer": svc.answer_text(s, locale), "explanation": s.explanation, "law": s.cite.law,
             "article": str(s.cite.article)} for s in q.subs]
    blank = {"type": "single", "law": q.cite.law} if q.subs else {"type": "single"}
    return subs + [{k: blank.get(k, "") for k in SUB_FIELDS} for _ in range(svc.SUB_SLOTS - len(subs))]


def _form_values(detail_q, locale: str, form=None) -> dict:
    """What the edit form shows: the question, or what was just submitted."""
    if form is not None:
        return dict(form)
    return {"stem": detail_q.stem, "options": "\n".join(detail_q.options), "answer": svc.answer_text(detail_q, locale),
            "explanation": detail_q.explanation, "law": detail_q.cite.law, "article": str(detail_q.cite.article),
            "tags": ", ".join(detail_q.tags), "difficulty": str(detail_q.difficulty),
            "subs": _sub_values(detail_q, locale) if detail_q.subs else []}


async def _detail(request: web.Request, question_id: str, *, form=None, errors: list[str] | None = None,
                  status: int = 200, notice: str = "", base: str | None = None,
                  conflict: bool = False) -> web.Response:
    actor, deps = request[ACTOR], request[REQUEST_DEPS]
    try:
        detail = await svc.question_detail(deps, actor, question_id)
    except svc.BankError as exc:
        return await _message(request, exc.key, exc.values, status=404)
    locale = await locale_of(request)
    return await render(request, "bank_question.html", status=status, title="web_nav_bank", d=detail,
                        q=detail.question, letters=LETTERS, values=_form_values(detail.question, locale, form),
                        errors=errors or [], can_edit=actor.is_super, notice=notice, conflict=conflict,
                        base=base or svc.question_stamp(detail.question),
                        answer=svc.answer_text(detail.question, locale),
                        sub_answers=[svc.answer_text(s, locale) for s in detail.question.subs])


@admin_required
async def question_page(request: web.Request) -> web.Response:
    return await _detail(request, request.match_info["qid"][:60], notice=request.query.get("done", ""))


@admin_required
async def edit(request: web.Request) -> web.Response:
    actor, deps = request[ACTOR], request[REQUEST_DEPS]
    qid = request.match_info["qid"][:60]
    form = await post_form(request)
    actor.require_super()
    locale = await locale_of(request)
    text = {k: str(form.get(k, ""))[:MAX_FIELD] for k in ("stem", "options", "answer", "explanation", "law",
                                                           "article", "tags", "difficulty")}
    subs = [{k: str(form.get(f"sub{n}_{k}", ""))[:MAX_FIELD] for k in SUB_FIELDS}
            for n in range(1, svc.SUB_SLOTS + 1)]
    tags = [t for t in text["tags"].replace("，", ",").replace("、", ",").split(",")]
    base = str(form.get("base", ""))[:40]
    cmd = svc.EditQuestion(question_id=qid, stem=text["stem"], options=text["options"].splitlines(),
                           answer=text["answer"], explanation=text["explanation"], law=text["law"],
                           article=text["article"], tags=tags, difficulty=text["difficulty"],
                           subs=[svc.EditSub(id=sub["id"], type=sub["type"], stem=sub["stem"],
                                             options=sub["options"].splitlines(), answer=sub["answer"],
                                             explanation=sub["explanation"], law=sub["law"], article=sub["article"])
                                 for sub in subs], base=base)
    try:
        await svc.edit_question(deps, actor, cmd, locale)
    except svc.EditConflict:  # another admin saved it since this form was opened: theirs above, the typed text kept
        current = deps.catalog.questions.get(qid)
        return await _detail(request, qid, form={**text, "subs": subs}, status=409,
                             base=svc.question_stamp(current) if current is not None else None, conflict=True)
    except svc.BankError as exc:
        if exc.key == "bank_edit_refused":
            return await _detail(request, qid, form={**text, "subs": subs}, errors=exc.lines, status=400, base=base)
        return await _message(request, exc.key, exc.values, lines=exc.lines, status=400)
    raise web.HTTPSeeOther(f"/admin/bank/q/{quote(qid)}?done=saved")


@admin_required
async def retire(request: web.Request) -> web.Response:
    actor, deps = request[ACTOR], request[REQUEST_DEPS]
    qid = request.match_info["qid"][:60]
    form = await post_form(request)
    back = form.get("restore") != "1"
    try:
        await svc.retire_question(deps, actor, qid, str(form.get("reason", ""))[:500], retire=back)
    except svc.BankError as exc:
        return await _message(request, exc.key, exc.values, lines=exc.lines, status=400)
    raise web.HTTPSeeOther(f"/admin/bank/q/{quote(qid)}?done={'retired' if back else 'restored'}")


@admin_required
async def import_page(request: web.Request) -> web.Response:
    request[ACTOR].require_super()
    return await render(request, "bank_import.html", title="web_nav_bank", preview=None, problems=[], dups=[])


@admin_required
async def import_preview(request: web.Request) -> web.Response:
    actor, deps = request[ACTOR], request[REQUEST_DEPS]
    form = await post_form(request)
    actor.require_super()
    field = form.get("file")
    if field is None or not hasattr(field, "file"):
        return await _message(request, "web_bank_no_file", {}, status=400)
    data = await asyncio.to_thread(field.file.read)
    try:
        preview = await svc.preview_import(deps, actor, field.filename or "", data)
    except svc.BankError as exc:
        return await _message(request, exc.key, exc.values, lines=exc.lines, status=400)
    locale = await locale_of(request)
    problems = [problem_text(p, locale, with_file=False) for p in preview.result.problems[:200]]
    dups = [d.text(locale, with_file=False) for d in preview.result.duplicates[:200]]
    return await render(request, "bank_import.html", title="web_nav_bank", preview=preview, problems=problems,
                        dups=dups)


@admin_required
async def import_apply(request: web.Request) -> web.Response:
    actor, deps = request[ACTOR], request[REQUEST_DEPS]
    form = await post_form(request)
    upload_id = whole_number(form.get("upload"))
    if upload_id is None:
        return await _message(request, "bank_upload_gone", {}, status=400)
    if form.get("cancel") == "1":
        await svc.drop_upload(deps, actor, upload_id)
        return await _message(request, "bank_cancelled", {}, ok=True)
    locale = await locale_of(request)
    try:
        done = await svc.apply_import(deps, actor, upload_id, form.get("skip") == "1", locale)
    except svc.BankError as exc:
        return await _message(request, exc.key, {**exc.values, "lines": "\n".join(exc.lines)}, lines=exc.lines,
                              status=400)
    return await _message(request, "web_bank_imported", {"name": done.name, "added": done.added,
                                                         "updated": done.updated, "skipped": done.skipped,
                                                         "total": done.total}, ok=True)


@admin_required
async def export(request: web.Request) -> web.Response:
    actor, deps = request[ACTOR], request[REQUEST_DEPS]
    fmt = request.query.get("fmt", "xlsx")
    if fmt not in ("xlsx", "csv"):  # the service's refusal is the chat's usage line
        return await _message(request, "web_bank_export_format", {}, status=400)
    try:
        name, data, _n = await svc.export_bank(deps, actor, fmt, request.query.get("law", "")[:60],
                                               request.query.get("tag", "")[:60])
    except svc.BankError as exc:
        return await _message(request, exc.key, exc.values, status=400)
    kind = ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" if fmt == "xlsx"
            else "text/csv; charset=utf-8")
    return web.Response(body=data, headers={"Content-Type": kind, "Cache-Control": "no-store",
                                            "Content-Disposition": attachment(name)})


@admin_required
async def template(request: web.Request) -> web.Response:
    deps = request[REQUEST_DEPS]
    data = await asyncio.to_thread(svc.template_bytes, deps)
    return web.Response(body=data, headers={
        "Content-Type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "Cache-Control": "no-store",
        "Content-Disposition": "attachment; filename=\"bank-template.xlsx\"; filename*=UTF-8''"
                               + quote(svc.TEMPLATE.name)})


def routes() -> list[web.RouteDef]:
    qid = r"{qid:[\w\-.]{1,60}}"
    return [
        web.get("/admin/bank", bank_page),
        web.get(f"/admin/bank/q/{qid}", question_page),
        web.post(f"/admin/bank/q/{qid}/edit", edit),
        web.post(f"/admin/bank/q/{qid}/retire", retire),
        web.get("/admin/bank/import", import_page),
        web.post("/admin/bank/import", import_preview),
        web.post("/admin/bank/import/apply", import_apply),
        web.get("/admin/bank/export", export),
        web.get("/admin/bank/template", template),
    ]
