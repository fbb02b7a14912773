"""APScheduler (3.x AsyncIOScheduler) wiring: the jobs from config as cron triggers in the
scheduler's time zone, each run through a JobTable that remembers the last fire time in storage.

Missed runs: APScheduler's `coalesce` (a backlog fires once) and `misfire_grace_time` (a fire too
late is skipped) cover a busy loop while the process runs. Downtime is our own rule
(rules.missed_run) applied at start by `JobTable.run_due`: for each job, the latest fire time
that passed while the bot was down runs once if it is at most catch_up_minutes old, else it is
recorded as skipped. Tests call `run_due(now)` with a ManualClock instead of waiting."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger

from bot.domain import reminder_rules as rules
from bot.scheduler.jobs import ReminderJobs

log = logging.getLogger(__name__)
LOOKBACK = timedelta(days=8)  # longer than the longest period (weekly)
JOB_NAMES = ("daily_question", "exam_reminders", "weekly_digest", "rates_snapshot")


@dataclass(frozen=True)
class ScheduledJob:
    id: str
    trigger: CronTrigger
    run: Callable[[float], Awaitable[str]]
    catch_up_seconds: float


class JobTable:
    def __init__(self, storage, clock, jobs: list[ScheduledJob]):
        self.storage = storage
        self.clock = clock
        self.jobs = {job.id: job for job in jobs}
        self._lock = asyncio.Lock()

    @staticmethod
    def latest_due(trigger: CronTrigger, since: datetime, now: datetime) -> datetime | None:
        """The last fire time in [since, now], or None. Looks back over a doubling span from
        now, then walks forward inside it: a few trigger calls even for a per-minute job over
        an eight-day lookback (walking the whole lookback took ~0.3 s and blocked the loop)."""
        span = timedelta(minutes=1)
        while True:
            start = max(since, now - span)
            fire = trigger.get_next_fire_time(None, start)
            if fire is not None and fire <= now:
                while True:
                    following = trigger.get_next_fire_time(fire, fire + timedelta(seconds=1))
                    if following is None or following > now:
                        return fire
                    fire = following
            if start <= since:
                return None
            span *= 2

    async def run_due(self, now: float | None = None, only: str | None = None) -> dict[str, str]:
        """Run every job whose latest fire time has not run yet and is still meaningful; skip (and
        record) stale ones. Idempotent: a second call at the same time does nothing."""
        now = self.clock.now() if now is None else now
        done: dict[str, str] = {}
        async with self._lock:
            for job in self.jobs.values():
                if only is not None and job.id != only:
                    continue
                tz = job.trigger.timezone
                now_dt = datetime.fromtimestamp(now, tz)
                last = await self.storage.jobs.last_fire(job.id)
                since = now_dt - LOOKBACK
                if last is not None:
                    since = max(since, datetime.fromtimestamp(last, tz) + timedelta(seconds=1))
                due = self.latest_due(job.trigger, since, now_dt)
                decision = rules.missed_run(last, due.timestamp() if due else None, now, job.catch_up_seconds)
                if decision == "idle" or due is None:  # never due yet: always "idle"
                    continue
                if decision == "skip":
                    log.info("job %s: missed run at %s is stale; skipped", job.id, due)
                    outcome = "skipped: stale"
                else:
                    try:
                        outcome = await job.run(now)
                    except Exception as exc:
                        log.exception("job %s failed", job.id)
                        outcome = f"error: {exc!r}"[:200]
                await self.storage.jobs.record_fire(job.id, due.timestamp(), now, outcome)
                log.info("job %s fire %d (%s) recorded: %s", job.id, due.timestamp(), due.isoformat(), outcome)
                done[job.id] = outcome
        return done


def build_jobs(reminders: ReminderJobs, config) -> list[ScheduledJob]:
    zone = ZoneInfo(config.scheduler.timezone or config.timezone)
    jobs = []
    for name in JOB_NAMES:
        job_config = getattr(config.scheduler.jobs, name)
        if not job_config.enabled:
            continue
        trigger = CronTrigger.from_crontab(job_config.cron, timezone=zone)
        jobs.append(ScheduledJob(name, trigger, getattr(reminders, name), job_config.catch_up_minutes * 60.0))
    return jobs


class Scheduler:
    """The JobTable on an APScheduler AsyncIOScheduler. `start()` first catches up once."""

    def __init__(self, table: JobTable, zone: ZoneInfo):
        self.table = table
        self.aps = AsyncIOScheduler(timezone=zone)

    async def start(self) -> dict[str, str]:
        caught_up = await self.table.run_due()
        for job in self.table.jobs.values():
            self.aps.add_job(self.table.run_due, job.trigger, kwargs={"only": job.id}, id=job.id, name=job.id,
                             coalesce=True, max_instances=1,
                             misfire_grace_time=max(1, int(job.catch_up_seconds)) or None)
        self.aps.start()
        return caught_up

    def shutdown(self) -> None:
        if self.aps.running:
            self.aps.shutdown(wait=False)


def org_ports(app) -> dict:
    """The organisation behind the audience ports: official exam windows and the roster,
    admin roles, per-unit digest and the nightly rates snapshot (Stats.take_snapshot)."""
    service = app.service
    org = getattr(service, "org", None)
    official = getattr(getattr(service, "exam", None), "official", None)
    if org is None or official is None:
        return {}
    from bot.services.audience import AttemptsDigest, ConfigExamSchedule
    from bot.services.org_audience import OfficialDigest, OfficialExamSchedule, OrgAdmins
    from bot.services.stats_report import Stats

    config = app.config
    zone = ZoneInfo(config.scheduler.timezone or config.timezone)
    windows = [rules.ExamWindow(w.exam, {"zh": w.exam}, w.opens, w.closes) for w in config.scheduler.exam_windows]
    stats = Stats(service.deps, org)
    return {"exams": OfficialExamSchedule(app.storage, official, org, zone,
                                          ConfigExamSchedule(app.storage, windows, app.catalog)),
            "admins": OrgAdmins(app.storage, org),
            "digest": OfficialDigest(stats, org, AttemptsDigest(app.storage, app.catalog)),
            "snapshot": stats.take_snapshot}


def build_scheduler(app, **ports) -> Scheduler:
    """ports: exams=, admins=, digest=, snapshot=; by default the organisation's (org_ports)."""
    config = app.config
    ports = {**org_ports(app), **ports}
    reminders = ReminderJobs(app.storage, app.catalog, config, app.service.locale_of, **ports)
    table = JobTable(app.storage, app.clock, build_jobs(reminders, config))
    return Scheduler(table, ZoneInfo(config.scheduler.timezone or config.timezone))


async def run_scheduler(app, **ports) -> None:
    scheduler = build_scheduler(app, **ports)
    try:
        caught_up = await scheduler.start()
        if caught_up:
            log.info("scheduler start-up catch-up: %s", caught_up)
        await asyncio.Event().wait()
    finally:
        scheduler.shutdown()
