"""考试管理 in a real browser: a super admin creates an official exam in the console form (a
blueprint the bank cannot fill is refused with the reason first); console-channel users bind and
sit it in chat, one passes and one fails; the window is closed, the 补考 opened and extended, the
exam reopened from the page, and /exam_close in chat acts on the same console exam. A unit admin
creating an exam for another unit's people is refused."""

from __future__ import annotations

import io
import re
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from bot.domain.exam_rules import eligible
from bot.domain.models import QType
from bot.domain.units import RosterEntry, Unit
from tests.app.test_exam import _attempt, _display_letters
from tests.support.transcript import Chat
from tests.web.exam_setup import create_exam_opening_tomorrow


def _local(console, seconds_from_now: float) -> str:
    zone = ZoneInfo(console.config.timezone)
    moment = datetime.fromtimestamp(console.clock.now() + seconds_from_now, zone)
    return moment.strftime("%Y-%m-%dT%H:%M")


def _row(page, exam_id: str):
    return page.locator(f"tr[data-exam='{exam_id}']")


@pytest.fixture
def people(console):
    tag = uuid.uuid4().hex[:6]
    unit = f"ex{tag}"
    staff = [f"EX{tag}{i}" for i in (1, 2)]

    async def setup():
        store, now = console.deps.storage, console.clock.now()
        await store.roster.upsert_units([Unit(unit, f"考试测试处{tag}", console.CITY, 60)])
        await store.roster.upsert_roster([RosterEntry(staff[0], "考试甲", unit, "公务员"),
                                          RosterEntry(staff[1], "考试乙", unit, "公务员")], now)

    console.run(setup())
    return {"tag": tag, "unit": unit, "staff": staff}


def _fill_exam(page, console, exam_id: str, unit: str, single_count: int, tag: str = ""):
    page.fill("input[name=id]", exam_id)
    page.fill("input[name=title_zh]", f"控制台考试{exam_id}")
    page.fill("input[name=time_limit]", "30")
    page.fill("input[name=pass_mark]", "40")
    page.fill("input[name=attempts]", "1")
    page.select_option("select[name=bp_type_0]", "single")
    page.fill("input[name=bp_tag_0]", tag)
    page.fill("input[name=bp_count_0]", str(single_count))
    page.fill("input[name=bp_points_0]", "10")
    page.select_option("select[name=bp_type_1]", "judge")
    page.fill("input[name=bp_count_1]", "4")
    page.fill("input[name=bp_points_1]", "10")
    page.fill("input[name=opens]", _local(console, -3600))
    page.fill("input[name=closes]", _local(console, 7 * 86400))
    page.select_option("select[name=units]", [unit])


async def _sit(app, chat, exam_id: str, right: bool) -> str:
    await chat.act(f"x:i:{exam_id}")  # in the 补考 too, after the main window's one attempt
    await chat.press("开始考试")
    attempt = await _attempt(app, chat)
    assert len(attempt.paper) == 7
    for pos in range(len(attempt.paper)):
        await chat.say(_display_letters(app, attempt, pos, right=right))
    await chat.press("交卷")
    return chat.text


