"""Admin files and heavy statistics off the event loop, so a chat turn never waits behind them.

Two tools:

  - `run(fn, *args)` and the wrappers per file kind (`workbook`, `chart`, `certificate`,
    `bank_file`): a CPU-bound function in a worker thread. At most two run at once, so two
    admins exporting together cannot take both cores from the users; charts draw one at a time
    (pyplot keeps global state).

  - `on_report_loop(deps, job)`: `await job(report_deps)` on a long-lived thread of its own that
    runs a second event loop with its own connection to the same database. Everything the job
    does — the big reads (150,000 roster rows), turning rows into objects, summing, building the
    workbook — runs there; the main loop only waits for the answer. The report connection only
    reads: on SQLite it opens deferred (snapshot) transactions, so it never takes the write lock
    users' turns need; the few writes a report makes (folding new study and answer logs, the
    admin log line) are sent to the main store on the main loop, each a short transaction of
    its own. An in-memory SQLite database cannot be opened twice: there the job runs on the
    main loop (tests only).

Jobs on the report loop run one after another in spirit (one thread): a second export waits
for the first rather than taking more CPU from the users. The workbook and the charts are not
built on the report loop but in the report process (bot/reports/process.py), which reads the
database itself; the report loop only folds the logs first, waits and hands the file back.
A statistics view starts that process in the background (`process.warm`).

While a report job runs, the garbage collector's automatic full collections are held back: an
export allocates millions of objects, and each full collection (which stops every thread, the
event loop's too) would rescan all of them — measured at 0.4-0.5 s per collection on a
20,000-person export. Young collections go on; the report's rows are freed by reference
counting when it ends, and the thresholds are restored then (`bootstrap.settle_heap()` keeps
the catalog out of later full collections). The interpreter's thread switch interval is also
shortened (5 ms -> 1 ms) meanwhile: each time the loop's thread comes back from a blocking call
(a SQLite statement, a socket) it waits up to one interval for the report thread to hand over
the GIL, and a turn makes a dozen such calls.
"""

from __future__ import annotations

import asyncio
import dataclasses
import gc
import logging
import os
import sys
import threading
from collections.abc import Awaitable, Callable
from contextlib import contextmanager
from typing import Any, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")

MAX_THREADS = 2
_threads = threading.BoundedSemaphore(MAX_THREADS)
_draw = threading.Lock()  # matplotlib's pyplot: one figure at a time across threads


def _bounded(fn: Callable[..., T], *args: Any) -> T:
    with _threads:
        return fn(*args)


async def run(fn: Callable[..., T], *args: Any) -> T:
    """fn(*args) in a worker thread (at most MAX_THREADS at once); the loop stays free."""
    return await asyncio.to_thread(_bounded, fn, *args)


def _drawn(fn: Callable[..., T], *args: Any) -> T:
    with _draw:
        return fn(*args)


async def workbook(build: Callable[..., bytes], *args: Any) -> bytes:
    """An Excel workbook, e.g. workbook(bot.services.stats_files.workbook, report, items, catalog, locale)."""
    return await run(build, *args)


async def chart(draw: Callable[..., bytes], *args: Any) -> bytes:
    """A matplotlib chart, e.g. chart(bot.services.stats_files.rates_chart, report, locale)."""
    return await run(_drawn, draw, *args)


async def certificate(view) -> bytes:
    """The pass certificate PDF (fpdf2, about a second of CPU)."""
    from bot.reports.certificate import render_certificate

    return await run(render_certificate, view)


async def bank_file(fn: Callable[..., T], *args: Any) -> T:
    """Reading, checking or writing a question-bank or roster file (xlsx, CSV, …)."""
    return await run(fn, *args)


# --- the report loop -----------------------------------------------------------------------
class _ReportLoop:
    """One thread running an event loop, and per main store a read connection opened in it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.loop: asyncio.AbstractEventLoop | None = None
        self._stores: dict[int, tuple[Any, Any]] = {}  # id(main store) -> (main store, report store)
        self._deps: dict[int, tuple[Any, Any]] = {}  # id(main deps) -> (main deps, report deps)

    def start(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self.loop is None or self.loop.is_closed():
                loop = asyncio.new_event_loop()
                thread = threading.Thread(target=loop.run_forever, name="lawbot-reports", daemon=True)
                thread.start()
                self.loop = loop
            return self.loop

    async def store_for(self, main, main_loop: asyncio.AbstractEventLoop):
        """(runs on the report loop) The report store of `main`, opened on first use."""
        held = self._stores.get(id(main))
        if held is not None and held[0] is main:
            return held[1]
        store = await _open_reader(main, main_loop)
        self._stores[id(main)] = (main, store)
        return store

    def deps_for(self, deps, store):
        """(report loop) `deps` with the report store: one per wiring, so what the statistics keep
        between calls (per-unit counts, checked against the data on every call) serves the next
        chart or export too. Catalog, config and clock are the same objects as the main ones."""
        held = self._deps.get(id(deps))
        if held is None or held[0] is not deps or held[1].storage is not store:
            held = self._deps[id(deps)] = (deps, dataclasses.replace(deps, storage=store))
        return held[1]

    async def drop(self, main) -> None:
        """(runs on the report loop) Close the report store of `main`, if any."""
        held = self._stores.pop(id(main), None)
        if held is not None and held[0] is main:
            self._deps = {k: v for k, v in self._deps.items() if v[1].storage is not held[1]}
            await held[1].close()


_REPORTS = _ReportLoop()


def _forget_in_child() -> None:
    """A forked child has none of this process's threads: the report loop's thread is gone, and a
    lock or semaphore a thread held at the fork stays held. Start from nothing there."""
    global _REPORTS, _threads, _draw, _gc_lock, _gc_jobs, _gc_saved
    if _gc_saved is not None:  # forked inside no_full_collections: the child collects as usual
        gc.set_threshold(*_gc_saved)
        sys.setswitchinterval(_switch_default)
    _REPORTS = _ReportLoop()
    _threads = threading.BoundedSemaphore(MAX_THREADS)
    _draw = threading.Lock()
    _gc_lock = threading.Lock()
    _gc_jobs, _gc_saved = 0, None


def shareable(store) -> bool:
    """Can a second connection reach this store's data (False: an in-memory SQLite database)?"""
    db = getattr(store, "db", None)
    if db is None:
        return False
    if db.dialect_name == "postgresql":
        return True
    return getattr(db, "path", ":memory:") not in ("", ":memory:")


