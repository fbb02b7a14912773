"""总览 in a real browser: console-channel users bind (a bind code from /code, and /bind with staff
number and name) and sit an official exam; the overview then shows the new rates, the drill-down
lists the right people for 未参考 and 未通过, the Excel download opens in openpyxl with the same
numbers, the charts are SVG from the server, and a unit admin asking for another unit gets 403."""

from __future__ import annotations

import dataclasses
import io
import re
import uuid
from pathlib import Path

import pytest
from openpyxl import load_workbook

from bot.domain.units import RosterEntry, Unit
from tests.app.test_exam import _attempt, _display_letters
from tests.app.test_practice import _right_letter
from tests.support.transcript import Chat

TEMPLATE = "xuefa2026-shili"
DAY = 86_400


@pytest.fixture
def sitting(console):
    """Units 总览测试处 > 一科, 二科 under the city, four people, an official exam for that unit open
    now, and two console users who bind and sit it (one passes, one fails); one also practises."""
    tag = uuid.uuid4().hex[:6]
    root, one, two = f"ov{tag}", f"ov{tag}1", f"ov{tag}2"
    staff = [f"OV{tag}{i}" for i in range(1, 5)]
    exam_id = f"ov-{tag}"
    deps = console.deps

    async def setup():
        store, now = deps.storage, console.clock.now()
        await store.roster.upsert_units([Unit(root, "总览测试处", console.CITY, 50), Unit(one, "总览一科", root, 1),
                                         Unit(two, "总览二科", root, 2)])
        await store.roster.upsert_roster([RosterEntry(staff[0], "总览甲", one, "公务员"),
                                          RosterEntry(staff[1], "总览乙", one, "公务员"),
                                          RosterEntry(staff[2], "总览丙", two, "公务员"),
                                          RosterEntry(staff[3], "总览丁", two, "公务员")], now)
        template = deps.catalog.exams[TEMPLATE]
        spec = dataclasses.replace(template.official, opens=now - DAY, closes=now + 7 * DAY, makeup_opens=None,
                                   makeup_closes=None, units=(root,), roles=(), study_from=None,
                                   prerequisite=dataclasses.replace(template.official.prerequisite, points=0,
                                                                    practice_answers=0, study_days=0, study_hours=0))
        deps.catalog.exams[exam_id] = dataclasses.replace(template, id=exam_id, title={"zh": f"总览测试考试{tag}"},
                                                          official=spec)

    async def sit(chat, right):
        await chat.act(f"x:i:{exam_id}")
        await chat.press("开始考试")
        attempt = await _attempt(console.app, chat)
        for pos in range(len(attempt.paper)):
            await chat.say(_display_letters(console.app, attempt, pos, right=right))
        await chat.press("交卷")
        return chat.text

    async def people_act():
        app = console.app
        root_chat, first, third = Chat(app, "root"), Chat(app, f"ov{tag}a"), Chat(app, f"ov{tag}c")
        await root_chat.say(f"/code {staff[0]}")
        code = re.search(r"绑定码：([A-Z0-9]{8})", root_chat.text).group(1)
        await first.say("/bind")
        await first.say(code)
        assert "绑定成功：总览甲" in first.text, first.text
        await third.say(f"/bind {staff[2]} 总览丙")
        assert "绑定成功：总览丙" in third.text, third.text
        await first.say("/practice")
        await first.press("随机练习")
        await first.say(await _right_letter(app, first))
        passed = await sit(first, True)
        failed = await sit(third, False)
        return passed, failed

    console.run(setup())
    passed, failed = console.run(people_act(), timeout=120)
    assert "✅ 通过" in passed and "❌ 未通过" in failed
    yield {"exam": exam_id, "root": root, "one": one, "two": two, "staff": staff}
    deps.catalog.exams.pop(exam_id, None)


def _figure(page, name: str) -> str:
    return page.locator(f"[data-figure={name}]").inner_text()


