"""Fair-exam flags in the console: the 总览 of an exam shows how many flags its unit has and links
to the list, each flag with the people it names and its evidence, scoped to the admin's subtree
(another unit's list is 403). The exam form offers the per-question time limit."""

from __future__ import annotations

import dataclasses
import re
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.domain.units import RosterEntry, Unit
from bot.storage.ports import FlagRecord

TEMPLATE = "xuefa2026-shili"
DAY = 86_400


@pytest.fixture
def flagged(console):
    """An official exam for the city, people in 甲局一科 (the unit admin's subtree) and in a unit under
    乙局 (not theirs), and three flags: a fast answerer and a re-bind in 甲局一科, an identical pair in 乙局's unit."""
    tag = uuid.uuid4().hex[:6]
    other_unit = f"fl{tag}"
    exam_id = f"fl-{tag}"
    deps = console.deps
    staff = [f"FL{tag}{i}" for i in range(1, 5)]

    async def setup():
        store, now = deps.storage, console.clock.now()
        await store.roster.upsert_units([Unit(other_unit, f"乙局提示测试科{tag}", console.UNIT_B, 70)])
        await store.roster.upsert_roster([RosterEntry(staff[0], "提示甲", console.UNIT_A1, "公务员"),
                                          RosterEntry(staff[1], "提示乙", console.UNIT_A1, "公务员"),
                                          RosterEntry(staff[2], "提示丙", other_unit, "公务员"),
                                          RosterEntry(staff[3], "提示丁", other_unit, "公务员")], now)
        ids = [(await store.roster.roster_by_staff_no(s)).id for s in staff]
        template = deps.catalog.exams[TEMPLATE]
        spec = dataclasses.replace(template.official, opens=now - DAY, closes=now + 7 * DAY, makeup_opens=None,
                                   makeup_closes=None, units=(), roles=(), study_from=None)
        deps.catalog.exams[exam_id] = dataclasses.replace(template, id=exam_id, title={"zh": f"公平性测试考试{tag}"},
                                                          official=spec)

        def flag(key, kind, unit, who, evidence, other=None):
            return FlagRecord(None, f"{exam_id}:{key}", kind, exam_id, "regular", unit, who, None, other, None,
                              evidence, now)

        await store.fairness.add_flag(flag("fast", "fast", console.UNIT_A1, ids[0], {
            "long": 6, "fast": [{"n": 3, "chars": 240, "reading_s": 20.0, "took_s": 2.5},
                                {"n": 7, "chars": 180, "reading_s": 15.0, "took_s": 1.0},
                                {"n": 9, "chars": 150, "reading_s": 12.5, "took_s": 2.0}]}))
        await store.fairness.add_flag(flag("rebind", "rebind", console.UNIT_A1, ids[1], {
            "platform": "tg", "old_account": "tg:111", "new_account": "tg:222", "unbound_at": now - 3600,
            "unbound_by": console.UNIT_ADMIN, "bound_at": now - 1800}))
        await store.fairness.add_flag(flag("identical", "identical", other_unit, ids[2], {
            "common": 12, "same_wrong": 5, "chance": 3.2e-7}, other=ids[3]))

    console.run(setup())
    yield {"exam": exam_id, "other_unit": other_unit, "tag": tag}
    deps.catalog.exams.pop(exam_id, None)


