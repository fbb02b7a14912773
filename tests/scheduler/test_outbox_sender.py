"""The outbox sender with a scripted in-memory Sender and a manual clock: every outcome
(sent, 429, 403, transient with backoff, permanent, expired), the per-chat rate, the crash window,
and campaign cancel."""

from __future__ import annotations

import asyncio

import pytest

from bot.clock import ManualClock
from bot.scheduler.delivery import Delivery, Outcome
from bot.scheduler.outbox_sender import OutboxSender, RateLimiter, SenderSettings
from bot.storage.ports import OutboxRow
from bot.storage.sql.store import open_store
from tests.support.sql import sql_all, sql_one


class Scripted:
    """Answers per user from a script (a list consumed in order), else sent; records calls."""

    def __init__(self, script: dict[str, list[Delivery]] | None = None):
        self.script = script or {}
        self.calls: list[tuple[str, str]] = []

    async def deliver(self, user: str, payload: dict) -> Delivery:
        self.calls.append((user, payload["text"]))
        queue = self.script.get(user)
        return queue.pop(0) if queue else Delivery.sent()


@pytest.fixture
async def store(tmp_path):
    storage = await open_store(tmp_path / "o.sqlite3")
    yield storage
    await storage.close()


def settings(**kw) -> SenderSettings:
    base = dict(global_rate=1000.0, per_chat_rate=0.0, batch=10, backoff_base=10.0, backoff_max=100.0, max_tries=3)
    base.update(kw)
    return SenderSettings(**base)


async def queue(store, users, text="hi", campaign=None, now=0.0, expires_at=None):
    for u in users:
        await store.users.ensure_user(u, now)
    cid = campaign
    if cid is None:
        cid, _ = await store.campaigns.create_campaign(f"c-{text}", "broadcast", None, now)
    await store.outbox.enqueue_many(cid, [OutboxRow("tg", u, {"text": text}, f"{text}:{u}", expires_at) for u in users], now)
    return cid


async def statuses(store) -> dict[str, tuple[str, str]]:
    rows = await sql_all(store, "SELECT user_key, status, COALESCE(outcome, '') FROM outbox ORDER BY id")
    return {u: (s, o) for u, s, o in rows}


async def test_everything_sent_once_and_recorded(store):
    clock = ManualClock(1000.0)
    await queue(store, [f"tg:{i}" for i in range(25)])
    sender = Scripted()
    out = OutboxSender(store, "tg", sender, clock, settings())
    assert await out.drain() == 25
    assert await out.drain() == 0
    assert sorted(u for u, _ in sender.calls) == sorted(f"tg:{i}" for i in range(25))
    assert set((await statuses(store)).values()) == {("sent", "sent")}
    assert (await store.outbox.outbox_totals("tg"))["sent"] == 25


async def test_the_step_barrier_sends_one_batch(store):
    await queue(store, [f"tg:{i}" for i in range(25)])
    out = OutboxSender(store, "tg", Scripted(), ManualClock(1000.0), settings(batch=10))
    assert await out.step() == 10
    assert (await store.outbox.outbox_totals("tg")) == {"pending": 15, "inflight": 0, "sent": 10, "failed": 0, "cancelled": 0}


async def test_blocked_user_is_marked_and_never_tried_again(store):
    clock = ManualClock(1000.0)
    await queue(store, ["tg:1", "tg:2"], "first")
    await queue(store, ["tg:1"], "second")
    sender = Scripted({"tg:1": [Delivery.blocked("Forbidden: bot was blocked by the user")]})
    out = OutboxSender(store, "tg", sender, clock, settings(batch=2))  # window 2: 'second' claimed after the 403
    await out.drain()
    assert sender.calls.count(("tg:1", "first")) == 1 and ("tg:1", "second") not in sender.calls
    assert await store.users.is_blocked("tg:1") and not await store.users.is_blocked("tg:2")
    rows = await sql_all(store, "SELECT user_key, payload, status, outcome FROM outbox ORDER BY id")
    assert [(r[0], r[2], r[3]) for r in rows] == [("tg:1", "failed", "blocked"), ("tg:2", "sent", "sent"),
                                                   ("tg:1", "failed", "blocked")]
    # opting in again with /remind makes the user reachable again
    await store.reminders.set_reminder("tg:1", True, 480, None, clock.now())
    assert not await store.users.is_blocked("tg:1")


