"""Long-running work beside the channels: the exam deadline sweeper, the outbox senders (one per
channel, bot.scheduler.outbox_sender) and the scheduler (bot.scheduler.wiring). With several
workers on one database only the elected leader runs them (`lead`, bot/storage/sql/leader.py)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Protocol

from bot.scheduler.outbox_sender import OutboxSender, SenderSettings

log = logging.getLogger(__name__)


class Sender(Protocol):
    """The older boolean interface (the console): True = delivered, False = not this sender's
    user (left pending); raise to record a failed try. New channels implement
    bot.scheduler.delivery.Sender (`deliver` -> Delivery) instead; both are accepted."""

    async def send(self, user: str, payload: dict) -> bool: ...


def sender_settings(config, channel: str) -> SenderSettings:
    """Rates per channel: the configured platform limits; the console has none."""
    out = config.scheduler.outbox
    if channel == "cli":
        return SenderSettings(global_rate=1000.0, per_chat_rate=0.0, batch=50, max_tries=out.max_tries,
                              backoff_base=out.backoff_base_seconds, backoff_max=out.backoff_max_seconds,
                              lease_seconds=out.lease_seconds)
    return SenderSettings(global_rate=out.global_rate, per_chat_rate=out.per_chat_rate, batch=out.batch,
                          max_tries=out.max_tries, backoff_base=out.backoff_base_seconds,
                          backoff_max=out.backoff_max_seconds, lease_seconds=out.lease_seconds)


def outbox_sender(app, channel: str, sender) -> OutboxSender:
    return OutboxSender(app.storage, channel, sender, app.clock, sender_settings(app.config, channel))


async def drain_outbox(app, channel: str, sender) -> int:
    """Deliver what is due now on one channel; returns how many were delivered. Claims are
    disjoint and leased, so it is safe beside a running sender (it never takes that one's rows)."""
    out = outbox_sender(app, channel, sender)
    await out.drain(recover=False)
    return out.stats.sent


PK_SWEEP_SECONDS = 2.0  # 答题PK questions time out after 20 s: check often
UPDATE_KEYS_KEPT_SECONDS = 7 * 24 * 3600  # platforms redeliver within hours; a week is ample


async def drain_once(app, senders: dict) -> int:
    """Send what the outbox holds for each of these senders once (the console after each line)."""
    sent = 0
    for name, sender in senders.items():
        sent += await drain_outbox(app, name, sender)
    return sent


async def prune_update_keys(app) -> None:
    await app.storage.updates.forget_updates_before(app.clock.now() - UPDATE_KEYS_KEPT_SECONDS)


async def sweep_exams(app) -> int:
    return await app.service.exam.sweep(app.clock.now(), app.service.locale_of)


async def sweep_pk(app) -> int:
    return await app.service.pk.sweep(app.clock.now())


async def _every(seconds: float, job, *args) -> None:
    while True:
        try:
            await job(*args)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("background job %s failed", getattr(job, "__name__", job))
        await asyncio.sleep(seconds)


def background_tasks(app, senders: dict, *, scheduler: bool = True) -> list[asyncio.Task]:
    """The exam sweeper, update-key pruning, one outbox sender per channel, and the scheduler
    (whose jobs only queue messages; the senders deliver them)."""
    interval = app.config.exam.sweep_interval_seconds
    tasks = [asyncio.create_task(_every(interval, sweep_exams, app)),
             asyncio.create_task(_every(min(interval, PK_SWEEP_SECONDS), sweep_pk, app)),
             asyncio.create_task(_every(3600.0, prune_update_keys, app))]
    for name, sender in senders.items():
        tasks.append(asyncio.create_task(outbox_sender(app, name, sender).run()))
    if scheduler and app.config.scheduler.enabled:
        from bot.scheduler.wiring import run_scheduler

        tasks.append(asyncio.create_task(run_scheduler(app)))
    return tasks


LEADER_RETRY_SECONDS = 3.0  # a follower tries to take the lock this often
LEADER_CHECK_SECONDS = 3.0  # the leader checks that it still holds the lock this often


async def lead(lock, start: Callable[[], list[asyncio.Task]], *, retry: float = LEADER_RETRY_SECONDS,
               check: float = LEADER_CHECK_SECONDS, on_change: Callable[[bool], None] | None = None) -> None:
    """Follow until `lock` is ours, then run `start()`'s tasks while it stays ours; when it is
    lost (the database connection failed), stop them and follow again. Cancelled: stop the
    tasks, then let go of the lock (the next leader starts after this one stopped)."""
    from bot.worker import worker_id

    tasks: list[asyncio.Task] = []
    try:
        while True:
            try:
                got = await lock.try_acquire()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - the database is away: keep trying
                log.warning("leader election: %s", exc)
                got = False
            if not got:
                await asyncio.sleep(retry)
                continue
            log.info("worker %s is the leader: scheduler, exam sweeper and outbox senders run here", worker_id())
            if on_change is not None:
                on_change(True)
            tasks = start()
            while await lock.held():
                await asyncio.sleep(check)
            log.warning("worker %s lost the leadership (database connection lost): stopping the jobs", worker_id())
            await _cancel_all(tasks)
            if on_change is not None:
                on_change(False)
            await asyncio.sleep(retry)  # a worker whose connection just failed is the last candidate
    finally:
        await _cancel_all(tasks)
        await lock.release()


async def _cancel_all(tasks: list[asyncio.Task]) -> None:
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    tasks.clear()


def leader_task(app, senders: dict) -> asyncio.Task:
    """The background work of `lawbot run`, run only while this worker is the leader."""
    from bot.storage.sql.leader import leader_lock

    return asyncio.create_task(lead(leader_lock(app.storage), lambda: background_tasks(app, senders)))
