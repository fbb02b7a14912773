"""Where SQLAlchemy Core statements run: one embedded SQLite file, or a PostgreSQL server.

Both offer the same small surface to the repositories:

    await db.run(stmt, params)        one statement -> Rows (rows, rowcount)
    await db.run_many(stmt, rows)     one statement over many parameter sets (rowcount: SQLite only)
    await db.write(stmt, params)      a write whose outcome the caller does not read (see below)
    async with db.transaction(): ...  the unit of work: one transaction per task, nested calls join it
    async for rows in db.stream(stmt, params, size): ...   a big SELECT read `size` rows at a time

A statement outside a transaction runs in a transaction of its own. `stream` keeps at most `size`
rows in Python at once (a whole-province export): on SQLite the statement's cursor is read with
fetchmany between awaits (other statements may run on the connection meanwhile; the SELECT keeps
its own read snapshot until it is read out or closed); on PostgreSQL a server-side cursor in a
transaction (the caller's, or one of its own on a pooled connection).

Statements are Core constructs compiled by SQLAlchemy for the database's dialect and executed on
the driver's connection (sqlite3, asyncpg) with positional parameters; the column types used
(text, integers, doubles, bytes) need no conversion either way. A statement wrapped in
`Prepared` (the hot paths: built once per repository) is compiled once per database; others are
compiled at each call. SQLAlchemy's engine runs the Alembic migrations at start.

SQLite (`SqliteDatabase`): one connection, one writer; transactions are serialised by an asyncio
lock. Statements run synchronously on the event-loop thread: inside BEGIN IMMEDIATE … COMMIT a
statement only touches the page cache, so a thread hop per statement would cost more than the
statement. BEGIN waits for another process's write lock off the loop, and with synchronous=FULL
the fsync of COMMIT runs off the loop too. WAL checkpoints (two fsyncs each) run on a thread with
a connection of its own every CHECKPOINT_EVERY transactions instead of inside a COMMIT.

PostgreSQL (`PostgresDatabase`): an asyncpg pool; each transaction holds one connection, so turns
of different users run concurrently. Round trips are what a turn costs there, so a transaction
sends as few as it can while keeping its meaning under READ COMMITTED (where every statement sees
a fresh snapshot anyway):
  - BEGIN is sent just before the first statement that is not a plain SELECT; reads before it
    run as statements of their own, which see exactly what they would have seen inside.
  - `write()` queues the statement; it is sent before the next statement of the transaction (so
    later reads see it) or at the end. Writes still queued at the end go as one statement: one
    alone on its own, several on different tables joined into one `WITH … AS (INSERT …) …`
    statement, which PostgreSQL applies atomically without BEGIN/COMMIT.
  - asyncpg prepares each statement once per connection (its statement cache); a released
    connection is only rolled back if a transaction is open, with no reset query.
"""

from __future__ import annotations

import asyncio
import logging
import re
import sqlite3
import threading
from collections.abc import AsyncGenerator, AsyncIterator, Iterable
from contextlib import asynccontextmanager
from pathlib import Path
from types import TracebackType
from typing import Any

from sqlalchemy import Connection, create_engine, event, pool
from sqlalchemy.engine import URL, Dialect, make_url
from sqlalchemy.ext.asyncio import create_async_engine

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 5000
# SQLite: a PASSIVE checkpoint on the checkpoint thread after this many transactions (a turn
# writes about 5 pages: ~500 WAL frames); the loop's own connection checkpoints only past
# SAFETY_AUTOCHECKPOINT pages, should that thread fall behind.
CHECKPOINT_EVERY = 100
SAFETY_AUTOCHECKPOINT = 10_000


class DatabaseOpenError(Exception):
    """The database cannot be opened: unreachable, or a schema we cannot upgrade."""


class Rows:
    """The outcome of one statement: its rows (if it returned any) and the rows it changed."""

    __slots__ = ("rowcount", "rows")

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

    __slots__ = ("compiled", "keys", "stmt")

    def __init__(self, stmt, *keys: str):
        self.stmt = stmt
        self.keys = list(keys) or None
        self.compiled: dict[str, _Compiled] = {}


# A SELECT that locks rows or takes locks or sequence values is a write for transaction purposes.
_NOT_A_PLAIN_READ = re.compile(r"\bFOR\s+(UPDATE|SHARE|NO\s+KEY|KEY)\b|pg_advisory|pg_try_advisory|nextval|setval",
                               re.IGNORECASE)