def test_create_an_exam_sit_it_in_chat_and_move_its_windows(console, page, shot, people):
    exam_id, unit, staff = f"web-{people['tag']}", people["unit"], people["staff"]
    catalog = console.deps.catalog
    law = catalog.question_list[0].cite.law
    have = len(eligible(catalog.exam_questions(catalog.exams["xuefa"]), QType.SINGLE, (law,)))

    console.login(page, console.SUPER)
    page.get_by_role("link", name="考试管理").first.click()
    page.wait_for_url(re.compile(r".*/admin/exams$"))
    shot("exams")
    page.click("#exam-new")
    page.wait_for_url(re.compile(r".*/admin/exams/new$"))
    # a blueprint the bank cannot fill: refused with the reason, nothing saved
    _fill_exam(page, console, exam_id, unit, have + 1, law)
    shot("form-too-many")
    page.click("#exam-save")
    errors = page.locator("#exam-errors")
    errors.wait_for()
    shot("refused")
    assert f"组卷规则第 1 行需要 {have + 1} 道单选题（范围：{law}），题库中符合条件的只有 {have} 道" in errors.inner_text()
    assert page.input_value("input[name=id]") == exam_id  # the form keeps what was typed
    assert exam_id not in catalog.exams
    # fixed: three single-choice questions from the whole bank
    page.fill("input[name=bp_tag_0]", "")
    page.fill("input[name=bp_count_0]", "3")
    page.select_option("select[name=units]", [unit])
    page.click("#exam-save")
    page.wait_for_url(re.compile(rf".*/admin/exams\?done=created&exam={exam_id}$"))
    shot("created")
    assert "已创建《控制台考试" in page.locator("#exam-done").inner_text()
    row = _row(page, exam_id)
    assert "考试中" in row.locator(".phase").inner_text() and "后台创建" in row.inner_text()
    assert f"考试测试处{people['tag']}" in row.inner_text()

    # console-channel users bind and sit it: one passes, one fails
    async def sit_both():
        app = console.app
        good, bad = Chat(app, f"ex{people['tag']}a"), Chat(app, f"ex{people['tag']}b")
        await good.say(f"/bind {staff[0]} 考试甲")
        assert "绑定成功：考试甲" in good.text, good.text
        await bad.say(f"/bind {staff[1]} 考试乙")
        assert "绑定成功：考试乙" in bad.text, bad.text
        await good.say("/exam")
        assert f"控制台考试{exam_id}" in " ".join(good.labels())
        return await _sit(app, good, exam_id, True), await _sit(app, bad, exam_id, False)

    passed, failed = console.run(sit_both(), timeout=120)
    assert "✅ 通过" in passed and "70" in passed
    assert "❌ 未通过" in failed

    # the 总览 of the new exam shows the two sittings, and its workbook has the same numbers
    console.visit(page, f"/admin/overview?exam={exam_id}&unit={people['unit']}", "overview-after-sitting")
    figure = lambda name: page.locator(f"[data-figure={name}]").inner_text()  # noqa: E731
    assert figure("roster") == "2" and figure("pass_rate").startswith("50.0%"), (figure("roster"), figure("pass_rate"))
    with page.expect_download() as info:
        page.locator("a", has_text="下载 Excel").first.click()
    book = load_workbook(io.BytesIO(Path(info.value.path()).read_bytes()))
    total = [c.value for c in book["单位汇总"][book["单位汇总"].max_row]]
    assert total[0] == "合计" and total[2] == 2, total
    sheet = {r[0]: r for r in book["人员成绩"].iter_rows(min_row=2, values_only=True)}
    assert set(sheet) == set(people["staff"])
    assert sheet[people["staff"][0]][-1] == "是" and sheet[people["staff"][1]][-1] == "否"
    console.visit(page, "/admin/exams")

    # close the window from the page; the chat user is refused at once
    page.reload()
    row = _row(page, exam_id)
    row.locator("button[value=close]").click()
    page.wait_for_url(re.compile(rf".*done=close&exam={exam_id}$"))
    shot("closed")
    assert "已结束" in _row(page, exam_id).locator(".phase").inner_text()
    refusal = console.run(Chat(console.app, f"ex{people['tag']}b").act(f"x:go:{exam_id}"))
    assert "当前不在考试时间内" in refusal
    # nothing open to extend: the reason is shown
    _row(page, exam_id).locator("button[value=extend]").click()
    page.locator("#exam-error").wait_for()
    shot("extend-refused")
    assert "没有进行中或未开始的考试可以延长" in page.locator("#exam-error").inner_text()
    # the 补考 for 3 days, then 2 more
    console.visit(page, "/admin/exams")
    _row(page, exam_id).locator("input.days").fill("3")
    _row(page, exam_id).locator("button[value=makeup]").click()
    page.wait_for_url(re.compile(rf".*done=makeup&exam={exam_id}$"))
    assert "补考中" in _row(page, exam_id).locator(".phase").inner_text()
    makeup_before = _row(page, exam_id).locator(".makeup").inner_text()
    _row(page, exam_id).locator("input.days").fill("2")
    _row(page, exam_id).locator("button[value=extend]").click()
    page.wait_for_url(re.compile(rf".*done=extend&exam={exam_id}$"))
    shot("makeup-extended")
    makeup_after = _row(page, exam_id).locator(".makeup").inner_text()
    zone = ZoneInfo(console.config.timezone)
    end_before = datetime.strptime(makeup_before.split("–")[1].strip(), "%Y-%m-%d %H:%M")
    end_after = datetime.strptime(makeup_after.split("–")[1].strip(), "%Y-%m-%d %H:%M")
    assert end_after - end_before == timedelta(days=2), (makeup_before, makeup_after, zone)
    # the failed person sits the 补考 and now passes
    async def makeup():
        chat = Chat(console.app, f"ex{people['tag']}b")
        return await _sit(console.app, chat, exam_id, True)

    assert "✅ 通过" in console.run(makeup(), timeout=120)

    # the chat's /exam_open acts on the console exam, and the page shows it
    text = console.run(Chat(console.app, "root").say(f"/exam_open {exam_id} 2"))
    assert f"《控制台考试{exam_id}》已开考" in text
    console.visit(page, "/admin/exams", "after-chat-open")
    assert "考试中" in _row(page, exam_id).locator(".phase").inner_text()

    # every write is in the audit log
    console.visit(page, "/admin/audit?action=exam.", "audit")
    log = page.locator("table.audit").inner_text()
    for action in ("exam.create", "exam.close", "exam.makeup", "exam.extend", "exam.open"):
        assert action in log


