"""Statistics files built in a separate process, so the chat's event loop never shares the
interpreter lock (or its garbage collector) with the export of a city.

`call(deps, "module:function", *args)` runs `await function(worker_deps, *args)` in the report
process, where worker_deps is `deps` rebuilt there: the same configuration, the official exams
and the question stems of `deps.catalog` (sent once per catalog revision), and a storage of its
own opened on the same database (a SQLite file opened read-only — snapshot transactions that
never take the write lock — or its own small PostgreSQL pool). Only the database address and
the arguments cross the process boundary, never rows; a workbook comes back as a file written
under the data folder (`exports/`), which the caller reads and removes.

The writes a report makes are not made there: before the call the caller's `prepare` coroutine
folds the new study and answer logs on its own store (short transactions on the main
connection), and in the report process those folds are no-ops; the admin log line is written by
the caller after the call.

One process (a daemon `multiprocessing.Process` started with 'spawn' on the first call or by
`warm()` when an admin opens the statistics, and a Pipe to it that carries one request at a
time, each awaited on a daemon thread), so jobs run one after another and an export never
takes both cores from the users; a long job (an export) runs on a thread whose CPU priority is
lowered by NICENESS on PostgreSQL (SQLITE_NICENESS, 0, on SQLite), so the users' answers and
their server processes win the CPU when both want it, while a chart after it is drawn at the
bot's priority. Every
bot process (`lawbot run --workers N`) has its own. When the report process dies (killed, out
of memory) the call raises `ReportFailed` — the chat answers with one line — and the next call
starts a new process; a job that runs longer than JOB_TIMEOUT is killed the same way. The
process exits on its own when the bot process that started it is gone (checked every second),
and is killed when the interpreter exits, without waiting for a job under way (an atexit hook;
the requests wait on daemon threads, which the exit does not wait for); `shutdown()` kills it
at once. After a job that left
the process above RECYCLE_RSS bytes of resident memory, the process is replaced before the next
job (Python keeps freed memory for reuse). An export streams its people from the database a
chunk at a time (bot.services.stats.write_workbook): the process peaked at 168 MB exporting a
1,000,000-person province, so exports do not trip the recycling (built at once: ~1 GB).

`enabled(deps)`: False for an in-memory SQLite database (a second process cannot open it; the
caller then builds the file in a thread as before) and when LAWBOT_REPORT_PROCESS=0 (the old
in-thread path, for comparisons)."""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import dataclasses
import gc
import importlib
import logging
import multiprocessing
import os
import signal
import threading
import traceback
import uuid
from collections.abc import Awaitable, Callable
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

NICENESS = int(os.environ.get("LAWBOT_REPORT_NICE", "10"))  # added to the nice value of a long job (an export)
# On SQLite an export at a lower priority measured worse stalls (335 ms median of 5 runs at load 7-14 against
# 113 ms, 2 runs at load 5, at the bot's priority): a starved reader holds its WAL snapshot longer.
SQLITE_NICENESS = int(os.environ.get("LAWBOT_REPORT_NICE_SQLITE", "0"))
JOB_TIMEOUT = 900.0  # s: a province export takes about a minute on a loaded 2-core machine
RECYCLE_RSS = 512 * 1024 * 1024  # bytes: replace the process after a job that left it this big
EXPORT_DIR = "exports"  # under the data folder: workbooks on their way to the caller


class ReportFailed(Exception):
    """The report process died or took too long; the work was not done."""


def enabled(deps: Any) -> bool:
    """Can this store's statistics files be built in the report process?"""
    if _IN_WORKER or os.environ.get("LAWBOT_REPORT_PROCESS", "1") == "0":
        return False
    return _target(deps.storage) is not None


def _target(store: Any) -> str | None:
    """The database a second process opens: a PostgreSQL URL or a SQLite file (None: neither)."""
    db = getattr(store, "db", None)
    if db is None:
        return None
    if db.dialect_name == "postgresql":
        return str(db.url.render_as_string(hide_password=False))
    path = getattr(db, "path", "")
    return None if path in ("", ":memory:") else str(Path(path).resolve())


# --- the parent's side -------------------------------------------------------------------------
class _Gone(Exception):
    """The report process died (or was killed) before it answered."""


class _Stale(Exception):
    """The report process was retired before the request was sent: ask the next one."""


