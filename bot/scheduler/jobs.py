"""The scheduled jobs. Each decides who gets what (rules.py) and writes the campaign and its outbox
rows in one transaction; nothing here talks to a platform (the outbox senders do)."""

from __future__ import annotations

import logging
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.app.reminders import daily_payload, daily_question_of
from bot.domain import reminder_rules as rules
from bot.services.audience import (
    AdminDirectory,
    AttemptsDigest,
    ConfigAdmins,
    ConfigExamSchedule,
    DigestSource,
    ExamSchedule,
    SnapshotHook,
)
from bot.services.notices import channel_of, quiet_hours, scheduler_zone
from bot.storage.ports import OutboxRow
from bot.texts import tr

log = logging.getLogger(__name__)
DAILY_BATCH = 5000


class ReminderJobs:
    def __init__(self, storage, catalog, config, locale_of, *, exams: ExamSchedule | None = None,
                 admins: AdminDirectory | None = None, digest: DigestSource | None = None,
                 snapshot: SnapshotHook | None = None):
        self.storage = storage
        self.catalog = catalog
        self.config = config
        self.locale_of = locale_of
        sched = config.scheduler
        self.zone = ZoneInfo(scheduler_zone(config))
        self.quiet = quiet_hours(config)
        windows = [rules.ExamWindow(w.exam, self._exam_title(w.exam), w.opens, w.closes) for w in sched.exam_windows]
        self.exams: ExamSchedule = exams or ConfigExamSchedule(storage, windows, catalog)
        self.admins: AdminDirectory = admins or ConfigAdmins(storage, config.admin.super_admins)
        self.digest: DigestSource = digest or AttemptsDigest(storage, catalog)
        self.snapshot = snapshot

    def _exam_title(self, exam_id: str) -> dict[str, str]:
        definition = self.catalog.exams.get(exam_id) if self.catalog else None
        return dict(definition.title) if definition else {"zh": exam_id}

    def local(self, now: float, zone: ZoneInfo | None = None) -> datetime:
        return datetime.fromtimestamp(now, zone or self.zone)

    # --- 每日一练 --------------------------------------------------------------------------
    async def daily_question(self, now: float) -> str:
        """Queue the day's question for every opted-in user whose chosen time has come (within
        the grace period) and who has not had it today. Runs every minute; idempotent."""
        grace = self.config.scheduler.daily_grace_minutes
        queued = 0
        for tz in await self.storage.reminders.reminder_zones():
            zone = ZoneInfo(tz) if tz else self.zone
            local = self.local(now, zone)
            minute = rules.minute_of(local)
            if self.quiet.contains(minute):
                continue
            date = local.date().isoformat()
            low, high = rules.daily_window(minute, grace)
            while True:
                users = await self.storage.reminders.daily_candidates(tz, date, low, high, DAILY_BATCH)
                if not users:
                    break
                queued += await self._queue_daily(users, date, local, now)
                if len(users) < DAILY_BATCH:
                    break
        return f"queued {queued}"

    async def _queue_daily(self, users: list[str], date: str, local: datetime, now: float) -> int:
        question = daily_question_of(self.catalog, date)
        grace = self.config.scheduler.daily_grace_minutes
        rows = []
        for user in users:
            pref = await self.storage.reminders.get_reminder(user)
            locale = await self.locale_of(user)
            expires = rules.daily_expiry(local, pref.minute if pref else rules.minute_of(local), grace, self.quiet)
            rows.append(OutboxRow(channel_of(user), user, daily_payload(question, locale, date),
                                  f"daily:{date}:{user}", expires.timestamp()))
        async with self.storage.atomic():  # the decision (last_daily) and its messages together
            campaign_id, _ = await self.storage.campaigns.create_campaign(f"daily:{date}", "daily", None, now,
                                                                {"question": question.id})
            added = await self.storage.outbox.enqueue_many(campaign_id, rows, now)
            await self.storage.reminders.mark_daily(users, date)
        return added

    # --- exam windows ----------------------------------------------------------------------
    async def exam_reminders(self, now: float) -> str:
        local = self.local(now)
        if self.quiet.contains(rules.minute_of(local)):
            return "quiet hours"
        today = local.date()
        days = self.config.scheduler.closing_reminder_days
        flags = await self.storage.reminders.reminder_flags()
        done = []
        for window in await self.exams.windows(today):
            kind = rules.exam_reminder_kind(today, window, days)
            if kind is None:
                continue
            name, left = kind
            audience = rules.reminder_audience(await self.exams.still_to_pass(window.exam_id), flags, set())
            key = f"exam:{window.exam_id}:{name}:{today.isoformat()}"
            rows = []
            for user in audience:
                locale = await self.locale_of(user)
                text = tr(locale, f"exam_remind_{name}", title=window.title_for(locale),
                          closes=window.closes.isoformat(), days=left)
                payload = {"text": text, "choices": [[[tr(locale, "btn_go_exam"), "x:l"],
                                                      [tr(locale, "btn_remind_settings"), "r:s"]]]}
                rows.append(OutboxRow(channel_of(user), user, payload, f"{key}:{user}"))
            expires = self.quiet.next_start(local).timestamp() if self.quiet.start != self.quiet.end else None
            async with self.storage.atomic():
                campaign_id, _created = await self.storage.campaigns.create_campaign(key, "exam_reminder", None, now,
                                                                          audience=window.exam_id)
                added = await self.storage.outbox.enqueue_many(campaign_id, rows, now, expires_at=expires)
            done.append(f"{key}={added}")
        return ", ".join(done) or "nothing due"

    # --- weekly digest and nightly snapshot ---------------------------------------------------
    async def weekly_digest(self, now: float) -> str:
        week = self.local(now).strftime("%G-W%V")
        rows = []
        for admin in await self.admins.admins():
            locale = await self.locale_of(admin)
            if hasattr(self.digest, "digest_with_buttons"):
                text, choices = await self.digest.digest_with_buttons(admin, locale, now)
            else:
                text, choices = await self.digest.digest(admin, locale, now), []
            payload = {"text": text, "choices": choices} if choices else {"text": text}
            rows.append(OutboxRow(channel_of(admin), admin, payload, f"digest:{week}:{admin}"))
        async with self.storage.atomic():
            campaign_id, _ = await self.storage.campaigns.create_campaign(f"digest:{week}", "digest", None, now)
            added = await self.storage.outbox.enqueue_many(campaign_id, rows, now)
        return f"digest to {added}"

    async def rates_snapshot(self, now: float) -> str:
        if self.snapshot is None:
            return "no snapshot hook"
        result = await self.snapshot(now)
        return f"snapshot {result}"