def test_unit_admin_creates_only_for_their_units(console, page, shot, people):
    console.login(page, console.UNIT_ADMIN)
    console.visit(page, "/admin/exams/new", "unit-admin-form")
    offered = page.locator("select[name=units] option").all_inner_texts()
    assert any("甲局" in o for o in offered) and not any("乙局" in o for o in offered)
    assert not any(f"考试测试处{people['tag']}" in o for o in offered)
    exam_id = f"ua-{people['tag']}"
    _fill_exam(page, console, exam_id, console.UNIT_A1, 3)
    page.select_option("select[name=units]", [])
    page.click("#exam-save")
    page.wait_for_load_state()
    shot("no-unit-403")
    assert "至少选择一个参考单位" in page.content()
    assert exam_id not in console.deps.catalog.exams
    console.visit(page, "/admin/exams/new")
    _fill_exam(page, console, exam_id, console.UNIT_A1, 3)
    page.click("#exam-save")
    page.wait_for_url(re.compile(rf".*done=created&exam={exam_id}$"))
    shot("unit-admin-created")
    assert _row(page, exam_id).locator("button[value=close]").count() == 1
    shili = _row(page, "xuefa2026-shili")  # a YAML exam for the whole city: no buttons for a unit admin
    assert shili.count() == 0 or shili.locator("button").count() == 0


def test_exam_pages_fit_a_phone(console, phone, shots):
    console.login(phone, console.SUPER)
    for path in ("/admin/exams", "/admin/exams/new", "/admin/notices", "/admin/gaps"):
        assert console.visit(phone, path, "phone" + path).status == 200
        width = phone.evaluate("document.documentElement.scrollWidth")
        assert width <= 392, (path, width)  # no sideways scrolling of the page (wide tables scroll in their box)


def test_edit_before_it_opens_and_not_after(console, page, shot, people):
    exam_id = f"ed-{people['tag']}"
    create_exam_opening_tomorrow(console, exam_id, "待修改的考试", people["unit"])
    console.login(page, console.SUPER)
    console.visit(page, "/admin/exams")
    assert "未开始" in _row(page, exam_id).locator(".phase").inner_text()
    _row(page, exam_id).get_by_role("link", name="修改").click()
    page.wait_for_url(re.compile(rf".*/admin/exams/{exam_id}/edit$"))
    shot("edit")
    assert page.input_value("input[name=title_zh]") == "待修改的考试"
    assert page.input_value("input[name=bp_count_0]") == "5"
    page.fill("input[name=title_zh]", "已修改的考试")
    page.fill("input[name=pass_mark]", "80")
    page.click("#exam-save")
    page.wait_for_url(re.compile(rf".*done=updated&exam={exam_id}$"))
    shot("saved")
    assert "已保存《已修改的考试》" in page.locator("#exam-done").inner_text()
    assert console.deps.catalog.exams[exam_id].pass_mark == 80
    # once it has opened, the paper is fixed
    _row(page, exam_id).locator("button[value=open]").click()
    page.wait_for_url(re.compile(rf".*done=open&exam={exam_id}$"))
    assert _row(page, exam_id).get_by_role("link", name="修改").count() == 0
    response = console.visit(page, f"/admin/exams/{exam_id}/edit", "edit-refused")
    assert response.status == 409 and "试卷和规则不能再改" in page.locator("#exam-error").inner_text()


def test_an_exam_saved_by_another_worker_shows_on_the_next_console_request(console, page, shot, people):
    """Another worker (here: a write straight to the shared database, past this worker's catalog)
    creates an exam: the next console page of this worker lists it, whichever page it is."""
    from bot.services import exams as svc

    exam_id = f"ow-{people['tag']}"
    zone = ZoneInfo(console.config.timezone)
    now = datetime.fromtimestamp(console.clock.now(), zone).replace(tzinfo=None, second=0, microsecond=0)
    form = svc.ExamForm(id=exam_id, title_zh=f"别处创建的考试{exam_id}", blueprint=(svc.BlueprintLine(QType.JUDGE, 4, 25.0),),
                        time_limit_minutes=20, pass_mark=60, opens=now - timedelta(hours=1),
                        closes=now + timedelta(days=5), units=(people["unit"],))
    console.login(page, console.SUPER)
    console.run(console.deps.storage.console_exams.save_console_exam(
        exam_id, form.body(zone), "cli:other-worker", console.clock.now(), create=True))
    assert exam_id not in console.deps.catalog.exams  # nothing on this worker has looked yet
    console.visit(page, f"/admin/overview?exam={exam_id}", "overview-of-new-exam")  # a page that lists without refreshing
    assert f"别处创建的考试{exam_id}" in page.locator("h1").inner_text()
    assert exam_id in console.deps.catalog.exams
