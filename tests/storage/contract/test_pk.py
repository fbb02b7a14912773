"""The 答题PK repository, the same tests on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
import sqlite3

import asyncpg
import pytest

from bot.storage.ports import PkAnswer, PkQueueEntry
from bot.storage.sql.store import open_store
from tests.support.sql import sql_write


async def test_queue_prefers_the_same_unit_then_the_longest_waiting(store):
    pk = store.pk
    assert await pk.enqueue(PkQueueEntry("cli:a", "u1", "zh", 10.0))
    assert not await pk.enqueue(PkQueueEntry("cli:a", "u1", "zh", 11.0))  # already waiting
    assert await pk.enqueue(PkQueueEntry("cli:b", "u2", "en", 12.0))
    assert await pk.enqueue(PkQueueEntry("cli:c", None, "zh", 13.0))
    assert (await pk.queued("cli:b")).locale == "en"
    assert [e.user for e in await pk.waiting(12.0)] == ["cli:a", "cli:b"]
    taken = await pk.take_opponent("cli:x", "u2")
    assert taken == PkQueueEntry("cli:b", "u2", "en", 12.0)  # same unit first, though a waited longer
    assert (await pk.take_opponent("cli:x", None)).user == "cli:a"  # then the longest waiting
    assert await pk.take_opponent("cli:c", None) is None  # never oneself
    assert (await pk.take_queued("cli:c")).user == "cli:c"
    assert await pk.take_queued("cli:c") is None
    assert await pk.queued("cli:c") is None


async def test_two_workers_never_take_one_waiting_player_twice(target):
    stores = [await open_store(target) for _ in range(2)]
    try:
        for i in range(6):
            await stores[0].pk.enqueue(PkQueueEntry(f"cli:w{i}", None, "zh", float(i)))

        async def take(store, me):
            async with store.atomic():
                got = await store.pk.take_opponent(me, None)
                await asyncio.sleep(0.01)  # hold the row while the other worker looks
                return got

        results = await asyncio.gather(*(take(stores[i % 2], f"cli:t{i}") for i in range(8)))
        taken = [r.user for r in results if r is not None]
        assert sorted(taken) == [f"cli:w{i}" for i in range(6)]  # each waiting player exactly once
    finally:
        for s in stores:
            await s.close()


async def test_match_answers_advance_finish_and_one_active_match_per_person(store):
    pk = store.pk
    mid = await pk.create_match(["q1", "q2"], [("cli:a", "zh"), ("wx:b", "en")], 100.0, 120.0, None)
    match = await pk.get_match(mid, lock=True)
    assert (match.status, match.questions, match.pos, match.deadline, match.robot) == ("active", ("q1", "q2"), 0, 120.0, None)
    assert [(p.seat, p.user, p.locale, p.active) for p in match.players] == [(0, "cli:a", "zh", True), (1, "wx:b", "en", True)]
    assert match.seat_of("wx:b") == 1 and match.seat_of("cli:z") is None
    assert await pk.active_match_of("wx:b") == mid
    assert await pk.add_answer(mid, PkAnswer("cli:a", 0, 2, True, 3100), 103.1)
    assert not await pk.add_answer(mid, PkAnswer("cli:a", 0, 1, False, 5000), 105.0)  # answered once
    assert await pk.add_answer(mid, PkAnswer("wx:b", 0, -1, False, 20000), 121.0)
    assert await pk.answers(mid) == [PkAnswer("cli:a", 0, 2, True, 3100), PkAnswer("wx:b", 0, -1, False, 20000)]
    assert await pk.overdue(121.0) == [mid]
    assert await pk.advance(mid, 0, 121.0, 141.0)
    assert not await pk.advance(mid, 0, 121.0, 141.0)  # moved already
    assert await pk.overdue(121.0) == []
    with pytest.raises((sqlite3.IntegrityError, asyncpg.UniqueViolationError)):  # one active match per person
        await pk.create_match(["q3"], [("cli:a", "zh"), ("cli:c", "zh")], 122.0, 142.0, None)
    assert await pk.finish(mid, 130.0, "cli:a", "done")
    assert not await pk.finish(mid, 131.0, None, "quit")
    done = await pk.get_match(mid)
    assert (done.status, done.winner, done.reason, done.finished_at, done.pos) == ("done", "cli:a", "done", 130.0, 1)
    assert await pk.active_match_of("cli:a") is None and await pk.last_match_of("cli:a") == mid
    assert await pk.set_rematch(mid, "wx:b") and not await pk.set_rematch(mid, "cli:nobody")
    assert [p.rematch for p in (await pk.get_match(mid)).players] == [False, True]
    robot = [[True, 4200, 1], [False, 9000, 0]]
    again = await pk.create_match(["q3", "q4"], [("cli:a", "zh")], 140.0, 160.0, robot)
    assert (await pk.get_match(again)).robot == robot and await pk.active_match_of("cli:a") == again


async def test_answer_stats_from_the_answer_log(store):
    for i, (qid, correct, ms) in enumerate([("q1", 1, 4000), ("q1", 0, 6000), ("q1", 1, None), ("q2", 0, 90_000)]):
        await sql_write(store, "INSERT INTO answer_log (user_key, question_id, correct, elapsed_ms, mode, at) "
                               "VALUES (?, ?, ?, ?, 'practice', ?)", (f"cli:{i}", qid, correct, ms, float(i)))
    stats = await store.pk.answer_stats(["q1", "q2", "q3"])
    assert stats == {"q1": (3, 2, 5000.0), "q2": (1, 0, None)}  # times over a minute are not answer times
