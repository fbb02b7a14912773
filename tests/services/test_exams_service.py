"""考试管理 use cases (bot/services/exams.py): a console exam is validated like the content check
validates YAML exams, is seen by another worker's catalog without a restart, and its windows move
by the chat's rules; rights by role and subtree; every write in the audit log."""

from __future__ import annotations

import dataclasses
import random
from datetime import datetime, timedelta

import pytest

from bot.bootstrap import build, load_checked_catalog, own_catalog
from bot.clock import ManualClock
from bot.domain import official_exam as rules
from bot.domain.exam_rules import eligible
from bot.domain.models import QType
from bot.domain.units import Unit
from bot.services import audit
from bot.services import exams as svc
from bot.services.rights import Forbidden, actor_for
from tests.support.transcript import REPO, config_for

ROOT = "cli:root"
UNIT_ADMIN = "cli:unit-a"
START = 1_767_225_600.0  # 2026-01-01T00:00Z = 08:00 in Beijing
BJ = datetime(2026, 1, 1, 8, 0)  # the same moment, as a local time in the form


@pytest.fixture
async def app(tmp_path):
    config = config_for(tmp_path, admin={"super_admins": [ROOT]})
    app = await build(config, clock=ManualClock(START), rng=random.Random(1), database=tmp_path / "db.sqlite3",
                      catalog=own_catalog(load_checked_catalog(REPO)))
    store = app.storage
    await store.roster.upsert_units([Unit("city", "市"), Unit("a", "甲局", "city"), Unit("a1", "甲局一科", "a"),
                                     Unit("b", "乙局", "city")])
    await store.admins.set_admin(UNIT_ADMIN, "a", ROOT, 1.0)
    yield app
    await app.close()


def _form(**changes) -> svc.ExamForm:
    base = svc.ExamForm(
        id="q1-2026", title_zh="一季度学法考试", title_en="Q1 law exam",
        blueprint=(svc.BlueprintLine(QType.SINGLE, 5, 4.0), svc.BlueprintLine(QType.JUDGE, 10, 2.0)),
        time_limit_minutes=30, pass_mark=24, opens=BJ + timedelta(days=1), closes=BJ + timedelta(days=8),
        makeup_opens=BJ + timedelta(days=10), makeup_closes=BJ + timedelta(days=12), units=("a",), attempts_allowed=2)
    return dataclasses.replace(base, **changes)


async def _actors(app):
    deps = app.service.deps
    return deps, await actor_for(deps, ROOT), await actor_for(deps, UNIT_ADMIN)


async def test_create_validates_like_the_content_check(app):
    deps, root, _ = await _actors(app)
    law = deps.catalog.question_list[0].cite.law
    have = len(eligible(deps.catalog.exam_questions(deps.catalog.exams["xuefa"]), QType.MULTIPLE, (law,)))
    too_many = _form(blueprint=(svc.BlueprintLine(QType.MULTIPLE, have + 1, 2.0, (law,)),), pass_mark=1)
    with pytest.raises(svc.ExamInvalid) as refused:
        await svc.create_exam(deps, root, too_many, START)
    assert refused.value.problems == [("exam_err_bank_short", {"line": 1, "count": have + 1, "type": "multiple",
                                                               "tags": law, "have": have})]
    text = svc.problem_texts("zh", refused.value)[0]
    assert f"需要 {have + 1} 道多选题" in text and f"只有 {have} 道" in text and law in text

    with pytest.raises(svc.ExamInvalid) as refused:  # the content check's rule, said in Chinese: pass mark above the paper
        await svc.create_exam(deps, root, _form(pass_mark=500), START)
    assert refused.value.problems == [("exam_err_pass_mark_total", {"mark": "500", "total": "40"})]
    assert svc.problem_texts("zh", refused.value) == ["及格分 500 超过了试卷总分 40。"]
    with pytest.raises(svc.ExamInvalid) as refused:
        await svc.create_exam(deps, root, _form(id="xuefa2026-shili", units=("nowhere",),
                                                makeup_opens=BJ + timedelta(days=5)), START)
    assert [k for k, _ in refused.value.problems] == ["exam_err_id_taken", "exam_err_units", "exam_err_makeup_order"]
    assert "q1-2026" not in deps.catalog.exams

    definition = await svc.create_exam(deps, root, _form(), START)
    assert definition.max_score == 40 and definition.official.units == ("a",)
    assert deps.catalog.exams["q1-2026"].official.opens == START + 86400
    assert svc.is_console(deps.catalog.exams["q1-2026"])
    with pytest.raises(svc.ExamInvalid):  # the same id twice
        await svc.create_exam(deps, root, _form(), START)
    log = await audit.entries(deps, root)
    assert [e.action for e in log.entries] == ["exam.create"] and log.entries[0].after["id"] == "q1-2026"


