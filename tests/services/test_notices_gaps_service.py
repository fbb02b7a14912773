"""通知 and 咨询缺口 use cases (bot/services/notices.py, gaps.py): the audience per unit, a schedule
that keeps out of quiet hours, progress and cancel only for the author or a super admin; the top
lookup gaps with a handled mark that a new question reopens; rights; audit entries."""

from __future__ import annotations

import pytest

from bot.services import audit, gaps, notices
from bot.services.org import AdminRole
from bot.services.rights import Forbidden, actor_for
from tests.support.notice_org import HOUR, NOON, ROOT, UNIT_ADMIN, org_app
from tests.support.transcript import Chat


@pytest.fixture
async def app(tmp_path):
    app = await org_app(tmp_path, [("A1", "张三", "a1", "zhang"), ("A2", "王五", "a", "wang"),
                                   ("B1", "李四", "b", "li")])
    yield app
    await app.close()


def _senders():
    return notices.Sender(ROOT, AdminRole(ROOT, None)), notices.Sender(UNIT_ADMIN, AdminRole(UNIT_ADMIN, "a"))


async def test_preview_counts_the_audience_per_unit(app):
    deps = app.service.deps
    root, unit = _senders()
    everyone = await notices.preview(deps, notices.directory(deps), root, "  明天上午九点开会  ")
    assert everyone.text == "明天上午九点开会" and everyone.total == 4
    assert sorted(everyone.per_unit) == [("", "", 1), ("a", "甲局", 1), ("a1", "甲局一科", 1), ("b", "乙局", 1)]
    mine = await notices.preview(deps, notices.directory(deps), unit, "通知")
    assert mine.total == 2 and {u for u, _, _ in mine.per_unit} == {"a", "a1"}
    with pytest.raises(notices.NoticeError) as refused:
        await notices.preview(deps, notices.directory(deps), root, " ")
    assert refused.value.key == "notice_err_empty"
    with pytest.raises(notices.NoticeError) as refused:
        await notices.preview(deps, notices.directory(deps), root, "长" * (notices.MAX_BROADCAST + 1))
    assert refused.value.key == "bc_too_long"


async def test_schedule_keeps_out_of_quiet_hours_and_cancel_stops_it(app):
    deps = app.service.deps
    root, unit = _senders()
    late = NOON + 11 * HOUR  # 23:00 in Beijing: quiet hours (22:00-07:00) until 07:00
    done = await notices.schedule(deps, notices.directory(deps), unit, "今晚通知", NOON, at=late, key="k1")
    assert done.quiet_moved and done.not_before == NOON + 19 * HOUR and done.queued == 2
    again = await notices.schedule(deps, notices.directory(deps), unit, "今晚通知", NOON, at=late, key="k1")
    assert again.campaign_id == done.campaign_id  # a double click makes one campaign
    assert await deps.storage.outbox.due_messages("cli", NOON + 12 * HOUR, 10) == []  # not at night
    assert len(await deps.storage.outbox.due_messages("cli", NOON + 19 * HOUR, 10)) == 2
    progress = await notices.progress(deps, unit, done.campaign_id)
    assert (progress.sent, progress.pending, progress.campaign.total, progress.text) == (0, 2, 2, "今晚通知")
    assert progress.not_before == NOON + 19 * HOUR

    other = notices.Sender("cli:someone-else", AdminRole("cli:someone-else", "b"))
    with pytest.raises(notices.NoticeError):  # another unit's admin cannot see or stop it
        await notices.progress(deps, other, done.campaign_id)
    with pytest.raises(notices.NoticeError):
        await notices.cancel(deps, other, done.campaign_id, NOON)
    assert await notices.cancel(deps, root, done.campaign_id, NOON + HOUR) == 2  # a super admin can
    progress = await notices.progress(deps, unit, done.campaign_id)
    assert (progress.pending, progress.cancelled, progress.campaign.status) == (0, 2, "cancelled")

    now = await notices.schedule(deps, notices.directory(deps), root, "立即", NOON)
    assert now.not_before == 0.0 and not now.quiet_moved and now.queued == 4
    assert [p.campaign.id for p in await notices.recent(deps, root)] == [now.campaign_id, done.campaign_id]
    assert [p.campaign.id for p in await notices.recent(deps, unit)] == [done.campaign_id]
    for bad_at, key in ((NOON - 2 * HOUR, "notice_err_past"), (NOON + 100 * 86_400, "notice_err_far")):
        with pytest.raises(notices.NoticeError) as refused:
            await notices.schedule(deps, notices.directory(deps), root, "x", NOON, at=bad_at)
        assert refused.value.key == key
    root_actor = await actor_for(deps, ROOT)
    log = await audit.entries(deps, root_actor, action="notice.")
    assert [e.action for e in reversed(log.entries)] == ["notice.schedule", "notice.cancel", "notice.schedule"]


async def test_chat_broadcast_still_goes_through(app):
    admin = Chat(app, "root")
    await admin.say("/broadcast 下午三点停电")
    assert "共 5 人" in admin.text  # the four above and the admin's own chat
    await admin.press("确认发送")
    assert "5" in admin.text
    campaign = (await app.storage.campaigns.recent_campaigns("broadcast"))[0]
    assert campaign.total == 5 and campaign.payload["text"] == "下午三点停电"


async def test_gaps_top_list_and_handled_mark(app):
    deps = app.service.deps
    root, unit = await actor_for(deps, ROOT), await actor_for(deps, UNIT_ADMIN)
    for user, query, reason in (("u1", "火星签证怎么办", "unsure"), ("u2", "火星签证怎么办", "none_of_these"),
                                ("u1", "火星签证怎么办", "unsure"), ("u3", "月球户口", "unsure")):
        await deps.storage.gaps.log_gap(user, query, reason, "", NOON - HOUR)
    top = await gaps.top_gaps(deps, root, NOON)
    assert [(g.query, g.count, g.users, g.rejected, g.handled) for g in top] == [
        ("火星签证怎么办", 3, 2, 1, False), ("月球户口", 1, 1, 0, False)]
    with pytest.raises(Forbidden):
        await gaps.top_gaps(deps, unit, NOON)
    with pytest.raises(Forbidden):
        await gaps.mark_handled(deps, unit, "月球户口", NOON)
    await gaps.mark_handled(deps, root, "火星签证怎么办", NOON, "已加办事指南")
    assert [g.query for g in await gaps.top_gaps(deps, root, NOON)] == ["月球户口"]
    handled = await gaps.top_gaps(deps, root, NOON, show="handled")
    assert handled[0].mark.handled_by == ROOT and handled[0].mark.note == "已加办事指南"
    await deps.storage.gaps.log_gap("u4", "火星签证怎么办", "unsure", "", NOON + HOUR)  # asked again
    again = await gaps.top_gaps(deps, root, NOON + 2 * HOUR)
    assert again[0].query == "火星签证怎么办" and again[0].asked_again
    assert await gaps.unmark(deps, root, "火星签证怎么办")
    with pytest.raises(gaps.GapError):
        await gaps.mark_handled(deps, root, "  ", NOON)
    log = await audit.entries(deps, root, action="gap.")
    assert [e.action for e in reversed(log.entries)] == ["gap.handled", "gap.reopen"]
