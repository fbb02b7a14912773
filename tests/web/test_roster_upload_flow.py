"""人员名册 uploads as a unit admin does them in a real browser: a damaged workbook and a file with
only its header are refused in one Chinese line (nothing kept to import); a good file's preview
switches to English and back without a 405; a double-clicked 确认导入 imports once."""

from __future__ import annotations

import uuid

from bot.services import audit
from bot.services.rights import actor_for


def _choose(page, name: str, body: bytes) -> None:
    page.set_input_files("#roster-upload input[type=file]", {"name": name, "mimeType": "application/octet-stream",
                                                             "buffer": body})
    with page.expect_navigation():
        page.click("#roster-upload button[type=submit]")


def test_bad_files_are_refused_in_a_line_and_a_good_one_imports_once(console, page, shots):
    tag = uuid.uuid4().hex[:6]
    console.login(page, console.UNIT_ADMIN)
    console.visit(page, "/admin/roster", "roster")
    _choose(page, "名册.xlsx", b"PK\x03\x04 not a workbook")
    shots.take(page, "damaged")
    assert "无法读取文件“名册.xlsx”" in page.inner_text("#message")  # was the 500 page
    page.click("text=返回人员名册")
    _choose(page, "空名册.csv", "工号,姓名,单位\n".encode())
    assert "文件“空名册.csv”中没有人员" in page.inner_text("#message")  # was a preview of 0 rows, no reason
    assert page.locator("#roster-import").count() == 0

    console.visit(page, "/admin/roster", "roster-again")
    rows = f"工号,姓名,单位\nUP{tag}1,上传甲,{console.UNIT_A1}\nUP{tag}2,上传乙,{console.UNIT_A1}\n"
    _choose(page, f"名册{tag}.csv", rows.encode())
    shots.take(page, "preview")
    assert f"名册预览：名册{tag}.csv" in page.inner_text("h1")
    page.click("a.lang")  # English, from a page a POST rendered
    page.wait_for_load_state()
    shots.take(page, "english")
    assert page.url.endswith("/admin/roster?lang=en") and page.inner_text("h1") == "Roster"
    page.click("a.lang")
    page.wait_for_load_state()

    _choose(page, f"名册{tag}.csv", rows.encode())
    page.locator("#roster-import button[type=submit]").dblclick()
    page.wait_for_selector("#message")
    page.wait_for_timeout(500)  # a second request, if the double click sent one, has been answered
    shots.take(page, "imported")
    assert "新增 2 人" in page.inner_text("#message")
    actor = console.run(actor_for(console.deps, console.SUPER))
    entries = console.run(audit.entries(console.deps, actor, offset=0, limit=100)).entries
    assert [e.target for e in entries if e.action == "roster.import"].count(f"file:名册{tag}.csv") == 1
