"""One sender per channel drains the outbox: claim a batch (in-flight), deliver it under a global
rate and a per-chat rate, record every outcome in one transaction, repeat.

Crash safety: a message is claimed (status 'inflight', with this sender's name and a lease that
the running sender keeps renewing) before it is sent and recorded after. A crash between the two
leaves it in-flight until the lease runs out; then any sender (another worker, or this one
restarted) claims it again and sends it. So at most one claimed batch can reach users twice;
everything else is sent exactly once. The batch size bounds that window. A starting sender never
touches rows another live sender holds.
"""

from __future__ import annotations

import asyncio
import logging
import math
import random
import time
from dataclasses import dataclass, field
from typing import Callable

from bot.scheduler import rules
from bot.scheduler.delivery import Delivery, Outcome, Sender, as_sender
from bot.storage.ports import DeliveryRecord, OutboxMessage
from bot.worker import worker_id

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SenderSettings:
    global_rate: float = 30.0  # messages per second, all chats
    per_chat_rate: float = 1.0  # messages per second to one chat
    batch: int = 0  # messages claimed at once (the crash window); 0 = rate / 10, within 10..200
    burst_seconds: float = 0.05  # the global limiter may run ahead by this much after a pause
    max_tries: int = 6  # transient failures before a message is given up
    backoff_base: float = 2.0
    backoff_max: float = 600.0
    max_retry_after: float = 3600.0  # a longer 429 wait is capped (and logged)
    concurrency: int = 256  # requests in the air at once
    idle_poll: float = 1.0  # seconds between looks at an empty outbox
    lease_seconds: float = 30.0  # an in-flight row of a dead sender is claimed again after this

    @property
    def batch_size(self) -> int:
        if self.batch:
            return self.batch
        return max(10, min(200, math.ceil(self.global_rate / 10)))


QUANTUM = 0.005


class RateLimiter:
    """GCRA (a token bucket as arrival times): `global_rate` per second on average, at most
    `burst` messages ahead of that schedule. `pause(s)` holds every sender for s seconds (429)."""

    def __init__(self, rate: float, burst: float = 1.0, now: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], object] = asyncio.sleep):
        self.interval = 1.0 / rate
        self.tau = max(0.0, (burst - 1.0)) * self.interval
        self._now, self._sleep = now, sleep
        self._tat = 0.0
        self._paused_until = 0.0

    def pause(self, seconds: float) -> None:
        until = self._now() + seconds
        if until > self._paused_until:
            self._paused_until = until
            self._tat = max(self._tat, until)  # no burst right after a 429

    async def acquire(self) -> None:
        while True:
            now = self._now()
            if now < self._paused_until:
                await self._sleep(self._paused_until - now)
                continue
            tat = max(self._tat, now)
            wait = tat - self.tau - now
            self._tat = tat + self.interval
            if wait > 0:
                # wake in 5 ms steps: at 1,000/s a few messages share a wake-up instead of one
                # timer each (the average rate is the GCRA's; only the spacing is coarser)
                await self._sleep(math.ceil(wait / QUANTUM - 1e-9) * QUANTUM)
                if self._now() < self._paused_until:  # a 429 arrived while waiting: take a new slot
                    continue
            return


@dataclass
class SenderStats:
    sent: int = 0
    failed: int = 0
    retried: int = 0
    throttled: int = 0  # 429s
    deferred: int = 0  # per-chat rate
    reclaimable_on_start: int = 0  # in-flight rows whose sender's lease had run out
    reclaimed: int = 0  # claimed again after another (dead) sender's lease ran out
    outcomes: dict[str, int] = field(default_factory=dict)


