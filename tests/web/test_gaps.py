"""咨询缺口 in a real browser: questions residents asked that the bot could not answer (one asked in
chat, others logged), most asked first; a super admin marks one handled with a note, it leaves the
list to handle and shows who marked it when; asked again, it comes back. Unit admins get 403."""

from __future__ import annotations

import re
import uuid

from tests.support.transcript import Chat


def test_top_gaps_and_handled_mark(console, page, shot):
    tag = uuid.uuid4().hex[:6]
    query = f"火星移民签证{tag}怎么办理"

    async def ask():
        deps, now = console.deps, console.clock.now()
        for user in ("g1", "g2", "g3"):
            await deps.storage.gaps.log_gap(f"cli:{user}{tag}", query, "unsure", "", now - 60)
        await deps.storage.gaps.log_gap(f"cli:g1{tag}", query, "none_of_these", "", now - 30)
        return await Chat(console.app, f"gap{tag}").say(query)  # the lookup logs it as well

    reply = console.run(ask())
    assert reply
    console.login(page, console.SUPER)
    page.get_by_role("link", name="咨询缺口").first.click()
    page.wait_for_url(re.compile(r".*/admin/gaps$"))
    shot("gaps")
    row = page.locator("tr.gap", has_text=query)
    cells = row.locator("td.num").all_inner_texts()
    assert int(cells[0]) >= 4 and int(cells[1]) >= 3 and cells[2] == "1"
    row.locator("input[name=note]").fill("已补充办事指南")
    row.locator("button.primary").click()
    page.wait_for_url(re.compile(r".*/admin/gaps\?show=open&days=30&done=handled$"))
    shot("handled")
    assert page.locator("tr.gap", has_text=query).count() == 0
    page.select_option("select[name=show]", "handled")
    page.get_by_role("button", name="筛选").click()
    page.wait_for_url(re.compile(r".*show=handled.*"))
    shot("handled-list")
    row = page.locator("tr.gap", has_text=query)
    assert "已处理：cli:root" in row.inner_text() and "已补充办事指南" in row.inner_text()

    console.run(console.deps.storage.gaps.log_gap(f"cli:g4{tag}", query, "unsure", "", console.clock.now() + 1))
    console.clock.advance(2)
    console.visit(page, "/admin/gaps", "asked-again")
    assert "处理后又有人问过" in page.locator("tr.gap", has_text=query).inner_text()
    console.visit(page, "/admin/audit?action=gap.", "audit")
    assert "gap.handled" in page.locator("table.audit").inner_text()


def test_unit_admin_gets_403(console, page, shot):
    console.login(page, console.UNIT_ADMIN)
    assert page.get_by_role("link", name="咨询缺口").count() == 0
    response = console.visit(page, "/admin/gaps", "unit-admin-403")
    assert response.status == 403