class _Worker:
    """The report process and the pipe to it: one request at a time (`lock`), answered in turn.
    Only public multiprocessing: a daemon Process (multiprocessing stops it when this interpreter
    exits) and a Pipe, whose end-of-file says the process is gone."""

    def __init__(self) -> None:
        context = multiprocessing.get_context("spawn")
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_serve, args=(child, os.getpid()), name="lawbot-report",
                                       daemon=True)
        self.process.start()
        child.close()  # the child's end lives in the child only: its death is our end-of-file
        self.lock = threading.Lock()  # held while a request is under way
        self._state = threading.Lock()  # guards retired and busy
        self.retired = False
        self.busy = False
        self.sent: dict[str, tuple[int, int]] = {}  # target -> catalog key this process has

    def ask(self, request: tuple[Any, ...]) -> Any:
        """Send `request` and wait for its answer (blocking: called on a thread of its own). Raises
        _Stale when the process was retired first, _Gone when it died during the request, and the
        request's own exception when it raised one there."""
        with self.lock:
            with self._state:
                if self.retired:
                    raise _Stale
                self.busy = True
            try:
                self.conn.send(request)
                answer = self.conn.recv()
            except (EOFError, OSError) as exc:
                raise _Gone from exc
            finally:
                with self._state:
                    self.busy = False
                    close = self.retired
                if close:
                    self.conn.close()
        if answer[0] == "error":
            _kind, error, remote = answer
            raise error from _RemoteError(remote)
        return answer[1]

    def retire(self, kill: bool) -> None:
        """Take no more requests; kill the process (a request under way fails with _Gone), or let
        it finish the request under way and exit when the pipe closes."""
        with self._state:
            self.retired = True
            busy = self.busy
        if kill and self.process.is_alive():
            self.process.kill()
        if not busy:  # else the request under way closes the pipe when it ends
            self.conn.close()


class _RemoteError(Exception):
    """The traceback of an exception raised in the report process (the cause of the one raised here)."""


_lock = threading.Lock()
_worker: _Worker | None = None


def _forget_in_child() -> None:
    """A forked child does not own the parent's report process or its pipe: it starts its own
    when it needs one (and a lock a thread held at the fork would stay held)."""
    global _lock, _worker
    _lock, _worker = threading.Lock(), None


os.register_at_fork(after_in_child=_forget_in_child)


def _current() -> _Worker:
    global _worker
    with _lock:
        if _worker is None:
            _worker = _Worker()
        return _worker


def _retire(worker: _Worker, kill: bool) -> None:
    """Stop using `worker` (the next call starts a new process); kill its process if asked."""
    global _worker
    with _lock:
        if _worker is worker:
            _worker = None
    worker.retire(kill)


async def _ask(worker: _Worker, request: tuple[Any, ...], timeout: float) -> Any:
    """worker.ask(request) on a daemon thread (a request under way never holds up the
    interpreter's exit), awaited for at most `timeout` seconds."""
    done: concurrent.futures.Future[Any] = concurrent.futures.Future()

    def run() -> None:
        done.set_running_or_notify_cancel()  # from here the waiter's cancel leaves it to us
        try:
            done.set_result(worker.ask(request))
        except BaseException as exc:  # noqa: BLE001 - handed to the waiting coroutine
            done.set_exception(exc)

    threading.Thread(target=run, name="lawbot-report-call", daemon=True).start()
    return await asyncio.wait_for(asyncio.wrap_future(done), timeout)


def warm(deps: Any) -> None:
    """Start the report process in the background if it is not running (an admin opened the
    statistics: a chart or an export may follow), so the first file does not wait for its start."""
    if _worker is None and enabled(deps):
        _current()


def worker_pids() -> list[int]:
    """The report process's id, if one runs (tests)."""
    worker = _worker
    if worker is None or worker.process.pid is None or not worker.process.is_alive():
        return []
    return [worker.process.pid]


def shutdown() -> None:
    """Stop the report process now (a job under way is abandoned)."""
    worker = _worker
    if worker is not None:
        _retire(worker, kill=True)


def _catalog_key(catalog: Any) -> tuple[int, int]:
    return (id(catalog.questions), catalog.revision)


def _catalog_part(catalog: Any) -> dict[str, Any]:
    """What a statistics file needs of the catalog besides the official exams (sent with every
    job): the questions (the item sheet's stems and citations); not the law texts, cases or guides."""
    return {"root": catalog.root, "revision": catalog.revision, "questions": dict(catalog.questions)}


