"""Exam load benchmark: many simulated users sit the 100-question `kemu1` mock exam at once,
through the core (ChatService.handle) and a real database: a SQLite file (WAL, SystemClock), or with
--database postgresql://… a fresh database created on that server for each run (dropped after).

Two measurements, each in a fresh database and a fresh child process (so peak RSS is per mode):

  (a) saturation: no think time, every user answers as fast as the bot replies (closed loop).
      Reports answers/s (answers / wall time) and p50/p99 per-answer latency (time inside
      ChatService.handle, including the wait for the storage lock).
  (b) latency: an open-loop offered load of --rate answers/s spread over the users. Each user
      answers on its own schedule (fixed interval users/rate with a random phase, or Poisson),
      independent of response times; latency runs from the *scheduled* send time to the
      completion of handle, so queueing counts.

Starting the exam (x:go) and handing it in (x:H) happen outside the timed answer loop. At the
end (not timed) the database is reopened (what a restart would see) and checked:
every attempt is submitted, and attempt_answers holds exactly users x answered-per-user rows.

CPU per answer is reported beside the wall figures because the machine may be shared: the bot
process's CPU time (process_time) over the timed loop divided by the answers, and on PostgreSQL
on this machine also the CPU time of the server backends serving the run's database (from /proc).
Those two do not grow with other programs' load the way wall-clock rates do.

--workers N runs N separate bot processes on the same database (as `lawbot run --workers N`
does), the users split between them; they start their timed loops together and the figures are
the aggregate: answers/s = all answers / (last process done - first process started), latency
percentiles over all processes' answers, CPU summed. With N > 1 the output says it is N processes.

    python bench/exam_load.py                 # 1000 users, 3 runs, median reported
    python bench/exam_load.py --quick         # smoke run: 50 users, 10 questions
    python bench/exam_load.py --users 500 --rate 2000 --duration 10 --runs 1
    python bench/exam_load.py --database postgresql://postgres@127.0.0.1/test
    python bench/exam_load.py --database postgresql://postgres@127.0.0.1/test --workers 2
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import math
import os
import platform
import random
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # runnable as `python bench/exam_load.py` from anywhere
    sys.path.insert(0, str(REPO))

from bot.app.messages import Incoming, Reply  # noqa: E402
from bot.bootstrap import App, ContentError, build, load_checked_catalog, settle_heap  # noqa: E402
from bot.catalog.catalog import Catalog, load_catalog  # noqa: E402
from bot.clock import SystemClock  # noqa: E402
from bot.config import load_config  # noqa: E402
from bot.domain.models import Attempt, QType  # noqa: E402
from bot.texts import tr  # noqa: E402

EXAM = "kemu1"
TARGETS = {"sqlite": (5000.0, 20.0), "postgresql": (2500.0, 50.0)}  # answers/s saturation, p99 ms at 1000/s
TARGET_RATE = 1000.0
SERVER: str | None = None  # --database: the PostgreSQL server; each run gets its own database
RUN_DB: list[str] = []  # the database of the current run (a URL), when SERVER is set
PART = (0, 1)  # (i, N): this process sits users i, i+N, i+2N, … (--workers: one of N processes)


# --- setup ----------------------------------------------------------------------------
@dataclass
class Sitter:
    """One simulated user: their attempt and the button presses they will make."""

    user: str
    attempt_id: int
    actions: list[str] = field(default_factory=list)  # x:a / x:m, one per question, in order


_CATALOG: list[Catalog] = []


def bench_catalog() -> Catalog:
    """The checked catalog; if unrelated content in the working tree fails the check (content is
    edited concurrently), fall back to the unchecked load as long as the exam can be drawn."""
    if not _CATALOG:
        try:
            _CATALOG.append(load_checked_catalog(REPO))
        except ContentError as exc:
            catalog, _problems = load_catalog(REPO)
            if EXAM not in catalog.exams:
                raise
            print(f"warning: content check failed, benchmarking the unchecked catalog "
                  f"({str(exc).splitlines()[1] if len(str(exc).splitlines()) > 1 else exc})", file=sys.stderr)
            _CATALOG.append(catalog)
    return _CATALOG[0]


SETTLE = True  # --no-settle: what-if for a bot that does not call settle_heap() after start-up


async def open_app(workdir: Path, seed: int = 1) -> App:
    config = load_config(None, data_dir=str(workdir), content_root=str(REPO), log_level="WARNING")
    app = await build(config, clock=SystemClock(), rng=random.Random(seed),
                      database=db_target(workdir), catalog=bench_catalog())
    if SETTLE:
        # as `lawbot run` does after start-up: the catalog, modules and storage set up leave the
        # full collections (without it one of them rescans ~130,000 objects: 70-100 ms of loop
        # stall under the 1,000/s load, the worst second of every run)
        settle_heap()
    return app


def db_target(workdir: Path) -> str | Path:
    return RUN_DB[0] if RUN_DB else workdir / "bench.sqlite3"


async def _pg_admin(sql: str) -> None:
    import asyncpg
    from sqlalchemy.engine import make_url
    assert SERVER is not None
    url = make_url(SERVER)
    conn = await asyncpg.connect(host=url.host or "127.0.0.1", port=url.port or 5432, user=url.username,
                                 password=url.password, database=url.database)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def _answer_action(app: App, attempt: Attempt, pos: int, rng: random.Random, accuracy: float) -> str:
    """The button a user presses for question `pos`: right with probability `accuracy`."""
    item = attempt.paper[pos]
    question = app.catalog.questions[item.qid]
    if rng.random() < accuracy:
        chosen = set(question.answer)
    else:
        others = [i for i in range(question.option_count) if frozenset({i}) != question.answer]
        chosen = {rng.choice(others)}
    if question.type is QType.MULTIPLE:
        mask = sum(1 << i for i in chosen)
        return f"x:m:{attempt.id}:{pos}:{mask}"
    return f"x:a:{attempt.id}:{pos}:{item.order.index(next(iter(chosen)))}"


async def start_exams(app: App, users: int, questions: int, seed: int, accuracy: float) -> list[Sitter]:
    """Every user (of this process's part) presses x:go:<exam> (untimed); returns their planned
    answer presses."""
    rng = random.Random(seed if PART[1] == 1 else seed * 1000 + PART[0])
    sitters = []
    for i in range(PART[0], users, PART[1]):
        user = f"bench:{i}"
        replies = await app.service.handle(Incoming(user=user, action=f"x:go:{EXAM}"))
        _expect_ok(replies, f"start for {user}")
        attempt = await app.storage.attempts.open_attempt_for(user)
        if attempt is None:
            raise RuntimeError(f"{user}: no open attempt after x:go ({replies[0].text[:80]!r})")
        count = min(questions, len(attempt.paper))
        actions = [_answer_action(app, attempt, pos, rng, accuracy) for pos in range(count)]
        sitters.append(Sitter(user, attempt.id, actions))
    return sitters


async def hand_in(app: App, sitters: list[Sitter]) -> None:
    """x:H (confirmed hand-in; works with unanswered questions too), untimed."""
    for s in sitters:
        _expect_ok(await app.service.handle(Incoming(user=s.user, action=f"x:H:{s.attempt_id}")), f"hand-in {s.user}")


_FAILURE_TEXTS = {tr(loc, key) for loc in ("zh", "en") for key in ("error", "bad_action")}


def _is_failure(replies: list[Reply]) -> bool:
    return not replies or replies[0].text in _FAILURE_TEXTS


def _expect_ok(replies: list[Reply], what: str) -> None:
    if _is_failure(replies):
        raise RuntimeError(f"{what} failed: {replies[0].text[:120] if replies else 'no reply'!r}")


async def verify(db: str | Path, expected: int, users: int) -> dict:
    """Reopen the database (what a crash-restart would see) and count; not timed. `expected`:
    the answers sent, by `users` users."""
    from sqlalchemy import text

    from bot.storage.sql.store import open_store
    store = await open_store(db)
    try:
        async def count(sql: str) -> int:
            return (await store.db.run(text(sql))).scalar()
        answers = await count("SELECT COUNT(*) FROM attempt_answers")
        attempts = await count("SELECT COUNT(*) FROM attempts")
        submitted = await count("SELECT COUNT(*) FROM attempts WHERE status = 'submitted'")
    finally:
        await store.close()
    return {"stored_answers": answers, "expected_answers": expected, "attempts": attempts,
            "submitted": submitted, "ok": answers == expected and submitted == attempts == users}


async def _checked(db: str | Path, sitters: list[Sitter]) -> dict | None:
    """verify() for this process's users; with --workers the parent checks all of them."""
    if PART[1] > 1:
        return None
    return await verify(db, sum(len(s.actions) for s in sitters), len(sitters))


async def _ready() -> None:
    """--workers: say that set-up is done and wait until the parent says go (all parts at once)."""
    if PART[1] > 1:
        print("ready", flush=True)
        await asyncio.to_thread(sys.stdin.readline)


async def server_cpu() -> float | None:
    """CPU seconds used so far by the PostgreSQL backends connected to this run's database, when
    the server runs on this machine (/proc readable); None otherwise (or on SQLite)."""
    if not RUN_DB:
        return None
    import asyncpg
    from sqlalchemy.engine import make_url
    url = make_url(RUN_DB[0])
    conn = await asyncpg.connect(host=url.host or "127.0.0.1", port=url.port or 5432, user=url.username,
                                 password=url.password, database=url.database)
    try:
        pids = [r[0] for r in await conn.fetch("SELECT pid FROM pg_stat_activity WHERE datname = $1 "
                                               "AND pid <> pg_backend_pid()", url.database)]
    finally:
        await conn.close()
    ticks = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None  # not this machine's processes
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def _pct(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of an unsorted list; ms in, ms out."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, math.ceil(q / 100 * len(ordered)) - 1))
    return ordered[k]


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


# --- (a) saturation -------------------------------------------------------------------
async def saturation(workdir: Path, users: int, questions: int, seed: int = 1, accuracy: float = 0.9) -> dict:
    app = await open_app(workdir, seed)
    try:
        sitters = await start_exams(app, users, questions, seed, accuracy)
        latencies: list[float] = []
        failures = 0
        await _ready()
        server0 = await server_cpu() if PART[1] == 1 else None

        async def sit(s: Sitter) -> None:
            nonlocal failures
            handle, record, clock = app.service.handle, latencies.append, time.perf_counter
            for action in s.actions:
                t0 = clock()
                replies = await handle(Incoming(user=s.user, action=action))
                record(clock() - t0)
                failures += _is_failure(replies)
                await asyncio.sleep(0)  # the reply goes out before the next press comes in

        began, cpu0, t_start = time.time(), time.process_time(), time.perf_counter()
        await asyncio.gather(*(sit(s) for s in sitters))
        wall = time.perf_counter() - t_start
        cpu, ended = time.process_time() - cpu0, time.time()
        server = (await server_cpu() or 0.0) - server0 if server0 is not None else None
        _part_result({"began": began, "ended": ended, "cpu_s": cpu, "latencies_ms": [x * 1000 for x in latencies],
                      "failures": failures, "expected": sum(len(s.actions) for s in sitters), "users": len(sitters)})
        await hand_in(app, sitters)
    finally:
        await app.close()
    ms = [x * 1000 for x in latencies]
    return {"mode": "saturation", "users": users, "questions": questions, "answers": len(ms),
            "failures": failures, "wall_s": wall, "answers_per_s": len(ms) / wall,
            "p50_ms": _pct(ms, 50), "p99_ms": _pct(ms, 99), "max_ms": max(ms, default=float("nan")),
            "cpu_us_per_answer": cpu / max(1, len(ms)) * 1e6,
            "server_cpu_us_per_answer": None if server is None else server / max(1, len(ms)) * 1e6,
            "peak_rss_mb": _rss_mb(), "check": await _checked(db_target(workdir), sitters)}


def _part_result(result: dict) -> None:
    """--workers: hand the timed loop's figures to the parent (before the untimed hand-in)."""
    if PART[1] > 1:
        print(json.dumps(result), flush=True)


# --- (b) open-loop latency ------------------------------------------------------------
def _per_second(timeline: list[tuple[float, float]]) -> list[tuple[int, int, float, float]]:
    """(second, answers scheduled in it, p50 ms, p99 ms): shows warm-up spikes and stalls."""
    buckets: dict[int, list[float]] = {}
    for offset, lat in timeline:
        buckets.setdefault(int(offset), []).append(lat * 1000)
    return [(sec, len(v), round(_pct(v, 50), 2), round(_pct(v, 99), 2)) for sec, v in sorted(buckets.items())]


def schedule(users: int, per_user: int, rate: float, arrivals: str, rng: random.Random) -> list[list[float]]:
    """Send offsets (seconds from t0) per user; the aggregate offered load is `rate`/s."""
    interval = users / rate
    plans = []
    for _ in range(users):
        t = rng.uniform(0, interval)
        times = []
        for _k in range(per_user):
            times.append(t)
            t += rng.expovariate(1 / interval) if arrivals == "poisson" else interval
        plans.append(times)
    return plans


async def latency(workdir: Path, users: int, rate: float, duration: float, questions: int, seed: int = 1,
                  accuracy: float = 0.9, arrivals: str = "fixed") -> dict:
    per_user = max(1, min(questions, int(duration * rate / users)))
    app = await open_app(workdir, seed)
    try:
        sitters = await start_exams(app, users, per_user, seed, accuracy)
        mine = len(sitters)  # with --workers, this process offers its share of the rate to its users
        times = schedule(mine, per_user, rate * mine / users, arrivals, random.Random(seed + 1 if PART[1] == 1 else seed * 1000 + PART[0] + 1))
        loop = asyncio.get_running_loop()
        latencies: list[float] = []
        lateness: list[float] = []  # how late the load generator itself dispatched
        timeline: list[tuple[float, float]] = []  # (scheduled offset, latency) for the per-second view
        t0_box = [0.0]
        failures = 0
        last_done = 0.0

        async def one(user: str, action: str, due: float) -> None:
            nonlocal failures, last_done
            replies = await app.service.handle(Incoming(user=user, action=action))
            done = loop.time()
            latencies.append(done - due)
            timeline.append((due - t0_box[0], done - due))
            last_done = max(last_done, done)
            failures += _is_failure(replies)

        async def user_clock(s: Sitter, offsets: list[float], t0: float) -> None:
            # Open loop: the next press is sent on schedule whether or not the last one returned.
            tasks = []
            for action, offset in zip(s.actions, offsets, strict=True):
                due = t0 + offset
                delay = due - loop.time()
                if delay > 0:
                    await asyncio.sleep(delay)
                lateness.append(loop.time() - due)
                tasks.append(asyncio.create_task(one(s.user, action, due)))
            await asyncio.gather(*tasks)

        await _ready()
        server0 = await server_cpu() if PART[1] == 1 else None
        cpu0 = time.process_time()
        t0 = t0_box[0] = loop.time() + 0.2  # let every user clock get scheduled first
        began = time.time() + 0.2
        await asyncio.gather(*(user_clock(s, offs, t0) for s, offs in zip(sitters, times, strict=True)))
        span = last_done - t0
        cpu = time.process_time() - cpu0
        server = (await server_cpu() or 0.0) - server0 if server0 is not None else None
        offered_span = max(t[-1] for t in times)
        _part_result({"began": began, "ended": began + span, "cpu_s": cpu, "latencies_ms": [x * 1000 for x in latencies],
                      "failures": failures, "expected": sum(len(s.actions) for s in sitters), "users": len(sitters),
                      "offered_span_s": offered_span, "per_second": _per_second(timeline),
                      "dispatch_lag_p99_ms": _pct([x * 1000 for x in lateness], 99)})
        await hand_in(app, sitters)
    finally:
        await app.close()
    ms = [x * 1000 for x in latencies]
    return {"mode": "latency", "users": users, "questions": per_user, "answers": len(ms), "failures": failures,
            "offered_rate": rate, "arrivals": arrivals, "offered_span_s": offered_span,
            "achieved_rate": len(ms) / span if span > 0 else float("nan"),
            "p50_ms": _pct(ms, 50), "p99_ms": _pct(ms, 99), "max_ms": max(ms, default=float("nan")),
            "dispatch_lag_p99_ms": _pct([x * 1000 for x in lateness], 99),
            "per_second": _per_second(timeline),
            "cpu_us_per_answer": cpu / max(1, len(ms)) * 1e6,
            "server_cpu_us_per_answer": None if server is None else server / max(1, len(ms)) * 1e6,
            "peak_rss_mb": _rss_mb(), "check": await _checked(db_target(workdir), sitters)}


# --- running --------------------------------------------------------------------------
def run_in_process(mode: str, args: argparse.Namespace) -> dict:
    load = os.getloadavg()[0]  # the machine may be shared: show how busy it was
    RUN_DB.clear()
    if SERVER:
        from sqlalchemy.engine import make_url
        name = f"lawbot_bench_{os.getpid()}_{random.randrange(1 << 30)}"
        asyncio.run(_pg_admin(f'CREATE DATABASE "{name}"'))
        RUN_DB.append(make_url(SERVER).set(database=name).render_as_string(hide_password=False))
    try:
        with tempfile.TemporaryDirectory(prefix="lawbot-bench-") as tmp:
            if mode == "saturation":
                coro = saturation(Path(tmp), args.users, args.questions, args.seed, args.accuracy)
            else:
                coro = latency(Path(tmp), args.users, args.rate, args.duration, args.questions, args.seed,
                               args.accuracy, args.arrivals)
            result = asyncio.run(coro)
    finally:
        if RUN_DB:
            asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    result["loadavg"] = max(load, os.getloadavg()[0])
    return result


def run_part(mode: str, args: argparse.Namespace) -> None:
    """One of --workers N processes: the parent made the database and reads what this prints."""
    global PART
    i, n = (int(x) for x in args.part.split("/"))
    PART = (i, n)
    RUN_DB[:] = [args.run_db] if args.run_db else []
    workdir = Path(args.workdir)
    if mode == "saturation":
        coro = saturation(workdir, args.users, args.questions, args.seed, args.accuracy)
    else:
        coro = latency(workdir, args.users, args.rate, args.duration, args.questions, args.seed,
                       args.accuracy, args.arrivals)
    asyncio.run(coro)


def run_workers(mode: str, args: argparse.Namespace, run: int) -> dict:
    """--workers N: N bot processes on one database, the users split between them, their timed
    loops started together; the aggregate figures (see the module docstring)."""
    from bot.storage.sql.store import open_store
    load = os.getloadavg()[0]
    n = args.workers
    name = f"lawbot_bench_{os.getpid()}_{random.randrange(1 << 30)}"
    with tempfile.TemporaryDirectory(prefix="lawbot-bench-") as tmp:
        if SERVER:
            from sqlalchemy.engine import make_url
            asyncio.run(_pg_admin(f'CREATE DATABASE "{name}"'))
            RUN_DB[:] = [make_url(SERVER).set(database=name).render_as_string(hide_password=False)]
        else:
            RUN_DB.clear()
        target = db_target(Path(tmp))
        procs = []
        try:
            async def migrate() -> None:
                await (await open_store(target)).close()  # the schema, once, before the processes start
            asyncio.run(migrate())
            for i in range(n):
                cmd = [sys.executable, str(Path(__file__).resolve()), "--child", mode, "--part", f"{i}/{n}",
                       "--workdir", tmp, "--users", str(args.users), "--questions", str(args.questions),
                       "--rate", str(args.rate), "--duration", str(args.duration), "--seed", str(args.seed + run),
                       "--accuracy", str(args.accuracy), "--arrivals", args.arrivals] \
                    + (["--run-db", RUN_DB[0]] if RUN_DB else []) + (["--no-settle"] if args.no_settle else [])
                procs.append(subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True))
            pipes = [_pipes(proc) for proc in procs]
            for _stdin, stdout in pipes:
                if stdout.readline().strip() != "ready":
                    raise SystemExit(f"{mode}: a worker process failed during set-up")
            server0 = asyncio.run(server_cpu())
            for stdin, _stdout in pipes:
                stdin.write("go\n")
                stdin.flush()
            parts = [json.loads(stdout.readline()) for _stdin, stdout in pipes]
            server1 = asyncio.run(server_cpu())
            for proc, (_stdin, stdout) in zip(procs, pipes, strict=True):
                stdout.read()
                if proc.wait() != 0:
                    raise SystemExit(f"{mode} run {run + 1}: a worker process failed (exit {proc.returncode})")
            check = asyncio.run(verify(target, sum(p["expected"] for p in parts), sum(p["users"] for p in parts)))
        finally:
            for proc in procs:
                if proc.poll() is None:
                    proc.kill()
            if SERVER:
                asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    ms = [x for p in parts for x in p["latencies_ms"]]
    span = max(p["ended"] for p in parts) - min(p["began"] for p in parts)
    result = {"mode": mode, "workers": n, "users": args.users, "answers": len(ms),
              "failures": sum(p["failures"] for p in parts),
              "p50_ms": _pct(ms, 50), "p99_ms": _pct(ms, 99), "max_ms": max(ms, default=float("nan")),
              "cpu_us_per_answer": sum(p["cpu_s"] for p in parts) / max(1, len(ms)) * 1e6,
              "server_cpu_us_per_answer": None if server0 is None or server1 is None
              else (server1 - server0) / max(1, len(ms)) * 1e6,
              "peak_rss_mb": float("nan"), "check": check, "loadavg": max(load, os.getloadavg()[0])}
    if mode == "saturation":
        result.update(questions=args.questions, wall_s=span, answers_per_s=len(ms) / span)
    else:
        seconds: dict[int, list] = {}
        for p in parts:
            for sec, count, _p50, p99 in p["per_second"]:
                seconds.setdefault(sec, []).append((count, p99))
        result.update(questions=max(1, min(args.questions, int(args.duration * args.rate / args.users))),
                      offered_rate=args.rate, arrivals=args.arrivals, achieved_rate=len(ms) / span,
                      offered_span_s=max(p["offered_span_s"] for p in parts),
                      dispatch_lag_p99_ms=max(p["dispatch_lag_p99_ms"] for p in parts),
                      # per second: answers of all processes, the worst process's p99
                      per_second=[(sec, sum(c for c, _ in v), float("nan"), max(q for _, q in v))
                                  for sec, v in sorted(seconds.items())])
    return result


def _pipes(proc: subprocess.Popen) -> tuple[IO[str], IO[str]]:
    assert proc.stdin is not None and proc.stdout is not None
    return proc.stdin, proc.stdout


def run_child(mode: str, args: argparse.Namespace, run: int) -> dict:
    """One measurement in a fresh interpreter, so ru_maxrss is that mode's own peak."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", mode, "--users", str(args.users),
           "--questions", str(args.questions), "--rate", str(args.rate), "--duration", str(args.duration),
           "--seed", str(args.seed + run), "--accuracy", str(args.accuracy), "--arrivals", args.arrivals] + (["--no-settle"] if args.no_settle else []) \
        + (["--database", args.database] if args.database else [])
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, text=True)  # stderr (warnings) passes through
    if proc.returncode != 0:
        raise SystemExit(f"{mode} run {run + 1} failed (exit {proc.returncode})")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _line(r: dict) -> str:
    c = r["check"]
    check = f"stored {c['stored_answers']}/{c['expected_answers']} answers, {c['submitted']}/{c['attempts']} submitted"
    if r["mode"] == "saturation":
        head = f"{r['answers_per_s']:8.0f} answers/s in {r['wall_s']:.1f}s"
    else:
        head = f"offered {r['offered_rate']:.0f}/s achieved {r['achieved_rate']:7.0f}/s"
    if r["mode"] == "latency" and r["per_second"]:
        worst = max(r["per_second"], key=lambda b: b[3])
        head += f" (worst second: #{worst[0]} p99 {worst[3]:.0f} ms)"
    server = r.get("server_cpu_us_per_answer")
    cpu = f"cpu/answer: bot {r['cpu_us_per_answer']:.0f} us" + ("" if server is None else f" + server {server:.0f} us")
    return (f"{head}  p50 {r['p50_ms']:7.2f} ms  p99 {r['p99_ms']:8.2f} ms  max {r['max_ms']:8.1f} ms  "
            f"{cpu}  rss {r['peak_rss_mb']:.0f} MB  failures {r['failures']}  load {r['loadavg']:.1f}  "
            f"[{check}{'' if c['ok'] else ' MISMATCH'}]")


def _median(results: list[dict], key: str) -> float:
    return statistics.median(r[key] for r in results)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--users", type=int, default=1000)
    p.add_argument("--questions", type=int, default=100, help="questions each user answers (<= 100)")
    p.add_argument("--rate", type=float, default=1000.0, help="offered answers/s for the latency run")
    p.add_argument("--duration", type=float, default=20.0, help="seconds of offered load in the latency run")
    p.add_argument("--runs", type=int, default=3, help="runs per mode; the median is reported")
    p.add_argument("--arrivals", choices=("fixed", "poisson"), default="fixed",
                   help="per-user send times: fixed interval with random phase, or Poisson")
    p.add_argument("--accuracy", type=float, default=0.9, help="share of right answers (affects hand-in only)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--mode", choices=("both", "saturation", "latency"), default="both")
    p.add_argument("--quick", action="store_true", help="smoke run: 50 users x 10 questions, 1 run, 200/s for 2.5 s")
    p.add_argument("--no-settle", action="store_true",
                   help="what-if: skip settle_heap() after start-up (full GCs then stall the loop 70-100 ms)")
    p.add_argument("--in-process", action="store_true", help="do not spawn a child per run (RSS then accumulates)")
    p.add_argument("--database", metavar="URL", help="a PostgreSQL server (postgresql://user@host/db); each run "
                   "creates and drops its own database there. Default: a SQLite file in a temporary folder")
    p.add_argument("--workers", type=int, default=1, metavar="N",
                   help="N bot processes on the same database, users split between them; aggregate figures")
    p.add_argument("--child", choices=("saturation", "latency"), help=argparse.SUPPRESS)
    p.add_argument("--part", help=argparse.SUPPRESS)  # i/N: one of the --workers processes
    p.add_argument("--run-db", help=argparse.SUPPRESS)
    p.add_argument("--workdir", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    if args.quick:
        args.users, args.questions, args.runs = min(args.users, 50), min(args.questions, 10), 1
        args.rate, args.duration = min(args.rate, 200.0), min(args.duration, 2.5)
    if args.no_settle:
        global SETTLE
        SETTLE = False
    if args.database:
        global SERVER
        SERVER = args.database
    backend = "postgresql" if args.database else "sqlite"
    target_saturation, target_p99 = TARGETS[backend]
    if args.child and args.part:
        run_part(args.child, args)
        return 0
    if args.child:
        print(json.dumps(run_in_process(args.child, args)))
        return 0
    if args.workers < 1:
        p.error("--workers must be at least 1")

    modes = ("saturation", "latency") if args.mode == "both" else (args.mode,)
    print(f"machine: {platform.node()}  nproc {os.cpu_count()}  Python {platform.python_version()} "
          f"({platform.python_implementation()})  SQLite {sqlite3.sqlite_version}  {platform.platform()}")
    print(f"database: {'PostgreSQL at ' + args.database if args.database else 'SQLite file (WAL)'}")
    print(f"load: {args.users} users x {args.questions} questions of '{EXAM}', {args.runs} run(s) per mode; "
          f"latency mode offers {args.rate:.0f}/s for ~{args.duration:g}s ({args.arrivals} arrivals)")
    print(f"bot processes: {args.workers}" + (f" (--workers: {args.workers} separate processes on one database, "
          "users split between them; figures are their aggregate)" if args.workers > 1 else " (one process)") + "\n")
    results: dict[str, list[dict]] = {m: [] for m in modes}
    for run in range(args.runs):
        for mode in modes:
            if args.workers > 1:
                r = run_workers(mode, args, run)
            else:
                r = run_in_process(mode, args) if args.in_process else run_child(mode, args, run)
            results[mode].append(r)
            print(f"run {run + 1} {mode:<10} {_line(r)}", flush=True)

    ok = all(r["check"]["ok"] and r["failures"] == 0 for rs in results.values() for r in rs)
    print(f"\n=== summary (median of {args.runs} run(s); nproc {os.cpu_count()}, Python {platform.python_version()}) ===")
    if "saturation" in results:
        rs = results["saturation"]
        rate = _median(rs, "answers_per_s")
        print(f"(a) saturation: {rate:.0f} answers/s   time in handle per answer: p50 {_median(rs, 'p50_ms'):.1f} ms   "
              f"p99 {_median(rs, 'p99_ms'):.1f} ms   peak RSS {_median(rs, 'peak_rss_mb'):.0f} MB")
        print(f"    target >= {target_saturation:.0f} answers/s: {'PASS' if rate >= target_saturation else 'MISS'}")
        c = rs[-1]["check"]
        print(f"    check: {c['stored_answers']} attempt_answers rows (expected {args.users} x {args.questions}"
              f" = {c['expected_answers']}), {c['submitted']}/{c['attempts']} attempts submitted")
    if "latency" in results:
        rs = results["latency"]
        p99 = _median(rs, "p99_ms")
        print(f"(b) latency @ {args.rate:.0f}/s offered: achieved {_median(rs, 'achieved_rate'):.0f}/s   "
              f"p50 {_median(rs, 'p50_ms'):.1f} ms   p99 {p99:.1f} ms   max {_median(rs, 'max_ms'):.1f} ms   "
              f"peak RSS {_median(rs, 'peak_rss_mb'):.0f} MB")
        if args.rate == TARGET_RATE:
            print(f"    target p99 < {target_p99:.0f} ms at {TARGET_RATE:.0f}/s: {'PASS' if p99 < target_p99 else 'MISS'}")
        else:
            print(f"    (target p99 < {target_p99:.0f} ms is defined at {TARGET_RATE:.0f}/s offered)")
        c = rs[-1]["check"]
        print(f"    check: {c['stored_answers']} attempt_answers rows (expected {args.users} x {rs[-1]['questions']}"
              f" = {c['expected_answers']}), {c['submitted']}/{c['attempts']} attempts submitted")
    print(f"correctness: {'OK' if ok else 'FAILED'} (every answer stored, every attempt submitted, no error replies)")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
