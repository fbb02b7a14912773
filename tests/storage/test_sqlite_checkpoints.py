"""SQLite WAL checkpoints run on a thread of their own, not inside a COMMIT on the event loop."""

from __future__ import annotations

import asyncio
import sqlite3
import threading

from sqlalchemy import text

from bot.storage.sql import database
from bot.storage.sql.database import SAFETY_AUTOCHECKPOINT, SqliteDatabase


async def _wait_for(predicate, seconds: float = 10.0) -> bool:
    for _ in range(int(seconds / 0.05)):
        if predicate():
            return True
        await asyncio.sleep(0.05)
    return predicate()


async def test_wal_is_copied_back_by_the_checkpoint_thread(tmp_path, monkeypatch):
    monkeypatch.setattr(database, "CHECKPOINT_EVERY", 10)
    path = tmp_path / "c.sqlite3"
    db = SqliteDatabase(str(path))
    db.connect()

    try:
        # the loop's own connection leaves checkpoints to the thread (its automatic one is a safety net)
        assert (await db.run(text("PRAGMA wal_autocheckpoint"))).scalar() == SAFETY_AUTOCHECKPOINT
        await db.run(text("CREATE TABLE t (id INTEGER PRIMARY KEY, pad TEXT)"))
        main_file_before = path.stat().st_size
        for i in range(60):  # ~60 pages into the WAL: far below any automatic checkpoint
            await db.run(text("INSERT INTO t (id, pad) VALUES (:id, :pad)"), {"id": i, "pad": "x" * 3000})
        assert db._checkpointer is not None
        assert await _wait_for(lambda: path.stat().st_size > main_file_before + 30 * 4096), \
            "the WAL was not copied back into the database file"
        # counted once the checkpoint call returns, which can be after the file has grown
        assert await _wait_for(lambda: db._checkpointer.checkpoints >= 1)
        thread = db._checkpointer._thread
        assert thread is not threading.current_thread() and thread.name == "sqlite-checkpoint"
        assert (await db.run(text("SELECT COUNT(*) FROM t"))).scalar() == 60
    finally:
        await db.close()
    assert not thread.is_alive()  # close() stops the thread
    with sqlite3.connect(path) as check:
        assert check.execute("SELECT COUNT(*) FROM t").fetchone()[0] == 60


async def test_memory_database_starts_no_checkpoint_thread(monkeypatch):
    monkeypatch.setattr(database, "CHECKPOINT_EVERY", 2)
    db = SqliteDatabase(":memory:")
    db.connect()
    try:
        for _ in range(5):
            await db.run(text("SELECT 1"))
        assert db._checkpointer is None
    finally:
        await db.close()