class _Compiled:
    __slots__ = ("defaults", "is_read", "order", "returns", "sql", "stable", "table")

    def __init__(self, stmt, dialect, keys: list[str] | None):
        compiled = stmt.compile(dialect=dialect, column_keys=keys,
                                compile_kwargs={"render_postcompile": True})
        self.sql = str(compiled)
        self.order = list(compiled.positiontup or ())
        self.defaults = dict(compiled.params)
        dml = compiled.isinsert or compiled.isupdate or compiled.isdelete
        head = self.sql.lstrip().upper()
        self.returns = bool(compiled.effective_returning) if dml else \
            head.startswith(("SELECT", "WITH", "PRAGMA", "VALUES"))
        self.is_read = not dml and head.startswith("SELECT") and not _NOT_A_PLAIN_READ.search(self.sql)
        table = getattr(stmt, "table", None) if dml else None
        self.table = getattr(table, "name", None)
        self.stable = False  # compiled once for a Prepared statement (its identity can key caches)

    def args(self, params: dict[str, Any] | None) -> list:
        defaults = self.defaults
        if params:
            return [params[k] if k in params else defaults[k] for k in self.order]
        return [defaults[k] for k in self.order]


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
    dialect: Dialect

    def token(self, *tables: str):
        """Changes whenever rows of `tables` may have changed other than by the caller's own
        writes since it last asked; None where nothing may be cached (PostgreSQL)."""
        return None

    def _compile(self, stmt, params) -> tuple[_Compiled, list]:
        if isinstance(stmt, Prepared):
            c = stmt.compiled.get(self.dialect_name)
            if c is None:
                c = stmt.compiled[self.dialect_name] = _Compiled(stmt.stmt, self.dialect, stmt.keys)
                c.stable = True
        else:
            keys = list(params) if params and getattr(stmt, "is_insert", False) else None
            c = _Compiled(stmt, self.dialect, keys)
        return c, c.args(params)


class _Checkpointer:
    """Copies a SQLite file's WAL back into the database (PASSIVE checkpoints) on a thread with a
    connection of its own, when nudged. A checkpoint fsyncs the WAL and then the database file
    (5-25 ms each on a shared VM disk); run by the loop's connection as SQLite's automatic
    checkpoint, those waits landed inside a COMMIT on the event loop several times a second under
    load. PASSIVE never waits for readers or writers: frames that a reader still needs stay in
    the WAL for the next round."""

    def __init__(self, path: str, synchronous: str):
        self.path = path
        self.synchronous = synchronous
        self.checkpoints = 0
        self._wake = threading.Event()
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="sqlite-checkpoint", daemon=True)
        self._thread.start()

    def nudge(self) -> None:
        self._wake.set()

    def _run(self) -> None:
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        try:
            conn.execute(f"PRAGMA synchronous={self.synchronous}")  # the loop connection's durability
            while True:
                self._wake.wait()
                self._wake.clear()
                if self._stopping:
                    return
                try:
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                    self.checkpoints += 1
                except sqlite3.Error as exc:  # e.g. disk full: the loop's safety checkpoint remains
                    log.warning("WAL checkpoint of %s failed: %s", self.path, exc)
        finally:
            conn.close()

    def stop(self) -> None:
        self._stopping = True
        self._wake.set()
        self._thread.join()


