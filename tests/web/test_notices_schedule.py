"""Scheduling a notice (bot/services/notices.py schedule): the organisation's audience is queued by
one INSERT … SELECT (CampaignRepository.enqueue_audience). It must queue exactly the accounts the
audience lists one by one (bound members of the sender's subtree, not blocked; everyone reachable
for a super admin), once per campaign even when the same request arrives twice at the same time,
and nothing at all for an empty audience. Runs on SQLite and, with LAWBOT_TEST_BACKEND=postgresql,
on PostgreSQL (where the two requests really run on two connections)."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select, update

from bot.domain.units import Unit
from bot.services import audit, notices
from bot.services.org import AdminRole
from bot.services.rights import actor_for
from bot.storage.tables import audit_log, outbox, users
from tests.support.notice_org import HOUR, NOON, ROOT, UNIT_ADMIN, org_app


@pytest.fixture
async def app(tmp_path):
    app = await org_app(tmp_path, [("A1", "张三", "a1", "zhang"), ("A2", "王五", "a", "wang"),
                                   ("A3", "赵六", "a1", "zhao"), ("B1", "李四", "b", "li"),
                                   ("A4", "孙七", "a", None)],  # A4 never binds
                        extra_units=[Unit("c", "丙局", "city")])
    await app.storage.db.run(update(users).where(users.c.key == "cli:zhao").values(blocked=1))  # blocked the bot
    yield app
    await app.close()


class OneByOne:
    """The organisation's directory seen through the AdminDirectory port only: schedule lists the
    audience and queues it row by row (what it does for any other directory)."""

    def __init__(self, inner):
        self.inner = inner

    async def audience(self, role):
        return await self.inner.audience(role)


async def _queued(app, campaign_id: int) -> dict[str, tuple]:
    rows = await app.storage.db.run(select(outbox.c.user_key, outbox.c.channel, outbox.c.payload,
                                           outbox.c.dedupe_key, outbox.c.next_try_at, outbox.c.status)
                                    .where(outbox.c.campaign_id == campaign_id))
    return {r[0]: tuple(r[1:]) for r in rows.rows}


@pytest.mark.parametrize("who", ["super", "unit"])
async def test_set_based_queue_equals_the_listed_audience(app, who):
    deps = app.service.deps
    role = AdminRole(ROOT, None) if who == "super" else AdminRole(UNIT_ADMIN, "a")
    sender = notices.Sender(role.user, role)
    late = NOON + 11 * HOUR  # 23:00 in Beijing: moved to 07:00 (quiet hours)
    fast = await notices.schedule(deps, notices.directory(deps), sender, "通知一", NOON, at=late, key=f"{who}-1")
    slow = await notices.schedule(deps, OneByOne(notices.directory(deps)), sender, "通知一", NOON, at=late,
                                  key=f"{who}-2")
    fast_rows, slow_rows = await _queued(app, fast.campaign_id), await _queued(app, slow.campaign_id)
    if who == "super":  # every account that ever wrote (the admins' own too), minus the blocked
        expected = set(await app.storage.users.reachable_users())
        assert {"cli:zhang", "cli:wang", "cli:li", "cli:resident"} <= expected and "cli:zhao" not in expected
    else:  # a's subtree, bound: not the blocked zhao, not b's li, not the resident
        expected = {"cli:zhang", "cli:wang"}
    assert set(fast_rows) == set(slow_rows) == expected
    assert fast.queued == slow.queued == len(expected)
    for user, (channel, payload, dedupe, next_try_at, status) in fast_rows.items():
        assert (channel, dedupe, next_try_at, status) == ("cli", f"bc{fast.campaign_id}:{user}", NOON + 19 * HOUR,
                                                          "pending")
        assert payload == slow_rows[user][1] and '"通知一"' in payload
    progress = await notices.progress(deps, sender, fast.campaign_id)
    assert (progress.pending, progress.campaign.total) == (len(expected), len(expected))


async def test_the_same_request_twice_at_once_schedules_once(app):
    deps = app.service.deps
    sender = notices.Sender(UNIT_ADMIN, AdminRole(UNIT_ADMIN, "a"))
    first, second = await asyncio.gather(
        notices.schedule(deps, notices.directory(deps), sender, "开会", NOON, key="web:click"),
        notices.schedule(deps, notices.directory(deps), sender, "开会", NOON, key="web:click"))
    assert first.campaign_id == second.campaign_id and first.queued == second.queued == 2
    assert set(await _queued(app, first.campaign_id)) == {"cli:zhang", "cli:wang"}
    assert [p.campaign.id for p in await notices.recent(deps, sender, 10)] == [first.campaign_id]
    logged = await app.storage.db.run(select(audit_log.c.target).where(audit_log.c.action == "notice.schedule"))
    assert [r[0] for r in logged.rows] == [f"campaign:{first.campaign_id}"]
    # a later click of the same form again returns the campaign and queues nothing more
    third = await notices.schedule(deps, notices.directory(deps), sender, "开会", NOON + 5, key="web:click")
    assert third.campaign_id == first.campaign_id and len(await _queued(app, first.campaign_id)) == 2


async def test_an_empty_audience_writes_nothing(app):
    deps = app.service.deps
    await app.storage.admins.set_admin("cli:unit-c", "c", ROOT, 1.0)
    sender = notices.Sender("cli:unit-c", AdminRole("cli:unit-c", "c"))  # 丙局: nobody on its roster
    with pytest.raises(notices.NoticeError) as refused:
        await notices.schedule(deps, notices.directory(deps), sender, "通知", NOON, key="empty")
    assert refused.value.key == "bc_empty_audience"
    assert await notices.recent(deps, sender, 10) == []
    page = await audit.entries(deps, await actor_for(deps, ROOT), action="notice.schedule")
    assert page.total == 0
