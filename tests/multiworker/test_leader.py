"""Leader election: one holder at a time, on PostgreSQL (an advisory lock on a session of its own)
and on SQLite (a file lock); a leader whose session ends loses the lock and stops its jobs, and a
follower takes over."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from bot.runner import lead
from bot.storage.sql.leader import LEADER_LOCK_KEY, FileLeaderLock, PostgresLeaderLock, leader_lock
from bot.storage.sql.store import open_store
from tests.support import pg


@pytest.mark.sqlite_only
async def test_one_file_lock_holder_per_sqlite_database(tmp_path):
    store = await open_store(tmp_path / "one.sqlite3")
    try:
        first, second = leader_lock(store), leader_lock(store)
        assert isinstance(first, FileLeaderLock)
        assert await first.try_acquire() and await first.held()
        assert not await second.try_acquire()
        await first.release()
        assert await second.try_acquire()
        await second.release()
    finally:
        await store.close()


async def _terminate_holder(url: str) -> int:
    u = make_url(url)
    conn = await asyncpg.connect(host=u.host, port=u.port or 5432, user=u.username, database=u.database)
    try:
        return len(await conn.fetch("SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' "
                                    "AND granted AND objid = $1 AND database = (SELECT oid FROM pg_database "
                                    "WHERE datname = $2)", LEADER_LOCK_KEY, u.database))
    finally:
        await conn.close()


async def test_advisory_lock_leader_loses_its_session_and_a_follower_takes_over():
    pg.require()
    url = pg.create_database()
    store = await open_store(url)
    try:
        a, b = leader_lock(store), leader_lock(store)
        assert isinstance(a, PostgresLeaderLock)
        events: list[tuple[str, bool]] = []
        started: dict[str, int] = {"a": 0, "b": 0}

        def runner(name):
            def start():
                started[name] += 1
                return [asyncio.create_task(asyncio.sleep(3600))]
            return start

        tries = {"b": 0}
        b_try = b.try_acquire

        async def counted_try():
            tries["b"] += 1
            return await b_try()

        b.try_acquire = counted_try  # type: ignore[method-assign]
        task_a = asyncio.create_task(lead(a, runner("a"), retry=1.0, check=0.1,
                                          on_change=lambda up: events.append(("a", up))))
        for _ in range(100):  # a takes the lock
            if events:
                break
            await asyncio.sleep(0.05)
        task_b = asyncio.create_task(lead(b, runner("b"), retry=0.1, check=0.1,
                                          on_change=lambda up: events.append(("b", up))))
        try:
            for _ in range(100):  # b has tried (and failed) a few times
                if tries["b"] >= 3:
                    break
                await asyncio.sleep(0.05)
            assert tries["b"] >= 3
            assert events == [("a", True)] and started == {"a": 1, "b": 0}
            # the leader's session ends (as when its process is killed or its network drops)
            assert await _terminate_holder(url) == 1
            for _ in range(50):
                await asyncio.sleep(0.1)
                if ("b", True) in events and ("a", False) in events:
                    break
            # a notices at its next check; b may have taken the lock a moment before that
            assert sorted(events[1:3]) == [("a", False), ("b", True)] and len(events) == 3
            assert started == {"a": 1, "b": 1}
            task_b.cancel()  # b stops and lets go: a leads again
            await asyncio.gather(task_b, return_exceptions=True)
            for _ in range(50):
                await asyncio.sleep(0.1)
                if events[-1] == ("a", True):
                    break
            assert events[-1] == ("a", True) and started["a"] == 2
        finally:
            for task in (task_a, task_b):
                task.cancel()
            await asyncio.gather(task_a, task_b, return_exceptions=True)
    finally:
        await store.close()
        pg.drop_database(url)


async def _terminate_holder(url: str) -> int:
    u = make_url(url)
    conn = await asyncpg.connect(host=u.host, port=u.port or 5432, user=u.username, database=u.database)
    try:
        return len(await conn.fetch("SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' "
                                    "AND granted AND objid = $1 AND database = (SELECT oid FROM pg_database "
                                    "WHERE datname = $2)", LEADER_LOCK_KEY, u.database))
    finally:
        await conn.close()