class SqliteDatabase(_Base):
    dialect_name = "sqlite"
    _raw: sqlite3.Connection  # the driver connection, from connect() on

    def __init__(self, path: str, synchronous: str = "NORMAL"):
        self.path = path
        self.synchronous = "FULL" if synchronous == "FULL" else "NORMAL"
        self.engine = create_engine(URL.create("sqlite", database=path), poolclass=pool.StaticPool,
                                    connect_args={"check_same_thread": False})
        self.dialect = self.engine.dialect
        event.listen(self.engine, "connect", self._on_connect)
        self._conn: Connection | None = None
        self._lock = asyncio.Lock()
        self._owner: asyncio.Task | None = None
        self._waits = True  # PRAGMA busy_timeout is BUSY_TIMEOUT_MS (else 0: BEGIN fails at once)
        # What repositories' row caches are checked against (one process may cache rows it wrote):
        # `epoch` moves when another connection committed (PRAGMA data_version, read in each
        # transaction), on rollback, when the SQLAlchemy connection is handed out, and on a write
        # to an unknown table; `writes` counts the write statements per table.
        self.epoch = 0
        self.writes: dict[str, int] = {}
        self._data_version: int | None = None
        self._wal = False  # the file is in WAL mode (not a memory database)
        self._checkpointer: _Checkpointer | None = None  # started at the first nudge
        self._commits = 0  # since the last nudge of the checkpointer

    def _on_connect(self, dbapi_conn: sqlite3.Connection, _record: object) -> None:
        dbapi_conn.isolation_level = None  # BEGIN/COMMIT are issued by transaction()
        dbapi_conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")  # before the journal mode switch
        mode = dbapi_conn.execute("PRAGMA journal_mode=WAL").fetchone()
        self._wal = bool(mode) and str(mode[0]).lower() == "wal"
        if self._wal:  # checkpoints run on the checkpoint thread; this is the safety net
            dbapi_conn.execute(f"PRAGMA wal_autocheckpoint={SAFETY_AUTOCHECKPOINT}")
        dbapi_conn.execute(f"PRAGMA synchronous={self.synchronous}")
        dbapi_conn.execute("PRAGMA foreign_keys=ON")
        dbapi_conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")

    def connect(self) -> None:
        # check_same_thread=False: BEGIN and a FULL COMMIT may wait in a worker thread; every
        # use of the connection is serialised by the lock.
        self._conn = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        raw = self._conn.connection.driver_connection
        assert isinstance(raw, sqlite3.Connection)
        self._raw = raw

    async def close(self) -> None:
        if self._checkpointer is not None:
            await asyncio.to_thread(self._checkpointer.stop)  # ends a checkpoint under way first
            self._checkpointer = None
        if self._conn is not None:
            self._conn.close()
        self.engine.dispose()

    def _committed(self) -> None:
        """After each transaction: every CHECKPOINT_EVERY of them, nudge the checkpoint thread."""
        self._commits += 1
        if self._commits >= CHECKPOINT_EVERY and self._wal:
            self._commits = 0
            if self._checkpointer is None:
                self._checkpointer = _Checkpointer(self.path, self.synchronous)
            self._checkpointer.nudge()

    def _mine(self) -> bool:
        return self._owner is not None and self._owner is asyncio.current_task()

    def token(self, *tables: str):
        """(epoch, writes to each table): a repository that caches rows of `tables` keeps them
        while the token it saw after its own last write is still the current one."""
        writes = self.writes
        return (self.epoch, *[writes.get(t, 0) for t in tables])

    def _check_others(self) -> None:
        """Inside a transaction: did another connection commit since our last look?"""
        version = self._raw.execute("PRAGMA data_version").fetchone()[0]
        if version != self._data_version:
            self._data_version = version
            self.epoch += 1

    def transaction(self) -> _SqliteTransaction:
        return _SqliteTransaction(self)

    def _set_wait(self, wait: bool) -> None:
        if self._waits != wait:
            self._raw.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS if wait else 0}")
            self._waits = wait

    async def _begin(self) -> None:
        """BEGIN IMMEDIATE on the loop thread when the write lock is free (the usual case: one
        statement, the busy timeout stays 0 between transactions); when another connection holds
        it, wait in a thread with the normal busy timeout."""
        self._set_wait(False)
        try:
            self._raw.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError:  # SQLITE_BUSY: wait off the loop
            self._set_wait(True)
            await asyncio.to_thread(self._raw.execute, "BEGIN IMMEDIATE")
        self._check_others()

    async def _commit(self) -> None:
        if self.synchronous == "FULL":  # fsync at every COMMIT: off the loop
            await asyncio.to_thread(self._raw.execute, "COMMIT")
        else:  # WAL + NORMAL: appends to the WAL without fsync
            self._raw.execute("COMMIT")
        self._committed()

    def _wrote(self, c: _Compiled) -> None:
        if c.table is None:
            self.epoch += 1
        else:
            self.writes[c.table] = self.writes.get(c.table, 0) + 1

    def _execute(self, stmt: Any, params: dict[str, Any] | None) -> Rows:
        # the hot path (every statement of every turn): a Prepared statement's compiled form is
        # looked up directly, and the cursor is left to be freed with its last reference (a
        # statement without rows has run to completion in execute(); one with rows is read out)
        c = stmt.compiled.get("sqlite") if type(stmt) is Prepared else None
        if c is None:
            c = self._compile(stmt, params)[0]
        if not c.is_read:
            self._wrote(c)
        cur = self._raw.execute(c.sql, c.args(params))
        return Rows(cur.fetchall() if c.returns else [], cur.rowcount)

    async def run(self, stmt: Any, params: dict[str, Any] | None = None) -> Rows:
        owner = self._owner
        if owner is not None and owner is asyncio.current_task():
            return self._execute(stmt, params)
        async with self.transaction():
            return self._execute(stmt, params)

    async def write(self, stmt: Any, params: dict[str, Any] | None = None) -> None:
        """A write whose outcome the caller does not need (on SQLite it runs at once)."""
        owner = self._owner
        if owner is not None and owner is asyncio.current_task():
            self._execute(stmt, params)
            return
        async with self.transaction():
            self._execute(stmt, params)

    async def run_many(self, stmt, rows: Iterable[dict[str, Any]]) -> Rows:
        rows = list(rows)
        if not rows:
            return Rows([], 0)
        c, _ = self._compile(stmt, rows[0])
        async with self.transaction():
            self._wrote(c)
            cur = self._raw.executemany(c.sql, [c.args(r) for r in rows])
            count = cur.rowcount
            cur.close()
        return Rows([], count)

    async def stream(self, stmt: Any, params: dict[str, Any] | None = None,
                     size: int = 5000) -> AsyncGenerator[list[tuple[Any, ...]], None]:
        """The rows of a SELECT, `size` at a time (see the module docstring)."""
        c = self._compile(stmt, params)[0]
        cur = self._raw.execute(c.sql, c.args(params))
        try:
            while True:
                rows = cur.fetchmany(size)
                if not rows:
                    return
                yield rows
        finally:
            cur.close()

    def sync_connection(self):
        """SQLAlchemy's connection (migrations, copies); callers know nothing else runs."""
        self._set_wait(True)
        self.epoch += 1
        return self._conn


