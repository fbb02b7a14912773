"""Leader election among the workers of one database: the leader runs the scheduler jobs, the
exam sweeper and the outbox senders; the others only answer users.

PostgreSQL: a session-level advisory lock (`pg_try_advisory_lock`) held on a connection of its
own. It is released when that session ends: a leader that exits or is killed loses it at once; a
leader whose machine or network vanishes loses it when the server's TCP keepalives give up
(about 11 s with the settings below). The holder checks its connection every few seconds and
steps down when the check fails.

SQLite: an exclusive `flock` on `<database file>.leader` beside the database, so two processes
on one file never both lead; an in-memory database leads alone."""

from __future__ import annotations

import asyncio
import fcntl
import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from sqlalchemy.engine import URL

log = logging.getLogger(__name__)

LEADER_LOCK_KEY = 7_114_2012  # one lock per database (advisory locks are per database)
CHECK_TIMEOUT = 4.0
# The server drops a vanished leader's session (and so its lock) after idle 5 s + 3 probes 2 s
# apart; tcp_user_timeout covers a leader that vanished while data was unacknowledged.
KEEPALIVE = {"tcp_keepalives_idle": "5", "tcp_keepalives_interval": "2", "tcp_keepalives_count": "3",
             "tcp_user_timeout": "10000", "application_name": "lawbot-leader"}


class _Session(Protocol):
    """What the lock uses of an asyncpg connection (asyncpg ships no type information)."""

    def is_closed(self) -> bool: ...

    def terminate(self) -> None: ...

    async def fetchval(self, query: str, *args: object, timeout: float | None = None) -> object: ...


class PostgresLeaderLock:
    def __init__(self, url: URL, key: int = LEADER_LOCK_KEY):
        self.url = url
        self.key = key
        self._conn: _Session | None = None

    async def _connect(self) -> _Session:
        import asyncpg
        u = self.url
        return await asyncpg.connect(host=u.host or "127.0.0.1", port=u.port or 5432, user=u.username,
                                     password=u.password, database=u.database, timeout=5,
                                     server_settings=KEEPALIVE)

    async def try_acquire(self) -> bool:
        """True when this worker holds the lock now (taken, or already held)."""
        if self._conn is None or self._conn.is_closed():
            await self._drop()
            self._conn = await self._connect()
        try:
            # asyncpg's own timeout, not asyncio.wait_for: on Python 3.11 wait_for can swallow a
            # cancellation that arrives as the query completes (the worker would go on leading)
            got = await self._conn.fetchval("SELECT pg_try_advisory_lock($1)", self.key, timeout=CHECK_TIMEOUT)
        except BaseException:
            await self._drop()
            raise
        if not got:  # keep no idle session while following
            await self._drop()
        return bool(got)

    async def held(self) -> bool:
        """Whether the lock is still ours: the session is alive and holds it."""
        if self._conn is None or self._conn.is_closed():
            return False
        try:
            count = await self._conn.fetchval(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
                "AND pid = pg_backend_pid() AND objid = $1", self.key & 0xFFFFFFFF, timeout=CHECK_TIMEOUT)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - any failure: the session (and the lock) may be gone
            log.warning("leader lock: connection check failed (%s)", exc)
            await self._drop()
            return False
        if not count:
            await self._drop()
        return bool(count)

    async def release(self) -> None:
        await self._drop()

    async def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None and not conn.is_closed():
            conn.terminate()  # ends the session: the server releases the lock


class FileLeaderLock:
    def __init__(self, path: Path | None):
        self.path = path
        self._fd: int | None = None

    async def try_acquire(self) -> bool:
        if self.path is None or self._fd is not None:
            return True
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    async def held(self) -> bool:
        return self.path is None or self._fd is not None

    async def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)  # closing the descriptor releases the lock


def leader_lock(store):
    """The lock that elects the leader among the workers of this store's database."""
    from bot.storage.sql.database import PostgresDatabase

    db = store.db
    if isinstance(db, PostgresDatabase):
        return PostgresLeaderLock(db.url)
    path = db.path
    return FileLeaderLock(None if path in ("", ":memory:") else Path(f"{path}.leader"))
