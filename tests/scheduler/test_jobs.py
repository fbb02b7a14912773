"""Scheduled jobs with a manual clock (no sleeping): the cron triggers fire at the right local
times, the daily question reaches each opted-in user at their time, quiet hours and opt-outs
hold, exam reminders reach only those who still have to sit or pass, missed runs run once or are
skipped, and the APScheduler wiring registers the jobs."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bot.clock import ManualClock
from bot.domain.models import PaperItem
from bot.scheduler.jobs import ReminderJobs
from bot.scheduler.wiring import JobTable, Scheduler, build_jobs, build_scheduler
from tests.support.sql import sql_all, sql_one, sql_write
from tests.support.transcript import make_app

SH = ZoneInfo("Asia/Shanghai")


def at(y, m, d, h, mi=0) -> float:
    return datetime(y, m, d, h, mi, tzinfo=SH).timestamp()


async def outbox(app, kind: str | None = None) -> list[tuple[str, str]]:
    rows = await sql_all(app.storage, "SELECT o.user_key, o.dedupe_key FROM outbox o LEFT JOIN campaigns c "
                                  "ON c.id = o.campaign_id WHERE CAST(? AS TEXT) IS NULL OR c.kind = ? ORDER BY o.id", (kind, kind))
    return [(u, k) for u, k in rows]


@pytest.fixture
async def sched_app(tmp_path):
    clock = ManualClock(at(2026, 3, 2, 6, 0))  # a Monday, 06:00 in Shanghai
    app = await make_app(tmp_path, clock, scheduler={
        "broadcast_admins": ["cli:boss"],
        "exam_windows": [{"exam": "xuefa", "opens": "2026-03-02", "closes": "2026-03-05"}],
        "closing_reminder_days": [2],
    })
    app.table = build_scheduler(app).table
    yield app
    await app.close()


async def tick(app, y, m, d, h, mi=0) -> dict[str, str]:
    app.clock.t = at(y, m, d, h, mi)
    return await app.table.run_due()


def test_cron_triggers_fire_at_local_times(sched_app):
    triggers = {job.id: job.trigger for job in sched_app.table.jobs.values()}
    start = datetime(2026, 3, 2, 6, 0, tzinfo=SH)
    fire = lambda name: triggers[name].get_next_fire_time(None, start)  # noqa: E731
    assert fire("daily_question") == start
    assert fire("exam_reminders") == datetime(2026, 3, 2, 9, 0, tzinfo=SH)
    assert fire("weekly_digest") == datetime(2026, 3, 2, 9, 0, tzinfo=SH)  # Monday
    assert fire("rates_snapshot") == datetime(2026, 3, 3, 1, 30, tzinfo=SH)
    assert str(triggers["exam_reminders"].timezone) == "Asia/Shanghai"
    # 09:00 Shanghai is 01:00 UTC: the trigger is in local time, not UTC
    assert fire("exam_reminders").astimezone(ZoneInfo("UTC")).hour == 1


async def test_daily_question_at_each_users_time(sched_app):
    store, now = sched_app.storage, sched_app.clock.now()
    for user in ("cli:a", "cli:b", "cli:off", "cli:never", "cli:far"):
        await store.users.ensure_user(user, now)
    await store.reminders.set_reminder("cli:a", True, 8 * 60 + 30, None, now)
    await store.reminders.set_reminder("cli:b", True, 9 * 60, None, now)
    await store.reminders.set_reminder("cli:off", False, 8 * 60 + 30, None, now)
    await store.reminders.set_reminder("cli:far", True, 9 * 60, "Asia/Urumqi", now)  # UTC+6: 11:00 in Shanghai
    await tick(sched_app, 2026, 3, 2, 8, 29)
    assert await outbox(sched_app, "daily") == []
    await tick(sched_app, 2026, 3, 2, 8, 30)
    assert await outbox(sched_app, "daily") == [("cli:a", "daily:2026-03-02:cli:a")]
    await tick(sched_app, 2026, 3, 2, 8, 31)
    await tick(sched_app, 2026, 3, 2, 9, 0)
    await tick(sched_app, 2026, 3, 2, 10, 59)
    assert [u for u, _ in await outbox(sched_app, "daily")] == ["cli:a", "cli:b"]
    await tick(sched_app, 2026, 3, 2, 11, 0)
    assert [u for u, _ in await outbox(sched_app, "daily")] == ["cli:a", "cli:b", "cli:far"]
    await tick(sched_app, 2026, 3, 3, 8, 30)  # the next day: again, once
    assert [k for _, k in await outbox(sched_app, "daily")][-1] == "daily:2026-03-03:cli:a"
    users = {u for u, _ in await outbox(sched_app, "daily")}
    assert "cli:off" not in users and "cli:never" not in users


async def test_quiet_hours_and_blocked_users(sched_app):
    store, now = sched_app.storage, sched_app.clock.now()
    await store.users.ensure_user("cli:late", now)
    await store.users.ensure_user("cli:gone", now)
    await store.reminders.set_reminder("cli:late", True, 21 * 60 + 59, None, now)  # 21:59, quiet hours start at 22:00
    await store.reminders.set_reminder("cli:gone", True, 8 * 60, None, now)
    await store.outbox.record_deliveries([])  # no-op
    await sql_write(store, "UPDATE users SET blocked = 1 WHERE key = 'cli:gone'")
    await tick(sched_app, 2026, 3, 2, 8, 0)
    assert await outbox(sched_app, "daily") == []  # blocked: nothing queued
    await tick(sched_app, 2026, 3, 2, 22, 5)  # missed 21:59 and now it is quiet: nothing
    assert await outbox(sched_app, "daily") == []
    await tick(sched_app, 2026, 3, 3, 7, 30)  # after quiet hours, yesterday's is stale: nothing
    assert await outbox(sched_app, "daily") == []
    await tick(sched_app, 2026, 3, 3, 21, 59)
    [(user, _)] = await outbox(sched_app, "daily")
    expires = await sql_one(store, "SELECT expires_at FROM outbox WHERE user_key = 'cli:late'")
    assert user == "cli:late" and expires[0] == at(2026, 3, 3, 22, 0)  # not delivered in quiet hours


async def test_missed_daily_runs_once_within_grace_and_never_as_a_burst(sched_app):
    store, now = sched_app.storage, sched_app.clock.now()
    await store.users.ensure_user("cli:a", now)
    await store.reminders.set_reminder("cli:a", True, 8 * 60, None, now)
    await tick(sched_app, 2026, 3, 2, 7, 0)  # ran at 07:00, then the bot was down until 09:30
    await tick(sched_app, 2026, 3, 2, 9, 30)
    await tick(sched_app, 2026, 3, 2, 9, 31)
    assert await outbox(sched_app, "daily") == [("cli:a", "daily:2026-03-02:cli:a")]
    # down from 09:31 until 12:00 the next day: 08:00 + 3 h grace has passed -> skipped, not late
    await tick(sched_app, 2026, 3, 3, 12, 0)
    assert len(await outbox(sched_app, "daily")) == 1


async def test_missed_exam_reminder_runs_at_start_if_still_meaningful(sched_app):
    await tick(sched_app, 2026, 3, 1, 9, 0)  # the job ran on the 1st (no window yet)
    done = await tick(sched_app, 2026, 3, 2, 14, 0)  # down over 09:00; 5 h late < 6 h catch-up
    assert done["exam_reminders"].startswith("exam:xuefa:open")
    assert done["weekly_digest"].startswith("digest")
    assert await tick(sched_app, 2026, 3, 2, 14, 1) == {"daily_question": "queued 0"}  # nothing twice
    done = await tick(sched_app, 2026, 3, 4, 16, 0)  # down over the 3rd and 4th 09:00: 7 h late
    assert done["exam_reminders"] == "skipped: stale"
    last = await sql_one(sched_app.storage, "SELECT last_fire, outcome FROM job_runs WHERE job_id = 'exam_reminders'")
    assert last == (at(2026, 3, 4, 9, 0), "skipped: stale")


async def _attempt(store, user, passed, now):
    attempt = await store.attempts.create_attempt(user, "xuefa", "official", now, now + 60, [PaperItem("q", (0,), 1.0)])
    await store.attempts.finish_attempt(attempt.id, "submitted", now + 30, 100.0 if passed else 10.0, passed)


async def test_exam_reminders_reach_only_those_still_to_pass(sched_app):
    store, now = sched_app.storage, sched_app.clock.now()
    for user in ("cli:passed", "cli:failed", "cli:new", "cli:optout", "cli:blocked"):
        await store.users.ensure_user(user, now)
    await _attempt(store, "cli:passed", True, now)
    await _attempt(store, "cli:failed", False, now)
    await store.reminders.set_reminder("cli:optout", False, 480, None, now)
    await sql_write(store, "UPDATE users SET blocked = 1 WHERE key = 'cli:blocked'")
    await tick(sched_app, 2026, 3, 2, 9, 0)
    first = await outbox(sched_app, "exam_reminder")
    assert sorted(u for u, _ in first) == ["cli:failed", "cli:new"]
    assert all(k.startswith("exam:xuefa:open:2026-03-02:") for _, k in first)
    await tick(sched_app, 2026, 3, 3, 9, 0)  # 2 days before the close (closing_reminder_days: [2])
    await _attempt(store, "cli:failed", True, now)  # passes on the 3rd
    await tick(sched_app, 2026, 3, 4, 9, 0)  # nothing on the 4th (3 days... no: 1 day left)
    await tick(sched_app, 2026, 3, 5, 9, 0)  # the last day
    keys = [k.rsplit(":", 2)[0] for _, k in await outbox(sched_app, "exam_reminder")]
    assert keys == ["exam:xuefa:open:2026-03-02"] * 2 + ["exam:xuefa:closing:2026-03-03"] * 2 \
        + ["exam:xuefa:last_day:2026-03-05"]
    text = await sql_one(store, "SELECT payload FROM outbox WHERE dedupe_key LIKE 'exam:xuefa:last_day%'")
    assert "最后一天" in text[0]


async def test_weekly_digest_goes_to_admins_and_snapshot_hook_runs(sched_app):
    await tick(sched_app, 2026, 3, 2, 9, 0)
    [(user, key)] = await outbox(sched_app, "digest")
    assert user == "cli:boss" and key == "digest:2026-W10:cli:boss"
    calls = []

    async def snapshot(now):
        calls.append(now)
        return 3

    reminders = ReminderJobs(sched_app.storage, sched_app.catalog, sched_app.config,
                             sched_app.service.locale_of, snapshot=snapshot)
    table = JobTable(sched_app.storage, sched_app.clock, build_jobs(reminders, sched_app.config))
    sched_app.clock.t = at(2026, 3, 3, 1, 30)
    done = await table.run_due()
    assert done["rates_snapshot"] == "snapshot 3" and calls == [at(2026, 3, 3, 1, 30)]


async def test_apscheduler_registers_the_configured_jobs(sched_app):
    scheduler = Scheduler(sched_app.table, SH)
    await scheduler.start()
    try:
        jobs = {job.id: job for job in scheduler.aps.get_jobs()}
        assert set(jobs) == {"daily_question", "exam_reminders", "weekly_digest", "rates_snapshot"}
        assert all(job.coalesce and job.max_instances == 1 for job in jobs.values())
        assert jobs["exam_reminders"].misfire_grace_time == 6 * 3600
        assert str(jobs["exam_reminders"].trigger.timezone) == "Asia/Shanghai"
    finally:
        scheduler.shutdown()
