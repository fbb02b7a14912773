"""通知 in a real browser: compose a notice, preview its audience per unit, schedule it for a time
inside quiet hours (it moves to their end), watch its progress and cancel it; a time in the past is
refused with the reason. A unit admin's preview counts only their units' people."""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.domain.units import RosterEntry
from tests.support.transcript import Chat


@pytest.fixture
def bound(console):
    """Two people of unit 甲局一科 bind in chat (the unit admin's audience)."""
    tag = uuid.uuid4().hex[:6]
    staff = [f"NT{tag}{i}" for i in (1, 2)]

    async def setup():
        store, now = console.deps.storage, console.clock.now()
        await store.roster.upsert_roster([RosterEntry(staff[0], "通知甲", console.UNIT_A1, "公务员"),
                                          RosterEntry(staff[1], "通知乙", console.UNIT_A1, "公务员")], now)
        for i, number in enumerate(staff):
            text = await Chat(console.app, f"nt{tag}{i}").say(f"/bind {number} {'通知甲' if i == 0 else '通知乙'}")
            assert "绑定成功" in text, text
        await Chat(console.app, f"nt{tag}resident").say("/start")  # a resident on no roster

    console.run(setup())
    return tag


def _local_at(console, days: int, hour: int) -> tuple[str, datetime]:
    zone = ZoneInfo(console.config.timezone)
    day = datetime.fromtimestamp(console.clock.now(), zone).date() + timedelta(days=days)
    moment = datetime(day.year, day.month, day.day, hour, 0, tzinfo=zone)
    return moment.strftime("%Y-%m-%dT%H:%M"), moment


def test_compose_preview_schedule_watch_and_cancel(console, page, shot, bound):
    console.login(page, console.SUPER)
    page.get_by_role("link", name="通知").first.click()
    page.wait_for_url(re.compile(r".*/admin/notices$"))
    shot("notices")
    # a time in the past is refused with the reason
    page.fill("textarea[name=text]", f"测试通知{bound}")
    page.fill("input[name=at]", _local_at(console, -1, 9)[0])
    page.click("#notice-preview")
    page.locator("#notice-error").wait_for()
    assert "不能早于现在" in page.locator("#notice-error").inner_text()
    assert page.input_value("textarea[name=text]") == f"测试通知{bound}"
    # tomorrow 23:00 is in quiet hours (22:00-07:00): it starts at 07:00 the day after
    at, _ = _local_at(console, 1, 23)
    page.fill("input[name=at]", at)
    page.click("#notice-preview")
    page.wait_for_url(re.compile(r".*/admin/notices/preview$"))
    shot("preview")
    reach = console.run(console.deps.storage.users.reachable_users())
    assert page.locator("#notice-audience").inner_text() == f"将发送给 {len(reach)} 人，按单位："
    units = page.locator("table.audience").inner_text()
    assert "甲局一科" in units and "未绑定名册的用户" in units
    _, expected = _local_at(console, 2, 7)
    assert expected.strftime("%Y-%m-%d 07:00") in page.locator("#notice-when").inner_text()
    assert "已顺延" in page.locator("#notice-when").inner_text()
    page.click("#notice-send")
    page.wait_for_url(re.compile(r".*/admin/notices/\d+\?done=scheduled$"))
    shot("scheduled")
    campaign_id = int(re.search(r"/admin/notices/(\d+)", page.url).group(1))
    assert f"待发 {len(reach)}" in page.locator("#notice-progress").inner_text()
    assert page.locator("#notice-status").inner_text() == "发送中"
    assert f"测试通知{bound}" in page.locator("pre.notice-text").inner_text()
    page.click("#notice-cancel")
    page.wait_for_url(re.compile(rf".*/admin/notices/{campaign_id}\?done=cancelled.*"))
    shot("cancelled")
    assert page.locator("#notice-status").inner_text() == "已停止"
    assert f"已停止 {len(reach)}" in page.locator("#notice-progress").inner_text()
    progress = console.run(console.deps.storage.campaigns.campaign_progress(campaign_id))
    assert progress["pending"] == 0 and progress["cancelled"] == len(reach)
    console.visit(page, "/admin/notices", "list")
    assert "已停止" in page.locator(f"tr[data-campaign='{campaign_id}']").inner_text()
    console.visit(page, "/admin/audit?action=notice.", "audit")
    assert "notice.cancel" in page.locator("table.audit").inner_text()


def test_unit_admin_preview_counts_their_units_only(console, page, shot, bound):
    console.login(page, console.UNIT_ADMIN)
    console.visit(page, "/admin/notices")
    page.fill("textarea[name=text]", "本单位通知")
    page.click("#notice-preview")
    page.wait_for_url(re.compile(r".*/admin/notices/preview$"))
    shot("unit-preview")
    rows = page.locator("table.audience tbody tr").all_inner_texts()
    assert rows and all("甲局" in r for r in rows)
    assert "未绑定名册的用户" not in page.locator("table.audience").inner_text()
