"""`lawbot chat` takes part in the leader election (bot/storage/sql/leader.py): beside a running
`lawbot run` that leads on the same database it fires no scheduler job, sweep or prune of its own;
alone, it leads and runs them. The chat runs in the test process (tests.support.cli): the leader
lock is an flock, held per open file, so the lock this test holds stands for another process's."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.storage.sql.leader import FileLeaderLock
from bot.storage.sql.store import open_store
from tests.support.cli import lawbot

OLD_KEY = "tg:update-from-long-ago"  # the leader's hourly prune (bot/runner.py) deletes it at once


def _chat(data_dir: Path) -> None:
    lines = "".join("/help\n" for _ in range(8))
    result = lawbot("chat", "--data-dir", str(data_dir), stdin=lines)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.count("> /help") == 8


async def _remember_old_key(db: Path) -> None:
    store = await open_store(db)
    try:
        assert await store.updates.first_seen(OLD_KEY, 0.0)
    finally:
        await store.close()


async def _old_key_kept(db: Path) -> bool:
    store = await open_store(db)
    try:
        return not await store.updates.first_seen(OLD_KEY, 0.0)  # False: it was pruned (and is back now)
    finally:
        await store.close()


def test_console_beside_a_leader_runs_no_jobs_and_alone_leads(tmp_path):
    db = tmp_path / "lawbot.sqlite3"
    asyncio.run(_remember_old_key(db))
    running = FileLeaderLock(Path(f"{db}.leader"))  # what a `lawbot run` worker holds while it leads
    assert asyncio.run(running.try_acquire())
    try:
        _chat(tmp_path)
        assert asyncio.run(_old_key_kept(db)), "the console ran the leader's jobs beside a leader"
    finally:
        asyncio.run(running.release())
    _chat(tmp_path)  # alone on the database: it leads
    assert not asyncio.run(_old_key_kept(db)), "alone, the console did not run the background jobs"
