"""The 操作日志 page: entries within the reader's scope, newest first, paged, filtered."""

from __future__ import annotations

import uuid

from bot.services import audit
from bot.services.rights import actor_for


async def _write_entries(deps, unit_admin: str, super_admin: str, units: tuple[str, str, str]) -> None:
    ua, ua1, ub = units
    root = await actor_for(deps, super_admin)
    admin = await actor_for(deps, unit_admin)
    async with deps.storage.atomic():
        await audit.record(deps, root, "test.org", "exam:audit-org", after={"title": "年度考试"})
        await audit.record(deps, root, "test.move", "person:audit-a1", unit=ua1, before={"unit": ub},
                           after={"unit": ua1})
        await audit.record(deps, root, "test.move", "person:audit-b", unit=ub)
        await audit.record(deps, admin, "test.unbind", "person:audit-a")
        for n in range(55):
            await audit.record(deps, root, "test.bulk", f"person:bulk-{n:02d}", unit=ua)


def test_the_audit_log_shows_each_admin_their_scope(console, page, shot):
    console.run(_write_entries(console.deps, console.UNIT_ADMIN, console.SUPER,
                               (console.UNIT_A, console.UNIT_A1, console.UNIT_B)))
    console.login(page, console.UNIT_ADMIN)
    console.visit(page, "/admin/audit?action=test.move")
    rows = page.locator("table.audit tbody tr")
    assert rows.count() == 1
    assert "person:audit-a1" in rows.first.inner_text() and "甲局一科" in rows.first.inner_text()
    rows.first.locator("summary").click()
    shot("details")
    assert '"unit": "ub"' in rows.first.locator("pre").first.inner_text()
    console.visit(page, "/admin/audit?action=test.")
    first = page.locator("main").inner_text()
    assert "共 57 条" in first and "第 1 / 2 页" in first  # 55 bulk + a1 + the unit admin's own
    assert page.locator("table.audit tbody tr").count() == 50
    assert "person:bulk-54" in first  # newest first
    page.get_by_role("link", name="下一页 ›").click()
    second = page.locator("main").inner_text()
    assert "第 2 / 2 页" in page.locator(".pager").inner_text()
    assert page.locator("table.audit tbody tr").count() == 7
    shot("page-2")
    both = first + second
    assert "person:audit-a\t" in both and "person:audit-a1" in both
    assert "person:audit-b" not in both and "exam:audit-org" not in both
    assert console.visit(page, f"/admin/audit?unit={console.UNIT_B}").status == 403


def test_a_super_admin_sees_every_entry_and_narrows_to_a_unit(console, page):
    console.run(_write_entries(console.deps, console.UNIT_ADMIN, console.SUPER,
                               (console.UNIT_A, console.UNIT_A1, console.UNIT_B)))
    console.login(page, console.SUPER)
    console.visit(page, "/admin/audit?action=test.org")
    assert "exam:audit-org" in page.locator("table.audit").inner_text()
    console.visit(page, f"/admin/audit?unit={console.UNIT_B}&action=test.move")
    assert page.locator("h1").inner_text() == "操作日志 · 乙局"
    assert "person:audit-b" in page.locator("table.audit").inner_text()
    assert "person:audit-a1" not in page.locator("table.audit").inner_text()
    assert console.visit(page, "/admin/audit?unit=nowhere").status == 404  # as on 总览 (403: outside the scope)
    console.visit(page, "/admin/audit")
    page.locator("select[name=action]").select_option(label="登录")  # console.js submits the filter
    page.wait_for_url(console.url("/admin/audit?action=web."))
    cells = page.locator("table.audit tbody td:nth-child(3)").all_inner_texts()
    assert cells and all(c == "登录管理后台 web.login" for c in cells)


def _targets(page) -> list[int]:
    return [int(t.rsplit("-", 1)[1]) for t in page.locator("table.audit tbody td:nth-child(4)").all_inner_texts()]


def test_deep_pages_follow_cursors_and_match_the_offset_pages(console, page, shot):
    """130 entries, three to a timestamp (ties broken by id), 20 a page: 下一页, », ‹ and « by
    cursor show the same entries, numbered alike, as page=N by offset."""
    action = f"cursor.t{uuid.uuid4().hex[:6]}"
    base = console.clock.now() - 10_000

    async def write():
        for n in range(130):
            await console.deps.storage.audit.add_audit(at=base + n // 3, actor=console.SUPER, action=action,
                                                       target=f"person:c-{n:03d}", unit_id=None, before=None,
                                                       after=None)

    console.run(write())
    console.login(page, console.SUPER)
    console.visit(page, f"/admin/audit?action={action}&size=20")
    newest_first = list(range(129, -1, -1))
    assert _targets(page) == newest_first[:20] and "第 1 / 7 页" in page.locator(".pager").inner_text()
    for number in (2, 3):
        page.get_by_role("link", name="下一页 ›").click()
        assert "after=" in page.url
        assert _targets(page) == newest_first[(number - 1) * 20:number * 20]
        assert f"第 {number} / 7 页" in page.locator(".pager").inner_text()
        assert "共 130 条" in page.locator(".pager").inner_text()  # the first page's count, carried
    shot("page-3-by-cursor")
    page.get_by_role("link", name="»").click()
    assert _targets(page) == newest_first[120:] and "第 7 / 7 页" in page.locator(".pager").inner_text()
    page.get_by_role("link", name="‹ 上一页").click()
    assert "before=" in page.url
    assert _targets(page) == newest_first[100:120] and "第 6 / 7 页" in page.locator(".pager").inner_text()
    shot("page-6-by-cursor")
    by_offset = {}
    for number in (3, 6, 7):  # the same pages by offset
        console.visit(page, f"/admin/audit?action={action}&size=20&page={number}", name=f"offset-{number}")
        by_offset[number] = _targets(page)
    assert by_offset == {3: newest_first[40:60], 6: newest_first[100:120], 7: newest_first[120:]}
    page.get_by_role("link", name="«").click()
    assert _targets(page) == newest_first[:20]
    console.visit(page, f"/admin/audit?action={action}&size=20&after=nonsense")  # a bad cursor: the newest page
    assert _targets(page) == newest_first[:20]
