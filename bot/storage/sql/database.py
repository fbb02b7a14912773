"""Where SQLAlchemy Core statements run: one embedded SQLite file, or a PostgreSQL server.

Both offer the same small surface to the repositories:

    await db.run(stmt, params)        one statement -> Rows (rows, rowcount)
    await db.run_many(stmt, rows)     one statement over many parameter sets (rowcount: SQLite only)
    async with db.transaction(): ...  the unit of work: one transaction per task, nested calls join it

A statement outside a transaction runs in a transaction of its own.

Statements are Core constructs compiled by SQLAlchemy for the database's dialect and executed on
the driver's connection (sqlite3, asyncpg) with positional parameters; the column types used
(text, integers, doubles, bytes) need no conversion either way. A statement wrapped in
`Prepared` (the hot paths: built once per repository) is compiled once per database; others are
compiled at each call. SQLAlchemy's engine runs the Alembic migrations at start.

SQLite (`SqliteDatabase`): one connection, one writer; transactions are serialised by an asyncio
lock. Statements run synchronously on the event-loop thread: inside BEGIN IMMEDIATE … COMMIT a
statement only touches the page cache, so a thread hop per statement would cost more than the
statement. BEGIN waits for another process's write lock off the loop, and with synchronous=FULL
the fsync of COMMIT runs off the loop too.

PostgreSQL (`PostgresDatabase`): an asyncpg pool; each transaction holds one connection, so turns
of different users run concurrently.
"""

from __future__ import annotations

import asyncio
import sqlite3
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, AsyncIterator, Iterable

from sqlalchemy import create_engine, event, pool
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import create_async_engine

BUSY_TIMEOUT_MS = 5000


class DatabaseOpenError(Exception):
    """The database cannot be opened: unreachable, or a schema we cannot upgrade."""


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


class Prepared:
    """A statement built once and run often: compiled once per database. `keys` are the columns
    an INSERT's parameters name (an INSERT's columns come from its parameters)."""

    __slots__ = ("stmt", "keys", "compiled")

    def __init__(self, stmt, *keys: str):
        self.stmt = stmt
        self.keys = list(keys) or None
        self.compiled: dict[str, _Compiled] = {}


class _Compiled:
    __slots__ = ("sql", "order", "defaults", "returns")

    def __init__(self, stmt, dialect, keys: list[str] | None):
        compiled = stmt.compile(dialect=dialect, column_keys=keys,
                                compile_kwargs={"render_postcompile": True})
        self.sql = str(compiled)
        self.order = list(compiled.positiontup or ())
        self.defaults = dict(compiled.params)
        dml = compiled.isinsert or compiled.isupdate or compiled.isdelete
        self.returns = bool(compiled.effective_returning) if dml else \
            self.sql.lstrip().upper().startswith(("SELECT", "WITH", "PRAGMA", "VALUES"))

    def args(self, params: dict[str, Any] | None) -> list:
        if params:
            merged = {**self.defaults, **params}
            return [merged[k] for k in self.order]
        return [self.defaults[k] for k in self.order]


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


class _Base:
    dialect_name = ""
    dialect = None

    def _compile(self, stmt, params) -> tuple[_Compiled, list]:
        if isinstance(stmt, Prepared):
            c = stmt.compiled.get(self.dialect_name)
            if c is None:
                c = stmt.compiled[self.dialect_name] = _Compiled(stmt.stmt, self.dialect, stmt.keys)
        else:
            keys = list(params) if params and getattr(stmt, "is_insert", False) else None
            c = _Compiled(stmt, self.dialect, keys)
        return c, c.args(params)


class SqliteDatabase(_Base):
    dialect_name = "sqlite"

    def __init__(self, path: str, synchronous: str = "NORMAL"):
        self.path = path
        self.synchronous = "FULL" if synchronous == "FULL" else "NORMAL"
        self.engine = create_engine(URL.create("sqlite", database=path), poolclass=pool.StaticPool,
                                    connect_args={"check_same_thread": False})
        self.dialect = self.engine.dialect
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

    def _execute(self, stmt, params) -> Rows:
        c, args = self._compile(stmt, params)
        cur = self._raw.execute(c.sql, args)
        try:
            rows = cur.fetchall() if c.returns else []
            return Rows(rows, cur.rowcount)
        finally:
            cur.close()

    async def run(self, stmt, params: dict[str, Any] | None = None) -> Rows:
        if self._mine():
            return self._execute(stmt, params)
        async with self.transaction():
            return self._execute(stmt, params)

    async def run_many(self, stmt, rows: Iterable[dict[str, Any]]) -> Rows:
        rows = list(rows)
        if not rows:
            return Rows([], 0)
        c, _ = self._compile(stmt, rows[0])
        async with self.transaction():
            cur = self._raw.executemany(c.sql, [c.args(r) for r in rows])
            count = cur.rowcount
            cur.close()
        return Rows([], count)

    def sync_connection(self):
        """SQLAlchemy's connection (migrations, copies); callers know nothing else runs."""
        return self._conn


class PostgresDatabase(_Base):
    dialect_name = "postgresql"

    def __init__(self, url: URL, pool_size: int = 10):
        self.url = url
        self.pool_size = pool_size
        self.engine = create_async_engine(url, poolclass=pool.NullPool)  # migrations; the dialect
        self.dialect = self.engine.dialect
        self.pool = None
        self._owners: dict[asyncio.Task, Any] = {}

    async def connect(self) -> None:
        import asyncpg
        u = self.url
        self.pool = await asyncpg.create_pool(host=u.host or "127.0.0.1", port=u.port or 5432, user=u.username,
                                              password=u.password, database=u.database,
                                              min_size=1, max_size=self.pool_size)

    async def close(self) -> None:
        if self.pool is not None:
            await self.pool.close()
        await self.engine.dispose()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[None]:
        task = asyncio.current_task()
        if task in self._owners:
            yield
            return
        async with self.pool.acquire() as conn:
            async with conn.transaction():
                self._owners[task] = conn
                try:
                    yield
                finally:
                    del self._owners[task]

    @staticmethod
    async def _execute(conn, c: _Compiled, args: list) -> Rows:
        if c.returns:
            rows = await conn.fetch(c.sql, *args)
            return Rows([tuple(r) for r in rows], len(rows))
        status = await conn.execute(c.sql, *args)
        last = status.rsplit(" ", 1)[-1]
        return Rows([], int(last) if last.isdigit() else -1)

    async def run(self, stmt, params: dict[str, Any] | None = None) -> Rows:
        c, args = self._compile(stmt, params)
        conn = self._owners.get(asyncio.current_task())
        if conn is not None:
            return await self._execute(conn, c, args)
        async with self.pool.acquire() as conn:
            return await self._execute(conn, c, args)

    async def run_many(self, stmt, rows: Iterable[dict[str, Any]]) -> Rows:
        rows = list(rows)
        if not rows:
            return Rows([], 0)
        c, _ = self._compile(stmt, rows[0])
        args = [c.args(r) for r in rows]
        conn = self._owners.get(asyncio.current_task())
        if conn is not None:
            await conn.executemany(c.sql, args)
        else:
            async with self.pool.acquire() as conn:
                async with conn.transaction():
                    await conn.executemany(c.sql, args)
        return Rows([], -1)


Database = SqliteDatabase | PostgresDatabase