async def call(deps: Any, function: str, *args: Any, prepare: Callable[[], Awaitable[None]] | None = None,
               niceness: int = 0) -> Any:
    """`await function(worker_deps, *args)` in the report process (see the module docstring);
    its result or exception comes back. `prepare` runs first, here (the folds the job reads);
    `niceness` > 0 runs the job at a lower CPU priority (NICENESS for a long export)."""
    target = _target(deps.storage)
    assert target is not None, "report process used for a store it cannot open"
    if niceness and not target.startswith("postgresql"):
        niceness = SQLITE_NICENESS
    if prepare is not None:
        await prepare()
    catalog = deps.catalog
    key = _catalog_key(catalog)
    exams = {k: v for k, v in catalog.exams.items() if v.official}
    for _attempt in range(3):
        worker = _current()
        part = None if worker.sent.get(target) == key else _catalog_part(catalog)
        request = ("job", target, deps.config, key, part, exams, function, args, niceness)
        try:
            outcome = await _ask(worker, request, JOB_TIMEOUT)
        except _Stale:  # another caller retired this process before our turn: the next one
            continue
        except _Gone as exc:
            log.error("the report process died during %s", function)
            _retire(worker, kill=True)
            raise ReportFailed(function) from exc
        except TimeoutError as exc:
            log.error("%s took over %.0f s in the report process: stopped", function, JOB_TIMEOUT)
            _retire(worker, kill=True)
            raise ReportFailed(function) from exc
        if outcome[0] == _NEED_CATALOG:
            worker.sent.pop(target, None)
            continue
        _done, result, rss = outcome
        worker.sent[target] = key
        if rss > RECYCLE_RSS:
            log.info("report process at %.0f MB after %s: replaced", rss / 2**20, function)
            _retire(worker, kill=False)
        return result
    raise ReportFailed(function)


async def release(store: Any) -> None:
    """Close the report process's connection to `store`'s database (when the app closes), so a
    dropped database or a removed folder is not held open."""
    worker, target = _worker, _target(store)
    if worker is None or target is None:
        return
    try:
        await _ask(worker, ("release", target), 30)
    except _Stale:
        pass
    except (_Gone, TimeoutError):
        _retire(worker, kill=True)
    worker.sent.pop(target, None)


def export_path(config: Any, suffix: str) -> Path:
    """A fresh file name under the data folder for a file the report process hands back."""
    folder = Path(config.data_dir) / EXPORT_DIR
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{uuid.uuid4().hex}{suffix}"


# At exit the report process is killed (a job under way is abandoned). Nothing else waits for it:
# the requests wait on daemon threads, and this hook runs before multiprocessing's own (which
# would stop the daemon process too, with SIGTERM, and reap it).
atexit.register(shutdown)


# --- the report process's side --------------------------------------------------------------
_IN_WORKER = False
_NEED_CATALOG = "need-catalog"
_loop: asyncio.AbstractEventLoop | None = None


@dataclasses.dataclass
class _Context:
    store: Any
    deps: Any
    catalog_key: tuple[int, int] | None = None


_contexts: dict[str, _Context] = {}


WARM_IMPORTS = ("bot.services.stats", "bot.services.flags", "bot.services.flag_words", "bot.reports.charts",
                "bot.reports.excel", "bot.storage.sql.store", "matplotlib.pyplot")


def _init_worker(parent: int) -> None:
    global _IN_WORKER, _loop
    _IN_WORKER = True
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the bot's to handle: it stops this process
    for module in WARM_IMPORTS:  # at the bot's priority: the first job need not wait for them at a low one
        try:
            importlib.import_module(module)
        except ImportError:  # pragma: no cover - an optional part missing: the job says so
            log.exception("report process: importing %s failed", module)
    _loop = asyncio.new_event_loop()
    _loop.set_default_executor(_Inline())  # to_thread work runs on the job's (lower priority) thread

    def watch() -> None:  # exit when the bot process is gone (no orphan after a SIGKILL)
        import time

        while True:
            time.sleep(1.0)
            if os.getppid() != parent:
                os._exit(0)

    threading.Thread(target=watch, name="lawbot-report-watch", daemon=True).start()


async def _noop(*_args: Any, **_kwargs: Any) -> None:
    return None


async def _refuse(*_args: Any, **_kwargs: Any) -> None:
    raise RuntimeError("the report process does not write; the caller does")


# The writes a report can make (offloop.FORWARDED): the folds are made by the caller before the
# job; any other write is refused.
_FOLDED_BY_CALLER = frozenset({"refresh_study", "fold_item_sums"})