async def test_retry_after_pauses_and_the_message_goes_later(store):
    clock = ManualClock(1000.0)
    await queue(store, ["tg:1", "tg:2"])
    sender = Scripted({"tg:1": [Delivery.wait(7, "429")]})
    mono, waits = [0.0], []

    async def sleep(seconds):  # the limiter's pause on an injected clock: no real 7 s wait
        waits.append(seconds)
        mono[0] += seconds

    limiter = RateLimiter(1000.0, 50.0, now=lambda: mono[0], sleep=sleep)
    out = OutboxSender(store, "tg", sender, clock, settings(), limiter=limiter)
    await out.drain()
    row = await sql_one(store, "SELECT status, next_try_at, tries, error FROM outbox WHERE user_key = 'tg:1'")
    assert row[0] == "pending" and row[1] == pytest.approx(1007.0) and row[2] == 0 and "retry_after=7" in row[3]
    assert out.stats.throttled == 1
    # the 429 held the channel's other send (tg:2) for the 7 s before it went out
    assert waits == [7.0] and (await statuses(store))["tg:2"] == ("sent", "sent")
    out.limiter.pause(7.0)
    assert out.limiter.paused_for() == 7.0
    out.limiter.resume()
    assert out.limiter.paused_for() == 0.0
    assert await out.drain() == 0  # not due yet
    clock.advance(7)
    await out.drain()
    assert waits == [7.0]  # no pause left: sent at once
    assert (await statuses(store))["tg:1"] == ("sent", "sent")


async def test_transient_errors_back_off_then_give_up(store):
    clock = ManualClock(1000.0)
    await queue(store, ["tg:1", "tg:2"])
    sender = Scripted({"tg:1": [Delivery.transient("502")] * 5, "tg:2": [Delivery.transient("timeout")]})
    out = OutboxSender(store, "tg", sender, clock, settings(max_tries=3, backoff_base=10.0))
    await out.drain()
    first = await sql_one(store, "SELECT next_try_at, tries FROM outbox WHERE user_key = 'tg:1'")
    assert 1005.0 <= first[0] <= 1010.0 and first[1] == 1
    for _ in range(4):
        clock.advance(100)
        await out.drain()
    result = await statuses(store)
    assert result["tg:2"] == ("sent", "sent")  # recovered on the second try
    assert result["tg:1"] == ("failed", "gave_up")  # three transient failures: given up, with a reason
    assert sender.calls.count(("tg:1", "hi")) == 3
    reason = await sql_one(store, "SELECT error FROM outbox WHERE user_key = 'tg:1'")
    assert reason[0] == "502"


async def test_permanent_errors_and_sender_bugs(store):
    clock = ManualClock(1000.0)
    await queue(store, ["tg:1", "tg:2"])

    class Buggy(Scripted):
        async def deliver(self, user, payload):
            if user == "tg:2":
                raise ValueError("bug")
            return Delivery.permanent("Bad Request: chat not found")

    out = OutboxSender(store, "tg", Buggy(), clock, settings())
    await out.drain()
    result = await statuses(store)
    assert result["tg:1"] == ("failed", "permanent")
    assert result["tg:2"] == ("pending", "retry")  # a raising sender counts as a transient failure


async def test_expired_reminders_are_dropped_not_sent_late(store):
    clock = ManualClock(1000.0)
    await queue(store, ["tg:1"], "stale", expires_at=999.0)
    await queue(store, ["tg:2"], "fresh", expires_at=2000.0)
    sender = Scripted()
    await OutboxSender(store, "tg", sender, clock, settings()).drain()
    assert sender.calls == [("tg:2", "fresh")]
    assert (await statuses(store))["tg:1"] == ("failed", "expired")


async def test_per_chat_rate_spaces_messages_to_one_chat(store):
    clock = ManualClock(1000.0)
    await queue(store, ["tg:1", "tg:2"], "a")
    await queue(store, ["tg:1"], "b")
    sender = Scripted()
    out = OutboxSender(store, "tg", sender, clock, settings(per_chat_rate=1.0))
    await out.drain()
    assert sender.calls == [("tg:1", "a"), ("tg:2", "a")]
    row = await sql_one(store, "SELECT status, next_try_at, tries FROM outbox WHERE payload LIKE '%\"b\"%'")
    assert row[0] == "pending" and 1000.0 < row[1] <= 1001.0 and row[2] == 0


async def test_a_crash_leaves_one_window_in_flight_and_its_lease_bounds_the_resend(store):
    clock = ManualClock(1000.0)
    await queue(store, [f"tg:{i}" for i in range(30)])
    # a sender claimed, sent ... and died
    claimed = await store.outbox.claim_outbox("tg", clock.now(), 10, owner="dead", lease_seconds=30)
    assert len(claimed) == 10 and (await store.outbox.outbox_totals("tg"))["inflight"] == 10
    sender = Scripted()
    out = OutboxSender(store, "tg", sender, clock, settings())
    assert await out.start() == 0  # its lease still runs: a live sender's rows are not taken
    await out.drain()
    assert len(sender.calls) == 20 and (await store.outbox.outbox_totals("tg"))["inflight"] == 10
    clock.advance(31)
    assert await out.start() == 10  # the lease ran out: these may reach their users a second time
    await out.drain()
    assert len(sender.calls) == 30 and (await store.outbox.outbox_totals("tg"))["sent"] == 30
    assert out.stats.reclaimed == 10


