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
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from aiolimiter import AsyncLimiter

from bot.domain import reminder_rules as rules
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


class RateLimiter:
    """`rate` messages per second on average, at most `burst` of them at once (aiolimiter's leaky
    bucket), and `pause(s)`: a 429 holds every sender of the channel for s seconds, after which
    the bucket starts full (no burst right after a 429). `now` and `sleep` time the pause only
    (tests inject them); the bucket runs on the event loop's clock."""

    def __init__(self, rate: float, burst: float = 1.0, now: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Awaitable[object]] = asyncio.sleep):
        burst = max(1.0, burst)
        self.rate = rate
        self._bucket = AsyncLimiter(burst, burst / rate)
        self._now, self._sleep = now, sleep
        self._paused_until = 0.0
        self._refill = False  # the first acquire after a pause fills the bucket

    def pause(self, seconds: float) -> None:
        """Hold every acquire until `seconds` from now (a longer pause already set wins)."""
        until = self._now() + seconds
        if until > self._paused_until:
            self._paused_until = until
            self._refill = True

    def paused_for(self) -> float:
        """Seconds the limiter still holds senders back (0.0 when it does not)."""
        return max(0.0, self._paused_until - self._now())

    def resume(self) -> None:
        """End a pause now (the next acquire still starts with a full bucket)."""
        self._paused_until = 0.0

    async def acquire(self) -> None:
        while True:
            wait = self.paused_for()
            if wait > 0:
                await self._sleep(wait)
                continue
            if self._refill:
                self._refill = False
                await self._bucket.acquire(self._bucket.max_rate)  # wait until empty, then fill it
            await self._bucket.acquire()
            if self.paused_for() > 0:  # a 429 arrived while waiting: wait it out, take a new slot
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
                 owner: str | None = None, limiter: RateLimiter | None = None):
        self.storage = storage
        self.owner = owner or f"{worker_id()}:{channel}"
        self.channel = channel
        self.sender: Sender = as_sender(sender)
        self.clock = clock
        self.settings = settings or SenderSettings()
        self.rng = rng or random.Random()
        self._mono = monotonic
        s = self.settings
        self.limiter = limiter or RateLimiter(s.global_rate, max(1.0, s.global_rate * s.burst_seconds), monotonic)
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
                except Exception:
                    log.exception("outbox %s: round failed", self.channel)
                    handled = 0
                if handled == 0:
                    try:
                        await asyncio.wait_for(stop.wait(), self.settings.idle_poll)
                    except TimeoutError:
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
            except Exception:
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
                    except TimeoutError:
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
        except Exception as exc:
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
            except Exception as exc:
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