async def _open(target: str) -> Any:
    from bot.reports.offloop import FORWARDED, open_reader

    store = await open_reader(target)
    for repo, name in FORWARDED:
        setattr(getattr(store, repo), name, _noop if name in _FOLDED_BY_CALLER else _refuse)
    return store


async def _context(target: str, config: Any, key: tuple[int, int], part: dict[str, Any] | None,
                   exams: dict[str, Any]) -> _Context | None:
    import random

    from bot.catalog.catalog import Catalog
    from bot.clock import SystemClock
    from bot.deps import Deps

    held = _contexts.get(target)
    if held is None:
        held = _contexts[target] = _Context(await _open(target), None)
    if held.catalog_key != key or held.deps is None or held.deps.config != config:
        if part is None:
            if held.deps is None or held.catalog_key != key:
                return None
            catalog = held.deps.catalog
        else:
            catalog = Catalog(root=part["root"], laws=None, questions=part["questions"],  # type: ignore[arg-type]
                              revision=part["revision"])
        held.deps = Deps(storage=held.store, catalog=catalog, clock=SystemClock(), config=config,
                         rng=random.Random())
        held.catalog_key = key
    held.deps.catalog.exams.clear()  # the official exams as the caller has them now
    held.deps.catalog.exams.update(exams)
    return held


def _rss() -> int:
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):  # pragma: no cover - not Linux
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


class _Inline(concurrent.futures.ThreadPoolExecutor):
    """(report process) An executor that runs the function at once on the calling thread: the
    process does one job at a time, and a job's CPU work stays on the job's thread, whose
    priority was lowered (worker threads of a pool would run at the process's priority)."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> concurrent.futures.Future[Any]:
        future: concurrent.futures.Future[Any] = concurrent.futures.Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # noqa: BLE001 - the caller awaits it
            future.set_exception(exc)
        return future


def _in_thread(work: Callable[[], Any], niceness: int) -> Any:
    """work() on a thread of its own whose nice value is raised by `niceness` (Linux: a thread's
    priority is its own), so a long job runs at a lower priority and the next chart does not."""
    out: list[Any] = []

    def main() -> None:
        try:
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(),
                           os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) + niceness)
        except (AttributeError, OSError):  # pragma: no cover - no per-thread priority here
            pass
        try:
            out.append((True, work()))
        except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
            out.append((False, exc))

    thread = threading.Thread(target=main, name="lawbot-report-job")
    thread.start()
    thread.join()
    ok, value = out[0]
    if not ok:
        raise value
    return value


def _job(target: str, config: Any, key: tuple[int, int], part: dict[str, Any] | None, exams: dict[str, Any],
         function: str, args: tuple[Any, ...], niceness: int) -> Any:
    assert _loop is not None
    module, _, name = function.partition(":")
    fn = getattr(importlib.import_module(module), name)

    async def run() -> Any:
        held = await _context(target, config, key, part, exams)
        if held is None:
            return _NEED_CATALOG
        return await fn(held.deps, *args)

    gc.disable()  # this process only builds files: collect once at the end, not during the job
    try:
        result = _in_thread(lambda: _loop.run_until_complete(run()), niceness) if niceness else \
            _loop.run_until_complete(run())
    finally:
        gc.enable()
        gc.collect()
    return (_NEED_CATALOG,) if result is _NEED_CATALOG else ("done", result, _rss())


def _release(target: str) -> None:
    assert _loop is not None
    held = _contexts.pop(target, None)
    if held is not None:
        _loop.run_until_complete(held.store.close())


_REQUESTS: dict[str, Callable[..., Any]] = {"job": _job, "release": _release}


def _serve(conn: Connection, parent: int) -> None:
    """(report process) Answer the parent's requests one by one until it closes the pipe (or is
    gone): ("ok", value) or ("error", exception, its traceback)."""
    _init_worker(parent)
    while True:
        try:
            request = conn.recv()
        except (EOFError, OSError):
            return
        try:
            answer: tuple[Any, ...] = ("ok", _REQUESTS[request[0]](*request[1:]))
        except Exception as exc:  # noqa: BLE001 - handed to the caller
            answer = ("error", exc, traceback.format_exc())
        try:
            conn.send(answer)
        except (EOFError, OSError):
            return
        except Exception as exc:  # noqa: BLE001 - an answer that does not pickle: say so instead
            conn.send(("error", RuntimeError(f"the report process could not send its answer: {exc!r}"),
                       traceback.format_exc()))