async def test_a_live_sender_keeps_its_rows_and_a_late_record_of_a_lost_lease_is_ignored(store):
    clock = ManualClock(1000.0)
    await queue(store, ["tg:1", "tg:2"])
    mine = await store.outbox.claim_outbox("tg", clock.now(), 2, owner="a", lease_seconds=30)
    clock.advance(20)
    assert await store.outbox.renew_leases("tg", "a", clock.now() + 30) == 2
    clock.advance(20)  # 40 s after the claim, 20 s after the renewal: still a's
    assert await store.outbox.claim_outbox("tg", clock.now(), 10, owner="b") == []
    clock.advance(15)  # a stopped renewing: b claims them again
    theirs = await store.outbox.claim_outbox("tg", clock.now(), 10, owner="b")
    assert [m.id for m in theirs] == [m.id for m in mine] and all(m.reclaimed for m in theirs)
    from bot.storage.ports import DeliveryRecord
    await store.outbox.record_deliveries([DeliveryRecord(m.id, m.user_key, "failed", "permanent", clock.now())
                                          for m in mine], owner="a")  # a's late record: not a's any more
    assert (await store.outbox.outbox_totals("tg"))["inflight"] == 2
    await store.outbox.record_deliveries([DeliveryRecord(m.id, m.user_key, "sent", "sent", clock.now())
                                          for m in theirs], owner="b")
    assert (await store.outbox.outbox_totals("tg"))["sent"] == 2


async def test_cancel_stops_pending_messages(store):
    clock = ManualClock(1000.0)
    cid = await queue(store, [f"tg:{i}" for i in range(20)])
    out = OutboxSender(store, "tg", Scripted(), clock, settings(batch=5))
    await out.step()
    assert await store.campaigns.cancel_campaign(cid, clock.now()) == 15
    await out.drain()
    progress = await store.campaigns.campaign_progress(cid)
    assert progress["sent"] == 5 and progress["cancelled"] == 15 and progress["pending"] == 0
    assert (await store.campaigns.get_campaign(cid)).status == "cancelled"


async def test_console_style_sender_leaves_other_users_messages(store):
    clock = ManualClock(1000.0)
    await queue(store, ["cli:a", "cli:b"])

    class Console:
        only_user = None

        async def send(self, user, payload):
            return user == "cli:a"

    out = OutboxSender(store, "tg", Console(), clock, settings())
    await out.drain()
    result = await statuses(store)
    assert result["cli:a"] == ("sent", "sent") and result["cli:b"][0] == "pending"


async def test_rate_limiter_spaces_and_pauses():
    loop = asyncio.get_running_loop()
    limiter = RateLimiter(100.0, burst=2.0)
    began = loop.time()
    for _ in range(2):
        await limiter.acquire()
    assert loop.time() - began < 0.01  # a burst of two goes at once
    for _ in range(4):
        await limiter.acquire()
    assert 0.03 <= loop.time() - began < 0.15  # then 100/s: four more take about 40 ms

    now = [0.0]
    waits = []

    async def sleep(seconds):  # the pause runs on the injected clock: no real wait for a 429
        waits.append(seconds)
        now[0] += seconds

    paused = RateLimiter(100.0, burst=2.0, now=lambda: now[0], sleep=sleep)
    paused.pause(3.0)
    paused.pause(1.0)  # a shorter pause does not cut the longer one short
    assert paused.paused_for() == 3.0
    await paused.acquire()
    assert waits == [3.0] and paused.paused_for() == 0.0
    began = loop.time()
    await paused.acquire()
    assert loop.time() - began >= 0.005  # no burst right after the pause: the bucket started full
    assert Delivery.wait(2).outcome is Outcome.RETRY_AFTER


def test_each_channel_gets_its_platforms_rates():
    from bot.config import load_config
    from bot.runner import sender_settings

    config = load_config(None, scheduler={"outbox": {"global_rate": 1000, "per_chat_rate": 1}})
    assert sender_settings(config, "tg").global_rate == 1000 and sender_settings(config, "tg").batch_size == 100
    assert sender_settings(config, "wx").global_rate == 1000  # one outbox config for every platform
    assert sender_settings(config, "cli").per_chat_rate == 0.0  # the console has no platform limits
    assert SenderSettings(global_rate=30).batch_size == 10