async def test_parse_form_names_each_bad_field():
    fields = {"id": "x1", "title_zh": "甲", "time_limit": "abc", "pass_mark": "60", "opens": "2026-02-01T08:00",
              "closes": "明天", "bp_type_0": "single", "bp_count_0": "0", "bp_points_0": "2", "bp_type_1": "",
              "bp_count_1": "", "bp_type_2": "poem", "bp_count_2": "3"}
    with pytest.raises(svc.ExamInvalid) as refused:
        svc.parse_form(fields, ["a"])
    texts = svc.problem_texts("zh", refused.value)
    assert texts == ["“组卷规则第 1 行”须为 1 到 500 之间的数字。", "组卷规则第 3 行：请选择题型。",
                     "“答题时长（分钟）”须为 1 到 600 之间的数字。", "“结束时间”须为日期和时间，如 2026-03-01 08:00。"]
    fields.update(time_limit="45", closes="2026-02-08 08:00", bp_count_0="5", bp_type_2="", bp_count_2="",
                  roles="公务员、领导干部", prereq_hours="1.5")
    form = svc.parse_form(fields, ["a", "a", "b"])
    assert form.units == ("a", "b") and form.roles == ("公务员", "领导干部") and form.prereq_study_hours == 1.5
    assert form.blueprint == (svc.BlueprintLine(QType.SINGLE, 5, 2.0),) and form.closes == datetime(2026, 2, 8, 8)


async def test_another_worker_sees_a_new_exam_without_restarting(app, tmp_path):
    deps, root, _ = await _actors(app)
    other_catalog = dataclasses.replace(deps.catalog, exams=dict(deps.catalog.exams))  # a second process's copy
    other = await build(app.config, clock=ManualClock(START), database=tmp_path / "db.sqlite3", catalog=other_catalog)
    try:
        await svc.refresh(other.service.deps)
        assert "q1-2026" not in other_catalog.exams
        await svc.create_exam(deps, root, _form(), START)
        await svc.refresh(other.service.deps)
        assert other_catalog.exams["q1-2026"].title["zh"] == "一季度学法考试"
        # an edit made on the first worker reaches the second
        await svc.update_exam(deps, root, _form(title_zh="一季度学法考试（修订）"), START)
        await svc.refresh(other.service.deps)
        assert other_catalog.exams["q1-2026"].title["zh"] == "一季度学法考试（修订）"
    finally:
        await other.close()


async def test_a_catalog_shared_by_two_databases_shows_each_only_its_own(app, tmp_path):
    deps, root, _ = await _actors(app)
    await svc.create_exam(deps, root, _form(), START)
    (tmp_path / "second").mkdir()
    other = await build(config_for(tmp_path / "second"), clock=ManualClock(START),
                        database=tmp_path / "second" / "db.sqlite3", catalog=deps.catalog)
    try:
        await svc.refresh(other.service.deps)
        assert "q1-2026" not in deps.catalog.exams
        await svc.refresh(deps)
        assert "q1-2026" in deps.catalog.exams
    finally:
        await other.close()


