"""Two admins at once, in a real browser: a super admin at a desk and the unit admin of 甲局 on a
phone open the same console exam's form; the one who saves second does not undo the first's
change unseen: the save is refused (409) with the form reloaded from what is saved now, and a
save from that form goes through. Also: logging out in one tab ends the session for the other
tab's form, and the back button after logout shows no console page."""

from __future__ import annotations

import re
import uuid

from tests.web.exam_setup import create_exam_opening_tomorrow


def _create_exam(console, exam_id: str) -> None:
    create_exam_opening_tomorrow(console, exam_id, "两人同时修改的考试", console.UNIT_A1)


def test_the_later_of_two_saves_of_one_exam_is_refused_with_the_saved_form(console, page, phone, shots):
    exam_id = f"two-{uuid.uuid4().hex[:6]}"
    _create_exam(console, exam_id)
    console.login(page, console.SUPER)
    console.login(phone, console.UNIT_ADMIN)
    for tab in (page, phone):
        console.visit(tab, f"/admin/exams/{exam_id}/edit", "form")
    page.fill("input[name=title_zh]", "超级管理员改过的考试")
    page.click("#exam-save")
    page.wait_for_url(re.compile(rf".*done=updated&exam={exam_id}$"))
    phone.fill("input[name=pass_mark]", "90")
    with phone.expect_response(re.compile(rf".*/admin/exams/{exam_id}/edit$")) as refused:
        phone.click("#exam-save")
    assert refused.value.status == 409
    shots.take(phone, "refused")
    assert "其他管理员已保存了修改，你的修改未保存" in phone.locator("#exam-errors").inner_text()
    assert phone.input_value("input[name=title_zh]") == "超级管理员改过的考试"  # the form shows what is saved
    assert phone.input_value("input[name=pass_mark]") == "60"
    saved = console.deps.catalog.exams[exam_id]
    assert (saved.title_for("zh"), saved.pass_mark) == ("超级管理员改过的考试", 60)
    phone.fill("input[name=pass_mark]", "90")  # on the saved version: goes through
    phone.click("#exam-save")
    phone.wait_for_url(re.compile(rf".*done=updated&exam={exam_id}$"))
    saved = console.deps.catalog.exams[exam_id]
    assert (saved.title_for("zh"), saved.pass_mark) == ("超级管理员改过的考试", 90)


def test_logout_in_one_tab_ends_the_other_tabs_form_and_back_shows_no_page(console, page, shots):
    console.login(page)
    other = page.context.new_page()  # a second tab of the same browser (same cookie)
    console.visit(other, "/admin/notices", "other-tab")
    other.fill("textarea[name=text]", "另一个标签页里写的通知")
    console.visit(page, "/admin/roster", "roster")
    page.click("form[action='/admin/logout'] button")
    page.wait_for_url(re.compile(r".*/admin/login\?bye=1$"))
    other.click("#notice-preview")
    other.wait_for_url(re.compile(r".*/admin/login$"))  # the form's POST leads to the login page
    shots.take(other, "other-tab-after-logout")
    assert "登录管理后台" in other.locator("h1").inner_text()
    page.go_back()  # the roster page is not shown from the cache (no-store): it asks again, and is sent to log in
    page.wait_for_load_state()
    shots.take(page, "back")
    assert re.search(r"/admin/login", page.url) and "人员名册" not in page.content()
