"""Question-bank use cases (bot/services/bank.py): browse and filter, the detail with the cited
article, edits validated as imports are, retirement, and both reaching another worker through a
bank version. The catalogs are copies whose root is a temp folder (the repository's bank is never
written)."""

from __future__ import annotations

import pytest

from bot.bank_sync import BankSync
from bot.domain.models import ExamDefinition, QType
from bot.domain.units import Unit
from bot.services import bank as svc
from bot.services.rights import Forbidden, actor_for
from tests.support.bank_apps import ROOT, worker_app

UNIT_ADMIN = "cli:unit-a"


@pytest.fixture
async def app(tmp_path):
    app = await worker_app(tmp_path, "root-1")
    await app.storage.roster.upsert_units([Unit("a", "甲局")])
    await app.storage.admins.set_admin(UNIT_ADMIN, "a", ROOT, 1.0)
    yield app
    await app.close()


def _single(app):
    return next(q for q in app.catalog.question_list if q.type is QType.SINGLE and len(q.options) == 4)


def _edit(q, **changes):
    values = dict(question_id=q.id, stem=q.stem, options=list(q.options), answer="".join("ABCD"[i] for i in q.answer),
                  explanation=q.explanation, law=q.cite.law, article=str(q.cite.article), tags=list(q.tags),
                  difficulty=str(q.difficulty))
    values.update(changes)
    return svc.EditQuestion(**values)


async def test_search_filters_and_detail_shows_the_article(app):
    deps = app.service.deps
    unit = await actor_for(deps, UNIT_ADMIN)  # any admin may browse
    q = _single(app)
    page = await svc.search_questions(deps, unit, svc.BankQuery(law=q.cite.law, type="single", size=20))
    assert page.total >= 1 and all(r.question.cite.law == q.cite.law for r in page.rows)
    assert q.cite.law in page.laws and "single" in page.types
    found = await svc.search_questions(deps, unit, svc.BankQuery(text=q.id))
    assert [r.question.id for r in found.rows] == [q.id]
    tag = q.tags[0]
    assert all(tag in r.question.tags for r in (await svc.search_questions(deps, unit, svc.BankQuery(tag=tag))).rows)
    await deps.storage.practice.log_answer("tg:1", q.id, True, 1000, "practice", 1.0)
    await deps.storage.practice.log_answer("tg:2", q.id, False, 3000, "practice", 1.0)
    detail = await svc.question_detail(deps, unit, q.id)
    article = app.catalog.laws.article(q.cite.law, q.cite.article)
    assert detail.article_text == article.text and (detail.answers, detail.right) == (2, 1)
    assert detail.editable and detail.retired is None


async def test_edit_is_validated_like_an_import_and_reaches_another_worker(app, tmp_path):
    deps = app.service.deps
    root = await actor_for(deps, ROOT)
    unit = await actor_for(deps, UNIT_ADMIN)
    q = _single(app)
    with pytest.raises(Forbidden):
        await svc.edit_question(deps, unit, _edit(q, stem=q.stem + "（修订）"))
    with pytest.raises(svc.BankError) as refused:
        await svc.edit_question(deps, root, _edit(q, answer="E"))
    assert refused.value.key == "bank_edit_refused" and refused.value.lines
    assert "答案" in refused.value.lines[0]  # the field, in the admin's language
    assert app.catalog.questions[q.id] == q  # unchanged
    edited = await svc.edit_question(deps, root, _edit(q, stem=q.stem + "（修订）"))
    assert edited.changed and edited.version >= 1
    assert app.catalog.questions[q.id].stem.endswith("（修订）")
    shown = q.origin.rpartition(":")[0]
    assert "（修订）" in (app.catalog.root / shown).read_text(encoding="utf-8")
    other = await worker_app(tmp_path, "root-2")  # a second worker on the same database
    try:
        assert other.catalog.questions[q.id].stem == q.stem
        await BankSync(other).catch_up()
        assert other.catalog.questions[q.id].stem.endswith("（修订）")
    finally:
        await other.close()


async def test_retired_questions_are_kept_but_never_drawn(app, tmp_path):
    deps = app.service.deps
    root = await actor_for(deps, ROOT)
    q = _single(app)
    with pytest.raises(Forbidden):
        await svc.retire_question(deps, await actor_for(deps, UNIT_ADMIN), q.id)
    await svc.retire_question(deps, root, q.id, "条文已修改")
    assert q.id in app.catalog.questions and q.id not in {x.id for x in app.catalog.question_list}
    assert q.id not in app.service.practice._order
    definition = ExamDefinition(id="t", title={"zh": "t"}, time_limit_minutes=10, pass_mark=60, attempts_allowed=0,
                                blueprint=(), include_stale_laws=True)  # every question the bank offers
    assert q.id not in {x.id for x in app.catalog.exam_questions(definition)}
    page = await svc.search_questions(deps, root, svc.BankQuery(text=q.id, status="retired"))
    assert [r.question.id for r in page.rows] == [q.id] and page.rows[0].retired
    assert (await svc.search_questions(deps, root, svc.BankQuery(text=q.id))).total == 0
    detail = await svc.question_detail(deps, root, q.id)
    assert detail.retired[2] == "条文已修改"
    other = await worker_app(tmp_path, "root-2")  # another worker, or this one after a restart
    try:
        assert q.id not in {x.id for x in other.catalog.question_list}
        await BankSync(other).catch_up()
        assert q.id not in {x.id for x in other.catalog.question_list}
    finally:
        await other.close()
    await svc.retire_question(deps, root, q.id, retire=False)
    assert q.id in {x.id for x in app.catalog.question_list}


async def test_export_and_import_preview(app):
    deps = app.service.deps
    root = await actor_for(deps, ROOT)
    name, data, n = await svc.export_bank(deps, root, "csv")
    assert name.endswith(".csv") and n == len(app.catalog.question_list) and data
    with pytest.raises(svc.BankError) as refused:
        await svc.preview_import(deps, root, "bank.pdf", b"x")
    assert refused.value.key == "bank_file_type"
    preview = await svc.preview_import(deps, root, "bank.csv", data)  # the bank itself: nothing new
    assert preview.new == 0 and preview.upload_id is None
