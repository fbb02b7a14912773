"""The SQLite fast path of the SQL store (statements on the loop thread, BEGIN/COMMIT without a
thread hop) keeps the storage's contract: atomic, durable at COMMIT, rollback on error,
and no event-loop stall when another connection holds the write lock."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest

from bot.storage.sql.store import open_store

pytestmark = pytest.mark.sqlite_only  # reads the SQLite file itself


@pytest.fixture
async def store(tmp_path):
    storage = await open_store(tmp_path / "fast.sqlite3")
    yield storage
    await storage.close()


def _peek(path, sql, params=()):
    conn = sqlite3.connect(str(path))
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


async def test_commit_is_visible_to_another_connection_when_atomic_returns(store, tmp_path):
    async with store.atomic():
        await store.users.ensure_user("u1", 1.0)
        assert await store.updates.first_seen("upd-1", 1.0) is True
        assert await store.updates.first_seen("upd-1", 1.0) is False  # rowcount inside the transaction
    assert _peek(tmp_path / "fast.sqlite3", "SELECT key FROM users") == [("u1",)]
    assert _peek(tmp_path / "fast.sqlite3", "SELECT key FROM processed_updates") == [("upd-1",)]


async def test_error_inside_atomic_rolls_back_inline_writes(store, tmp_path):
    with pytest.raises(RuntimeError):
        async with store.atomic():
            await store.users.ensure_user("u2", 1.0)
            await store.sessions.set_state("u2", {"flow": "exam"}, 1.0)
            raise RuntimeError("boom")
    assert _peek(tmp_path / "fast.sqlite3", "SELECT COUNT(*) FROM users WHERE key = 'u2'") == [(0,)]
    assert await store.sessions.get_state("u2") == {}


async def test_begin_waits_off_the_loop_while_another_connection_writes(store, tmp_path):
    other = sqlite3.connect(str(tmp_path / "fast.sqlite3"), isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    ticks = 0

    async def ticker():
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.01)

    async def write():
        async with store.atomic():
            await store.users.ensure_user("u3", 1.0)

    beat = asyncio.create_task(ticker())
    writer = asyncio.create_task(write())
    try:
        for _ in range(500):  # the loop keeps ticking while the writer waits (at most ~5 s)
            if ticks >= 10 or writer.done():
                break
            await asyncio.sleep(0.01)
        assert not writer.done()  # still waiting for the write lock (busy timeout)...
        assert ticks >= 10  # ...without blocking the event loop
        other.execute("COMMIT")
        await asyncio.wait_for(writer, 5)
    finally:
        beat.cancel()
        other.close()
    assert _peek(tmp_path / "fast.sqlite3", "SELECT key FROM users") == [("u3",)]