SWITCH_INTERVAL = 0.001  # s; Python's default is 0.005
_switch_default = sys.getswitchinterval()
_gc_lock = threading.Lock()
_gc_jobs = 0
_gc_saved: tuple[int, int, int] | None = None
os.register_at_fork(after_in_child=_forget_in_child)


@contextmanager
def no_full_collections():
    """Hold back automatic full garbage collections while a report job runs (see above)."""
    global _gc_jobs, _gc_saved
    with _gc_lock:
        if _gc_jobs == 0:
            _gc_saved = gc.get_threshold()
            gc.set_threshold(_gc_saved[0], _gc_saved[1], 1 << 30)
            sys.setswitchinterval(SWITCH_INTERVAL)
        _gc_jobs += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_jobs -= 1
            if _gc_jobs == 0 and _gc_saved is not None:
                gc.set_threshold(*_gc_saved)
                _gc_saved = None
                sys.setswitchinterval(_switch_default)


async def on_report_loop(deps, job: Callable[[Any], Awaitable[T]]) -> T:
    """`await job(report_deps)` on the report loop, where report_deps is `deps` with the report
    store in place of deps.storage. Exceptions propagate to the caller."""
    from bot.reports import process

    process.warm(deps)  # a chart or an export often follows a statistics view
    main = deps.storage
    with no_full_collections():
        if not shareable(main):
            return await job(deps)
        main_loop = asyncio.get_running_loop()
        loop = _REPORTS.start()

        async def there() -> T:
            store = await _REPORTS.store_for(main, main_loop)
            return await job(_REPORTS.deps_for(deps, store))

        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(there(), loop))


async def release(main) -> None:
    """Close the report loop's and the report process's connections to `main`'s database (when
    the app closes)."""
    from bot.reports import process

    await process.release(main)
    loop = _REPORTS.loop
    if loop is None or loop.is_closed() or not shareable(main):
        return
    try:
        await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(_REPORTS.drop(main), loop))
    except Exception:
        log.exception("closing the report connection failed")


def _forward(method, main_loop: asyncio.AbstractEventLoop):
    """A main-store coroutine method callable from the report loop: it runs on the main loop."""

    async def call(*args, **kwargs):
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(method(*args, **kwargs), main_loop))

    call.__name__ = getattr(method, "__name__", "forwarded")
    return call


# The writes a report can make, sent to the main store (repository, method).
FORWARDED = (("study", "refresh_study"), ("stats", "fold_item_sums"), ("stats", "save_snapshot"),
             ("admins", "log_admin"))


async def open_reader(target):
    """A read store on the database `target` names: a PostgreSQL URL (a pool of its own) or a
    SQLite file (a read snapshot that refuses writes)."""
    from sqlalchemy.engine import URL, make_url

    from bot.storage.sql.database import PostgresDatabase
    from bot.storage.sql.store import SqlStore

    if isinstance(target, URL) or str(target).startswith("postgresql"):
        reader = PostgresDatabase(make_url(target), pool_size=2)
        await reader.connect()
    else:
        reader = _SnapshotSqlite(str(target))
        reader.connect()
    return SqlStore(reader)


async def _open_reader(main, main_loop: asyncio.AbstractEventLoop):
    from bot.storage.sql.database import PostgresDatabase

    db = main.db
    store = await open_reader(db.url if isinstance(db, PostgresDatabase) else db.path)
    for repo, name in FORWARDED:
        target = getattr(main, repo, None)
        if target is not None and hasattr(target, name):
            setattr(getattr(store, repo), name, _forward(getattr(target, name), main_loop))
    return store


def _snapshot_class():
    from bot.storage.sql.database import SqliteDatabase

    class SnapshotSqlite(SqliteDatabase):
        """A SQLite connection for reports: transactions are deferred (a read snapshot in WAL
        mode, never the write lock) and the connection refuses writes (query_only)."""

        def _on_connect(self, dbapi_conn, _record) -> None:
            dbapi_conn.isolation_level = None
            dbapi_conn.execute("PRAGMA foreign_keys=ON")
            dbapi_conn.execute("PRAGMA busy_timeout=5000")
            dbapi_conn.execute("PRAGMA query_only=ON")

        async def _begin(self) -> None:
            self._raw.execute("BEGIN")  # deferred: takes no lock until the first read
            self._check_others()

    return SnapshotSqlite


class _LazySnapshot:
    cls = None

    def __call__(self, path: str):
        if self.cls is None:
            self.cls = _snapshot_class()
        return self.cls(path)


_SnapshotSqlite = _LazySnapshot()