def test_overview_rates_drill_down_and_excel(console, page, shot, sitting):
    exam, root = sitting["exam"], sitting["root"]
    staff = sitting["staff"]
    console.login(page, console.SUPER)
    page.get_by_role("link", name="总览").first.click()
    page.wait_for_url(re.compile(r".*/admin/overview.*"))
    shot("overview-default")
    response = console.visit(page, f"/admin/overview?exam={exam}&unit={root}", "overview-unit")
    assert response.status == 200
    assert _figure(page, "roster") == "4"
    assert _figure(page, "registered").startswith("2 (50.0%)")
    assert _figure(page, "study_rate").startswith("25.0%")
    assert _figure(page, "sit_rate").startswith("50.0%")
    assert _figure(page, "pass_rate").startswith("50.0%")
    assert _figure(page, "pass_rate_roster") == "25.0%"
    rows = {r.get_attribute("data-unit"): r.inner_text() for r in page.locator("table.units tbody tr").all()}
    assert set(rows) == {sitting["one"], sitting["two"]}
    assert "总览一科" in rows[sitting["one"]] and "100.0%" in rows[sitting["one"]]  # passed 1 of 1 sat
    assert [c.inner_text() for c in page.locator("nav.crumbs a, nav.crumbs span[aria-current]").all()][-1] == "总览测试处"

    # charts: server-rendered SVG, loaded from the console itself
    images = page.locator("img.chart")
    assert images.count() == 3
    for i in range(3):
        images.nth(i).scroll_into_view_if_needed()
        page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=images.nth(i).element_handle())
    chart = page.request.get(images.first.get_attribute("src") and console.url(images.first.get_attribute("src")))
    assert chart.status == 200 and chart.headers["content-type"].startswith("image/svg+xml")
    assert b"<svg" in chart.body()

    # drill-down: 未参考 and 未通过
    page.locator("a[data-filter=not_sat]").first.click()
    page.wait_for_url(re.compile(r".*/admin/overview/people.*filter=not_sat.*"))
    shot("not-sat")
    listed = [r.get_attribute("data-staff") for r in page.locator("table.people tbody tr").all()]
    assert listed == [staff[1], staff[3]]
    page.locator("a[data-filter=not_passed]").click()
    page.wait_for_url(re.compile(r".*filter=not_passed.*"))
    shot("not-passed")
    listed = [r.get_attribute("data-staff") for r in page.locator("table.people tbody tr").all()]
    assert listed == [staff[2]]
    assert "总览丙" in page.locator("table.people").inner_text()
    page.locator("a[data-filter=all]").click()
    page.get_by_role("link", name="最终成绩").click()  # sort by score, on the server
    page.wait_for_url(re.compile(r".*sort=score.*"))
    shot("all-by-score")
    listed = [r.get_attribute("data-staff") for r in page.locator("table.people tbody tr").all()]
    assert listed[:2] == [staff[2], staff[0]] and set(listed[2:]) == {staff[1], staff[3]}

    # breadcrumbs back to the unit, then one level down
    page.locator("nav.crumbs a", has_text="总览测试处").click()
    page.wait_for_url(re.compile(rf".*/admin/overview\?exam={exam}&unit={root}$"))
    page.locator("table.units a", has_text="总览二科").click()
    page.wait_for_url(re.compile(rf".*unit={sitting['two']}.*"))
    shot("drilled")
    assert _figure(page, "roster") == "2" and _figure(page, "pass_rate").startswith("0.0%")
    page.locator("nav.crumbs a", has_text="总览测试处").click()
    page.wait_for_url(re.compile(rf".*/admin/overview\?exam={exam}&unit={root}$"))

    # item analysis of the exam: every question of the two papers, weakest first
    page.get_by_role("link", name="试题分析").click()
    page.wait_for_url(re.compile(r".*/admin/overview/items.*"))
    shot("items")
    assert page.locator("table.items tbody tr").count() >= 20
    page.get_by_role("link", name="返回总览").click()
    page.wait_for_url(re.compile(rf".*/admin/overview\?exam={exam}&unit={root}$"))

    # the Excel workbook of the current view
    with page.expect_download() as info:
        page.locator("a", has_text="下载 Excel").first.click()
    download = info.value
    assert download.suggested_filename == f"stats-{exam}-{root}.xlsx"
    book = load_workbook(io.BytesIO(Path(download.path()).read_bytes()))
    summary = book["单位汇总"]
    total = [c.value for c in summary[summary.max_row]]
    assert total[:11] == ["合计", "总览测试处", 4, 2, 1, 2, 1, 0.25, 0.5, 0.5, 0.25]
    people = {r[0]: r for r in book["人员成绩"].iter_rows(min_row=2, values_only=True)}
    assert set(people) == set(staff)
    assert people[staff[0]][-1] == "是" and people[staff[2]][-1] == "否" and people[staff[1]][-2] is None


def test_a_unit_admin_gets_403_for_another_units_overview(console, page, shot, sitting):
    exam, root = sitting["exam"], sitting["root"]
    console.login(page, console.UNIT_ADMIN)
    own = console.visit(page, f"/admin/overview?exam={exam}", "own-unit")
    assert own.status == 200
    assert [c.inner_text() for c in page.locator("nav.crumbs span[aria-current]").all()] == ["甲局"]
    for path in (f"/admin/overview?exam={exam}&unit={root}", f"/admin/overview?exam={exam}&unit={console.CITY}",
                 f"/admin/overview/people?exam={exam}&unit={root}&filter=not_sat",
                 f"/admin/overview/export?exam={exam}&unit={root}",
                 f"/admin/overview/chart?exam={exam}&unit={root}&kind=rates"):
        response = console.visit(page, path, "refused")
        assert response.status == 403, path
    assert "本单位及下级单位" in page.locator("body").inner_text()
    missing = console.visit(page, "/admin/overview?exam=no-such-exam", "no-exam")
    assert missing.status == 404 and "没有编号为 no-such-exam 的正式考试" in page.locator(".error").inner_text()


def test_overview_on_a_phone(console, phone, sitting):
    console.login(phone, console.SUPER)
    response = console.visit(phone, f"/admin/overview/people?exam={sitting['exam']}&unit={sitting['root']}",
                             "people-phone")
    assert response.status == 200
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390 + 1, width  # nothing wider than the screen (tables scroll in their own box)