class OutboxSender:
    def __init__(self, storage, channel: str, sender, clock, settings: SenderSettings | None = None,
                 rng: random.Random | None = None, monotonic: Callable[[], float] = time.monotonic,
                 owner: str | None = None):
        self.storage = storage
        self.owner = owner or f"{worker_id()}:{channel}"
        self.channel = channel
        self.sender: Sender = as_sender(sender)
        self.clock = clock
        self.settings = settings or SenderSettings()
        self.rng = rng or random.Random()
        self._mono = monotonic
        s = self.settings
        self.limiter = RateLimiter(s.global_rate, max(1.0, s.global_rate * s.burst_seconds), monotonic)
        self._chat_interval = 1.0 / s.per_chat_rate if s.per_chat_rate > 0 else 0.0
        self._last_to: dict[str, float] = {}  # user -> monotonic time of the last send (pruned)
        self._gate = asyncio.Semaphore(s.concurrency)
        self._started = False
        self.stats = SenderStats()

    # --- lifecycle ---------------------------------------------------------------------
    async def start(self) -> int:
        """Look at what an interrupted run left: in-flight rows whose lease ran out are claimed
        again by the normal claims (rows another live sender holds are not touched). Returns
        how many there are now."""
        waiting = await self.storage.outbox.expired_leases(self.channel, self.clock.now())
        if waiting:
            log.warning("outbox %s: %d in-flight messages of an interrupted sender will be sent again "
                        "(they may reach their users twice)", self.channel, waiting)
        self.stats.reclaimable_on_start = waiting
        self._started = True
        return waiting

    async def run(self, stop: asyncio.Event | None = None) -> None:
        """Deliver forever (until `stop` is set or the task is cancelled), renewing the lease
        on this sender's in-flight rows while it runs."""
        stop = stop or asyncio.Event()
        if not self._started:
            await self.start()
        renewing = asyncio.create_task(self._renew_leases())
        try:
            while not stop.is_set():
                try:
                    handled = await self.pump(stop)
                except asyncio.CancelledError:
                    raise
                except Exception:  # noqa: BLE001 - a failing round must not stop the sender
                    log.exception("outbox %s: round failed", self.channel)
                    handled = 0
                if handled == 0:
                    try:
                        await asyncio.wait_for(stop.wait(), self.settings.idle_poll)
                    except asyncio.TimeoutError:
                        pass
        finally:
            renewing.cancel()

    async def _renew_leases(self) -> None:
        lease = self.settings.lease_seconds
        while True:
            await asyncio.sleep(lease / 3)
            try:
                await self.storage.outbox.renew_leases(self.channel, self.owner, self.clock.now() + lease)
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - the next round tries again; the lease has slack
                log.exception("outbox %s: renewing leases failed", self.channel)

    async def drain(self, recover: bool = True) -> int:
        """Deliver everything due now, then return how many messages were handled (tests, the
        console). `recover` is kept for callers of the older interface: no sender releases
        another's claims any more (expired leases are claimed by the normal claims)."""
        if recover and not self._started:
            await self.start()
        return await self.pump()

    async def step(self) -> int:
        """One claimed batch: claim, deliver, record (a barrier per batch; tests use it to stop
        between batches). Returns how many messages were claimed."""
        batch = await self._claim(self.settings.batch_size)
        if not batch:
            return 0
        records = await asyncio.gather(*(self._one(m) for m in batch))
        await self.storage.outbox.record_deliveries(list(records), self.owner)
        return len(batch)

    async def _claim(self, limit: int) -> list[OutboxMessage]:
        only_user = getattr(self.sender, "only_user", None)
        batch = await self.storage.outbox.claim_outbox(self.channel, self.clock.now(), limit, only_user,
                                                       owner=self.owner, lease_seconds=self.settings.lease_seconds)
        again = sum(1 for m in batch if m.reclaimed)
        if again:
            self.stats.reclaimed += again
            log.warning("outbox %s: %d messages claimed again after their sender's lease ran out",
                        self.channel, again)
        return batch

    async def pump(self, stop: asyncio.Event | None = None) -> int:
        """Deliver until nothing is due, keeping at most `batch_size` messages claimed-but-not-
        recorded at any moment (the crash window). Claims come in half windows and outcomes are
        recorded as they arrive, so the slowest request never holds up the rest: the rate stays
        at the limiter's, not at batch round trips. Returns how many messages were handled."""
        window = self.settings.batch_size
        chunk = max(1, window // 2)
        done: list[DeliveryRecord] = []
        wake = asyncio.Event()
        tasks: set[asyncio.Task] = set()
        claimed = 0  # claimed and not yet recorded
        handled = 0
        exhausted = False

        def finished(task: asyncio.Task) -> None:
            tasks.discard(task)
            if not task.cancelled() and task.exception() is None:
                done.append(task.result())
            wake.set()

        try:
            while True:
                if not exhausted and claimed + chunk <= window and not (stop and stop.is_set()):
                    batch = await self._claim(chunk)
                    if len(batch) < chunk:
                        exhausted = True  # nothing more due now: finish what is in flight
                    claimed += len(batch)
                    handled += len(batch)
                    for message in batch:
                        task = asyncio.create_task(self._one_safe(message))
                        tasks.add(task)
                        task.add_done_callback(finished)
                    if batch:
                        continue
                if done and (len(done) >= chunk // 2 or not tasks or claimed + chunk > window):
                    records, done[:] = list(done), []
                    await self.storage.outbox.record_deliveries(records, self.owner)
                    claimed -= len(records)
                    continue
                if not tasks:
                    if done:
                        continue
                    if exhausted or (stop and stop.is_set()):
                        return handled
                wake.clear()
                if tasks:
                    try:
                        await asyncio.wait_for(wake.wait(), 0.02)
                    except asyncio.TimeoutError:
                        pass
        finally:
            if tasks:  # cancelled: the claims stay in flight until their lease runs out
                for task in list(tasks):
                    task.cancel()

    async def _one_safe(self, message: OutboxMessage) -> DeliveryRecord:
        try:
            return await self._one(message)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - a bug here must not leave the row claimed forever
            log.exception("outbox %s: message %s", self.channel, message.id)
            return self._after(message, Delivery.transient(repr(exc)))

    async def _one(self, message: OutboxMessage) -> DeliveryRecord:
        now = self.clock.now()
        if message.blocked:
            return self._record(message, "failed", "blocked", now, tries=0, error="user blocked the bot")
        if message.expires_at is not None and now > message.expires_at:
            return self._record(message, "failed", "expired", now, tries=0, error="stale: not sent after its expiry")
        wait = self._chat_wait(message.user_key)
        if wait > 0:  # the per-chat rate: this chat had a message moments ago
            self.stats.deferred += 1
            return self._record(message, "pending", "deferred", now, next_try_at=now + wait, tries=0)
        self._last_to[message.user_key] = self._mono()
        async with self._gate:
            await self.limiter.acquire()
            self._last_to[message.user_key] = self._mono()
            try:
                result = await self.sender.deliver(message.user_key, message.payload)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - a sender bug must not lose the row
                log.exception("outbox %s: sender raised for message %s", self.channel, message.id)
                result = Delivery.transient(repr(exc))
        return self._after(message, result)

    def _chat_wait(self, user: str) -> float:
        if not self._chat_interval:
            return 0.0
        mono = self._mono()
        if len(self._last_to) > 50_000:
            cutoff = mono - self._chat_interval
            self._last_to = {u: t for u, t in self._last_to.items() if t > cutoff}
        last = self._last_to.get(user)
        return 0.0 if last is None else max(0.0, last + self._chat_interval - mono)

    def _after(self, message: OutboxMessage, result: Delivery) -> DeliveryRecord:
        now = self.clock.now()
        s = self.settings
        if result.outcome is Outcome.SENT:
            self.stats.sent += 1
            return self._record(message, "sent", "sent", now)
        if result.outcome is Outcome.RETRY_AFTER:
            wait = min(result.retry_after, s.max_retry_after)
            self.stats.throttled += 1
            self.limiter.pause(wait)
            return self._record(message, "pending", "throttled", now, next_try_at=now + wait, tries=0,
                                error=f"429 retry_after={result.retry_after:g}")
        if result.outcome is Outcome.NOT_MINE:
            return self._record(message, "pending", "not_mine", now, next_try_at=now + s.idle_poll, tries=0)
        if result.outcome is Outcome.BLOCKED:
            return self._record(message, "failed", "blocked", now, error=result.detail or "blocked")
        if result.outcome is Outcome.PERMANENT:
            return self._record(message, "failed", "permanent", now, error=result.detail or "permanent error")
        tries = message.tries + 1
        if tries >= s.max_tries:
            return self._record(message, "failed", "gave_up", now, error=result.detail or "transient error")
        self.stats.retried += 1
        delay = rules.backoff(tries, s.backoff_base, s.backoff_max, self.rng)
        return self._record(message, "pending", "retry", now, next_try_at=now + delay, error=result.detail)

    def _record(self, message: OutboxMessage, status: str, outcome: str, at: float, *, next_try_at: float = 0.0,
                tries: int = 1, error: str | None = None) -> DeliveryRecord:
        if status == "failed":
            self.stats.failed += 1
        if status != "pending" or outcome not in ("deferred", "not_mine"):
            self.stats.outcomes[outcome] = self.stats.outcomes.get(outcome, 0) + 1
        return DeliveryRecord(message.id, message.user_key, status, outcome, at, next_try_at, tries, error)
