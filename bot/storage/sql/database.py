"""Where SQLAlchemy Core statements run: one embedded SQLite file, or a PostgreSQL server.

Both offer the same small surface to the repositories:

    await db.run(stmt, params)        one statement -> Rows (rows, rowcount)
    await db.run_many(stmt, rows)     one statement over many parameter sets
    async with db.transaction(): ...  the unit of work: one transaction per task, nested calls join it

A statement outside a transaction runs in a transaction of its own.

SQLite (`SqliteDatabase`): one connection, one writer; transactions are serialised by an asyncio
lock. Statements run synchronously on the event-loop thread (SQLAlchemy's pysqlite dialect): inside
BEGIN IMMEDIATE ... COMMIT a statement only touches the page cache, so a thread hop per statement
would cost more than the statement. BEGIN waits for another process's write lock off the loop, and
with synchronous=FULL the fsync of COMMIT runs off the loop too.

PostgreSQL (`PostgresDatabase`): SQLAlchemy's async engine on asyncpg, a pool of connections, each
transaction on its own connection, so turns of different users run concurrently.
"""

from __future__ import annotations

import asyncio
import sqlite3
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, AsyncIterator, Iterable

from sqlalchemy import create_engine, event, pool
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.sql import Executable

BUSY_TIMEOUT_MS = 5000


class DatabaseOpenError(Exception):
    """The database cannot be opened: not a database, unreachable, or a schema we cannot upgrade."""


class Rows:
    """The outcome of one statement: its rows (if it returned any) and the rows it changed."""

    __slots__ = ("rows", "rowcount")

    def __init__(self, rows: list, rowcount: int):
        self.rows = rows
        self.rowcount = rowcount

    def first(self):
        return self.rows[0] if self.rows else None

    def scalar(self):
        return self.rows[0][0] if self.rows else None


def _rows(result) -> Rows:
    return Rows([tuple(r) for r in result.fetchall()] if result.returns_rows else [], result.rowcount)


def database_url(target: str | Path) -> URL:
    """A SQLAlchemy URL for a config value: postgresql://… (driver asyncpg) or a SQLite path."""
    text = str(target)
    if "://" not in text:
        return URL.create("sqlite", database=text)
    url = make_url(text)
    if url.get_backend_name() == "postgresql":
        return url.set(drivername="postgresql+asyncpg")
    if url.get_backend_name() == "sqlite":
        return url.set(drivername="sqlite")
    raise DatabaseOpenError(f"unsupported database URL {url.render_as_string(hide_password=True)}")


class SqliteDatabase:
    dialect_name = "sqlite"

    def __init__(self, path: str, synchronous: str = "NORMAL"):
        self.path = path
        self.synchronous = "FULL" if synchronous == "FULL" else "NORMAL"
        self.engine = create_engine(URL.create("sqlite", database=path), poolclass=pool.StaticPool,
                                    connect_args={"check_same_thread": False})
        event.listen(self.engine, "connect", self._on_connect)
        self._conn = None
        self._raw: sqlite3.Connection | None = None
        self._lock = asyncio.Lock()
        self._owner: asyncio.Task | None = None

    def _on_connect(self, dbapi_conn, _record) -> None:
        dbapi_conn.isolation_level = None  # BEGIN/COMMIT are issued by transaction()
        dbapi_conn.execute("PRAGMA journal_mode=WAL")
        dbapi_conn.execute(f"PRAGMA synchronous={self.synchronous}")
        dbapi_conn.execute("PRAGMA foreign_keys=ON")
        dbapi_conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")

    def connect(self) -> None:
        # check_same_thread=False: BEGIN and a FULL COMMIT may wait in a worker thread; every
        # use of the connection is serialised by the lock.
        self._conn = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        self._raw = self._conn.connection.driver_connection

    async def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
        self.engine.dispose()

    def _mine(self) -> bool:
        return self._owner is not None and self._owner is asyncio.current_task()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[None]:
        task = asyncio.current_task()
        if self._owner is task:  # nested: already inside this task's transaction
            yield
            return
        async with self._lock:
            self._owner = task
            try:
                await self._begin()
                try:
                    yield
                except BaseException:
                    self._raw.execute("ROLLBACK")
                    raise
                await self._commit()
            finally:
                self._owner = None

    async def _begin(self) -> None:
        """BEGIN IMMEDIATE on the loop thread when the write lock is free (the usual case); when
        another connection holds it, wait in a thread with the normal busy timeout."""
        raw = self._raw
        raw.execute("PRAGMA busy_timeout=0")
        try:
            raw.execute("BEGIN IMMEDIATE")
            return
        except sqlite3.OperationalError:
            pass  # SQLITE_BUSY: wait below
        finally:
            raw.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        await asyncio.to_thread(raw.execute, "BEGIN IMMEDIATE")

    async def _commit(self) -> None:
        if self.synchronous == "FULL":  # fsync at every COMMIT: off the loop
            await asyncio.to_thread(self._raw.execute, "COMMIT")
        else:  # WAL + NORMAL: appends to the WAL without fsync
            self._raw.execute("COMMIT")

    async def run(self, stmt: Executable, params: dict[str, Any] | None = None) -> Rows:
        if self._mine():
            return _rows(self._conn.execute(stmt, params))
        async with self.transaction():
            return _rows(self._conn.execute(stmt, params))

    async def run_many(self, stmt: Executable, rows: Iterable[dict[str, Any]]) -> Rows:
        rows = list(rows)
        if not rows:
            return Rows([], 0)
        async with self.transaction():
            return _rows(self._conn.execute(stmt, rows))

    def sync_connection(self):
        """The connection for work done synchronously in a thread while the lock is held
        (backups, copies); callers hold `transaction()` or know nothing else runs."""
        return self._conn


class PostgresDatabase:
    dialect_name = "postgresql"

    def __init__(self, url: URL, pool_size: int = 10, max_overflow: int = 20):
        self.url = url
        self.engine = create_async_engine(url, pool_size=pool_size, max_overflow=max_overflow,
                                          pool_pre_ping=False)
        self._owners: dict[asyncio.Task, Any] = {}

    def connect(self) -> None:
        pass

    async def close(self) -> None:
        await self.engine.dispose()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[None]:
        task = asyncio.current_task()
        if task in self._owners:
            yield
            return
        async with self.engine.connect() as conn:
            async with conn.begin():
                self._owners[task] = conn
                try:
                    yield
                finally:
                    del self._owners[task]

    async def run(self, stmt: Executable, params: dict[str, Any] | None = None) -> Rows:
        conn = self._owners.get(asyncio.current_task())
        if conn is not None:
            return _rows(await conn.execute(stmt, params))
        async with self.engine.begin() as conn:
            return _rows(await conn.execute(stmt, params))

    async def run_many(self, stmt: Executable, rows: Iterable[dict[str, Any]]) -> Rows:
        rows = list(rows)
        if not rows:
            return Rows([], 0)
        conn = self._owners.get(asyncio.current_task())
        if conn is not None:
            return _rows(await conn.execute(stmt, rows))
        async with self.engine.begin() as conn:
            return _rows(await conn.execute(stmt, rows))


Database = SqliteDatabase | PostgresDatabase


def is_corrupt(exc: BaseException) -> bool:
    """A SQLite file that is not a database (or is damaged)."""
    inner = exc.orig if isinstance(exc, DBAPIError) else exc
    return isinstance(inner, sqlite3.DatabaseError) and not isinstance(inner, sqlite3.OperationalError)