class _SqliteTransaction:
    """One task's transaction on the SQLite connection: BEGIN IMMEDIATE … COMMIT under the
    database's lock; inside it, a nested `transaction()` of the same task joins it."""

    __slots__ = ("db", "outer")

    def __init__(self, db: SqliteDatabase):
        self.db = db
        self.outer = False

    async def __aenter__(self) -> None:
        db = self.db
        task = asyncio.current_task()
        if db._owner is task:  # nested: already inside this task's transaction
            return
        await db._lock.acquire()
        db._owner = task
        self.outer = True
        try:
            await db._begin()
        except BaseException:
            db._owner = None
            db._lock.release()
            raise

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        if not self.outer:
            return
        db = self.db
        try:
            if exc_type is None:
                try:
                    await db._commit()
                except BaseException:  # e.g. disk full: the transaction may still be open
                    self._rollback()
                    raise
            else:
                self._rollback()
        finally:
            db._owner = None
            db._lock.release()

    def _rollback(self) -> None:
        self.db.epoch += 1  # rows cached from this transaction's writes are void
        try:
            self.db._raw.execute("ROLLBACK")
        except sqlite3.OperationalError:  # SQLite already rolled back (no transaction is active)
            if self.db._raw.in_transaction:
                raise


class _PgUnit:
    """One task's transaction on PostgreSQL: its connection, whether BEGIN was sent, and the
    writes queued by `write()`."""

    __slots__ = ("began", "conn", "pending")

    def __init__(self, conn):
        self.conn = conn
        self.began = False
        self.pending: list[tuple[_Compiled, list]] = []


_DOLLAR = re.compile(r"\$(\d+)")