def test_flags_on_the_overview_and_their_evidence(console, page, shot, flagged):
    exam = flagged["exam"]
    console.login(page, console.SUPER)
    console.visit(page, f"/admin/overview?exam={exam}", "overview")
    link = page.locator("#ov-flags")
    assert link.inner_text() == "⚠ 公平性提示 3 条"
    link.click()
    page.wait_for_url(re.compile(rf".*/admin/flags\?exam={exam}(&unit={console.CITY})?$"))
    shot("flags-all")
    rows = page.locator("tr.flag")
    assert rows.count() == 3
    fast = page.locator("tr.flag[data-kind=fast]").inner_text()
    assert "答题过快" in fast and "提示甲" in fast and "甲局一科" in fast
    assert "3 道长题的用时远短于阅读时间（本卷长题 6 道）" in fast and "第 3 题 240 字，阅读约需 20 秒，用时 2.5 秒" in fast
    identical = page.locator("tr.flag[data-kind=identical]").inner_text()
    assert "提示丁" in identical and "12 道共同题" in identical and "同错 5 道" in identical
    rebind = page.locator("tr.flag[data-kind=rebind]").inner_text()
    assert "tg:111" in rebind and "tg:222" in rebind and console.UNIT_ADMIN in rebind
    # a unit's overview counts that unit's flags and its list holds only those
    console.visit(page, f"/admin/overview?exam={exam}&unit={flagged['other_unit']}", "overview-unit")
    assert page.locator("#ov-flags").inner_text() == "⚠ 公平性提示 1 条"
    page.locator("#ov-flags").click()
    page.wait_for_url(re.compile(rf".*/admin/flags\?exam={exam}&unit={flagged['other_unit']}$"))
    assert page.locator("tr.flag").count() == 1 and page.locator("tr.flag[data-kind=identical]").count() == 1
    # an unknown exam: a plain 404 page
    response = console.visit(page, "/admin/flags?exam=no-such-exam", "unknown-exam")
    assert response.status == 404 and "no-such-exam" in page.content()


def test_a_unit_admin_sees_the_flags_of_their_subtree_only(console, page, shot, flagged):
    exam = flagged["exam"]
    console.login(page, console.UNIT_ADMIN)
    console.visit(page, f"/admin/overview?exam={exam}", "unit-admin-overview")
    assert page.locator("#ov-flags").inner_text() == "⚠ 公平性提示 2 条"
    page.locator("#ov-flags").click()
    page.wait_for_url(re.compile(rf".*/admin/flags\?exam={exam}&unit={console.UNIT_A}$"))
    assert sorted(page.locator("tr.flag").evaluate_all("rows => rows.map(r => r.dataset.kind)")) == ["fast", "rebind"]
    assert "提示丙" not in page.content() and "提示丁" not in page.content()
    for unit in (flagged["other_unit"], console.UNIT_B):
        response = console.visit(page, f"/admin/flags?exam={exam}&unit={unit}", f"other-{unit}")
        assert response.status == 403, unit
        assert "提示丙" not in page.content()


def test_the_exam_form_sets_a_time_per_question(console, page, shot):
    exam_id = f"pq-{uuid.uuid4().hex[:6]}"
    zone = ZoneInfo(console.config.timezone)
    opens = datetime.fromtimestamp(console.clock.now() + DAY, zone)
    console.login(page, console.SUPER)
    console.visit(page, "/admin/exams/new", "form")
    page.fill("input[name=id]", exam_id)
    page.fill("input[name=title_zh]", "每题限时的考试")
    page.fill("input[name=time_limit]", "30")
    page.fill("input[name=pass_mark]", "60")
    page.select_option("select[name=bp_type_0]", "judge")
    page.fill("input[name=bp_count_0]", "5")
    page.fill("input[name=bp_points_0]", "20")
    page.fill("input[name=opens]", opens.strftime("%Y-%m-%dT%H:%M"))
    page.fill("input[name=closes]", (opens + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M"))
    page.fill("input[name=per_question]", "2")  # below 5 seconds: refused with the reason
    page.evaluate("document.querySelector('#exam-save').form.noValidate = true")  # let the server judge it
    page.click("#exam-save")
    page.locator("#exam-errors").wait_for()
    shot("per-question-refused")
    assert "“每题限时（秒，可不填）”须为 5 到 3600 之间的数字" in page.locator("#exam-errors").inner_text()
    assert exam_id not in console.deps.catalog.exams
    page.fill("input[name=per_question]", "45")
    page.click("#exam-save")
    page.wait_for_url(re.compile(rf".*done=created&exam={exam_id}$"))
    assert console.deps.catalog.exams[exam_id].per_question_seconds == 45
    console.visit(page, f"/admin/exams/{exam_id}/edit", "edit")
    assert page.input_value("input[name=per_question]") == "45"
    page.fill("input[name=per_question]", "")  # emptied: no limit
    page.click("#exam-save")
    page.wait_for_url(re.compile(rf".*done=updated&exam={exam_id}$"))
    assert console.deps.catalog.exams[exam_id].per_question_seconds == 0