async def test_unit_admins_create_only_for_their_subtree_and_manage_only_their_exams(app):
    deps, root, unit = await _actors(app)
    with pytest.raises(Forbidden) as refused:
        await svc.create_exam(deps, unit, _form(units=()), START)
    assert refused.value.key == "exam_units_required"
    with pytest.raises(Forbidden):
        await svc.create_exam(deps, unit, _form(units=("a1", "b")), START)
    await svc.create_exam(deps, unit, _form(units=("a1",)), START)
    listed = {s.definition.id: s for s in await svc.list_exams(deps, unit, START)}
    assert listed["q1-2026"].manageable and listed["q1-2026"].editable
    assert not listed["xuefa2026-shili"].manageable if "xuefa2026-shili" in listed else True
    with pytest.raises(Forbidden):  # a YAML exam is the super admins'
        await svc.move_window(deps, unit, "xuefa2026-shili", "open", START)
    await svc.move_window(deps, unit, "q1-2026", "open", START, 3)
    await svc.create_exam(deps, root, _form(id="b-only", units=("b",)), START)
    assert "b-only" not in {s.definition.id for s in await svc.list_exams(deps, unit, START)}
    with pytest.raises(Forbidden):
        await svc.move_window(deps, unit, "b-only", "close", START)


async def test_windows_follow_the_chat_rules(app):
    deps, root, _ = await _actors(app)
    await svc.create_exam(deps, root, _form(), START)
    day = 86_400
    summary = await svc.get_exam(deps, root, "q1-2026", START)
    assert summary.phase == rules.BEFORE and summary.editable
    # extend before it opens: same opening, later close; the 补考 after it keeps its distance
    change = await svc.move_window(deps, root, "q1-2026", "extend", START, 5)
    assert change.after.opens == START + day and change.after.closes == START + 13 * day
    assert (change.after.makeup_opens, change.after.makeup_closes) == (START + 15 * day, START + 17 * day)
    assert change.makeup_moved
    # an edit before it opens sets the window the form says (over the earlier move), then extend again
    await svc.update_exam(deps, root, _form(closes=BJ + timedelta(days=7)), START)
    assert (await svc.get_exam(deps, root, "q1-2026", START)).spec.closes == START + 7 * day
    change = await svc.move_window(deps, root, "q1-2026", "extend", START, 6)
    assert change.after.closes == START + 13 * day  # the form's 补考 (3 days after, 2 long) moves with it
    assert (change.after.makeup_opens, change.after.makeup_closes) == (START + 16 * day, START + 18 * day)
    with pytest.raises(svc.ExamError) as refused:  # a 补考 during the main window
        await svc.move_window(deps, root, "q1-2026", "makeup", START, 3)
    assert refused.value.key == "window_makeup_during_main"
    assert "2026-01-14 08:00" in svc.text_of(deps, "zh", refused.value)
    change = await svc.move_window(deps, root, "q1-2026", "open", START, 2)
    assert change.after.opens == START and change.after.closes == START + 2 * day
    assert (await svc.get_exam(deps, root, "q1-2026", START)).phase == rules.OPEN
    with pytest.raises(svc.ExamError) as refused:  # opened: the paper is fixed
        await svc.update_exam(deps, root, _form(pass_mark=10), START)
    assert refused.value.key == "exam_err_started"
    change = await svc.move_window(deps, root, "q1-2026", "close", START + day)
    assert change.after.closes == START + day
    assert (await svc.get_exam(deps, root, "q1-2026", START + day)).phase == rules.BETWEEN
    with pytest.raises(svc.ExamError) as refused:
        await svc.move_window(deps, root, "q1-2026", "extend", START + day)
    assert refused.value.key == "exam_err_nothing_to_extend"
    change = await svc.move_window(deps, root, "q1-2026", "makeup", START + day, 3)
    assert (change.after.makeup_opens, change.after.makeup_closes) == (START + day, START + 4 * day)
    change = await svc.move_window(deps, root, "q1-2026", "extend", START + 2 * day, 1)
    assert change.after.makeup_closes == START + 5 * day
    with pytest.raises(svc.ExamError) as refused:
        await svc.move_window(deps, root, "q1-2026", "open", START, 0)
    assert refused.value.key == "exam_err_days"
    log = await audit.entries(deps, root, action="exam.")
    assert [e.action for e in reversed(log.entries)] == ["exam.create", "exam.extend", "exam.update", "exam.extend",
                                                         "exam.open", "exam.close", "exam.makeup", "exam.extend"]
    assert log.entries[0].before["makeup_closes"] == START + 4 * day
    assert log.entries[5].after["window"]["closes"].startswith("2026-01-08T08:00") and log.entries[5].before