class PostgresDatabase(_Base):
    dialect_name = "postgresql"

    def __init__(self, url: URL, pool_size: int = 10):
        self.url = url
        self.pool_size = pool_size
        self.engine = create_async_engine(url, poolclass=pool.NullPool)  # migrations; the dialect
        self.dialect = self.engine.dialect
        self.pool: Any = None  # an asyncpg.Pool once connected (asyncpg has no type information)
        self._units: dict[asyncio.Task[Any] | None, _PgUnit] = {}
        self._joined: dict[tuple[int, ...], str | None] = {}  # queued writes -> one WITH statement

    async def connect(self) -> None:
        import asyncpg
        u = self.url
        self.pool = await asyncpg.create_pool(host=u.host or "127.0.0.1", port=u.port or 5432, user=u.username,
                                              password=u.password, database=u.database,
                                              min_size=1, max_size=self.pool_size,
                                              statement_cache_size=512, reset=_no_reset)

    async def close(self) -> None:
        if self.pool is not None:
            await self.pool.close()
        await self.engine.dispose()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[None]:
        task = asyncio.current_task()
        if task in self._units:
            yield
            return
        async with self.pool.acquire() as conn:
            unit = self._units[task] = _PgUnit(conn)
            try:
                try:
                    yield
                except BaseException:
                    unit.pending.clear()
                    if unit.began:
                        await _quietly(conn.execute("ROLLBACK"))
                    raise
                await self._finish(unit)
            finally:
                del self._units[task]

    async def _finish(self, unit: _PgUnit) -> None:
        conn = unit.conn
        if unit.began:
            try:
                await self._flush(unit)
            except BaseException:
                await _quietly(conn.execute("ROLLBACK"))
                raise
            await conn.execute("COMMIT")
            return
        pending, unit.pending = unit.pending, []
        if len(pending) == 1:  # one statement is atomic by itself
            c, args = pending[0]
            await conn.execute(c.sql, *args)
        elif pending:
            joined = self._join(pending)
            if joined is not None:
                await conn.execute(joined, *[a for _c, args in pending for a in args])
            else:
                unit.pending = pending
                await self._open(unit)
                await conn.execute("COMMIT")

    def _join(self, pending: list[tuple[_Compiled, list]]) -> str | None:
        """Queued writes on distinct tables as one statement: WITH w0 AS (…), … <last>. Only for
        Prepared statements (their SQL is known and stable); None when they cannot be joined."""
        key = tuple(id(c) for c, _ in pending)
        if key in self._joined:
            return self._joined[key]
        sql = None
        tables = [c.table for c, _ in pending]
        if all(c.stable and c.table and not c.returns for c, _ in pending) and len(set(tables)) == len(tables):
            parts, offset = [], 0
            for c, _ in pending:
                def renumber(m: re.Match[str], shift: int = offset) -> str:
                    return f"${int(m.group(1)) + shift}"
                parts.append(_DOLLAR.sub(renumber, c.sql))
                offset += len(c.order)
            sql = "WITH " + ", ".join(f"w{i} AS ({p})" for i, p in enumerate(parts[:-1])) + " " + parts[-1]
        self._joined[key] = sql
        return sql

    async def _open(self, unit: _PgUnit) -> None:
        """BEGIN (once), then send the queued writes."""
        if not unit.began:
            await unit.conn.execute("BEGIN")
            unit.began = True
        await self._flush(unit)

    async def _flush(self, unit: _PgUnit) -> None:
        pending, unit.pending = unit.pending, []
        if not pending:
            return
        joined = self._join(pending) if len(pending) > 1 else None
        if joined is not None:
            await unit.conn.execute(joined, *[a for _c, args in pending for a in args])
            return
        for c, args in pending:
            await unit.conn.execute(c.sql, *args)

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
        unit = self._units.get(asyncio.current_task())
        if unit is None:
            async with self.pool.acquire() as conn:
                return await self._execute(conn, c, args)
        if unit.began or unit.pending or not c.is_read:
            await self._open(unit)
        return await self._execute(unit.conn, c, args)

    async def write(self, stmt, params: dict[str, Any] | None = None) -> None:
        """Queue a write in the current transaction (sent with the next statement or at the end);
        outside a transaction it runs at once. Its errors surface where it is sent."""
        unit = self._units.get(asyncio.current_task())
        if unit is None:
            await self.run(stmt, params)
            return
        unit.pending.append(self._compile(stmt, params))

    async def stream(self, stmt: Any, params: dict[str, Any] | None = None,
                     size: int = 5000) -> AsyncGenerator[list[tuple[Any, ...]], None]:
        """The rows of a SELECT, `size` at a time, from a server-side cursor (see the module
        docstring)."""
        c, args = self._compile(stmt, params)
        unit = self._units.get(asyncio.current_task())
        if unit is not None:
            await self._open(unit)
            async for rows in self._cursor(unit.conn, c, args, size):
                yield rows
            return
        async with self.pool.acquire() as conn, conn.transaction():
            async for rows in self._cursor(conn, c, args, size):
                yield rows

    @staticmethod
    async def _cursor(conn: Any, c: _Compiled, args: list[Any], size: int) -> AsyncGenerator[list[tuple[Any, ...]], None]:
        cursor = await conn.cursor(c.sql, *args)
        while True:
            rows = await cursor.fetch(size)
            if not rows:
                return
            yield [tuple(r) for r in rows]

    async def run_many(self, stmt, rows: Iterable[dict[str, Any]]) -> Rows:
        rows = list(rows)
        if not rows:
            return Rows([], 0)
        c, _ = self._compile(stmt, rows[0])
        args = [c.args(r) for r in rows]
        unit = self._units.get(asyncio.current_task())
        if unit is not None:
            await self._open(unit)
            await unit.conn.executemany(c.sql, args)
        else:
            async with self.pool.acquire() as conn, conn.transaction():
                await conn.executemany(c.sql, args)
        return Rows([], -1)


async def _no_reset(_conn) -> None:
    """Pool release: asyncpg rolls back an open transaction itself; lawbot sets no session state
    (no SET, LISTEN or session advisory locks on pool connections), so no reset query is sent."""


async def _quietly(coro) -> None:
    """ROLLBACK after an error: a failure here (a broken connection) must not hide the error; the
    pool discards a connection it cannot reset."""
    try:
        await coro
    except Exception:  # noqa: BLE001
        pass


Database = SqliteDatabase | PostgresDatabase
