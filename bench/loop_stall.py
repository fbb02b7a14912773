"""Loop-stall benchmark (issue 11, item 3): 200 users practise through the core
(ChatService.handle, as bench/exam_load.py drives its users) while an admin, in chat, exports the
statistics workbook of a 150,000-person city (the city of bench/stats.py) and renders the three
charts. Measured:

  - the event loop's maximum stall: a ticker task sleeps TICK seconds again and again and records
    how late it wakes (the longest time nothing else could run on the loop);
  - the users' per-answer latency (p50/p99, time inside ChatService.handle) while the admin works;
  - that the export and the charts complete (an .xlsx with every person, three PNGs), and how long
    the admin waited for them.

Targets: max stall < 100 ms, users' p99 < 250 ms, the export completes.

    python bench/loop_stall.py                       # SQLite file, 150,000 people, 3 runs (medians)
    python bench/loop_stall.py --database postgresql://postgres@127.0.0.1/test
    python bench/loop_stall.py --people 20000 --runs 1 --users 50
    python bench/loop_stall.py --in-thread           # the files built in a thread of the bot process (before)

The workbook and the charts are built in the report process (bot/reports/process.py) unless
--in-thread; the bot process's own CPU time during the admin's work is printed beside the wall times.

With --database the city is written into a fresh database created on that server (dropped at the
end). The city is generated once per invocation; each run is one export and three charts.
The machine is shared (2 cores, the database server on it too): the load average is printed
before and after; figures taken at a load above ~2 say more about the neighbours than the bot.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import math
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.stats import EXAMS, bench_catalog  # noqa: E402  (the same city and exams as stats.py)
from bot.app.messages import Incoming, Reply  # noqa: E402
from bot.bootstrap import App, build, settle_heap  # noqa: E402
from bot.clock import SystemClock  # noqa: E402
from bot.config import load_config  # noqa: E402
from bot.texts import tr  # noqa: E402

ADMIN = "cli:bench-admin"
DAY = 86_400
TICK = 0.005  # the ticker's sleep (s)
THINK = 1.0  # mean seconds between a user's answers
TARGET_STALL_MS = 100.0
TARGET_P99_MS = 250.0
_FAILURE_TEXTS = {tr(loc, key) for loc in ("zh", "en") for key in ("error", "bad_action")}


# --- the city ----------------------------------------------------------------------------
def units() -> list[tuple[str, str, str | None, int]]:
    """As bench/stats.py: one city, 36 departments and 12 counties under it."""
    out = [("city", "示例市", None, 0)]
    out += [(f"d{i:02d}", f"示例市第{i + 1}局", "city", i + 1) for i in range(36)]
    out += [(f"c{i:02d}", f"示例第{i + 1}县", "city", 100 + i) for i in range(12)]
    return out


def city_rows(people: int, questions: int, seed: int, now: float) -> dict[str, tuple[list[str], list[tuple]]]:
    """Table -> (columns, rows) of the generated city (the distribution of bench/stats.py)."""
    rng = random.Random(seed)
    leaves = units()[1:]
    weights = [rng.uniform(0.5, 2.0) for _ in leaves]
    assigned = rng.choices([u[0] for u in leaves], weights, k=people)
    out: dict[str, tuple[list[str], list[tuple]]] = {}
    out["units"] = (["id", "name", "parent_id", "sort"], units())
    out["roster"] = (["id", "staff_no", "name", "unit_id", "role", "active"],
                     [(i + 1, f"S{i + 1:06d}", f"示例{i + 1}", assigned[i], "公务员", 1) for i in range(people)])
    bound = [i + 1 for i in range(people) if rng.random() < 0.985]
    out["bindings"] = (["roster_id", "platform", "user_key", "bound_at"],
                       [(r, "tg", f"tg:{r}", now - 20 * DAY) for r in bound])
    day0 = int(now // DAY)
    out["study_daily"] = (["user_key", "day", "activity", "count", "points"],
                          [(f"tg:{r}", day0 - d, "practice", 12, 12) for r in bound if rng.random() < 0.97
                           for d in range(rng.randint(1, 4))])
    attempts, answers, attempt_id = [], [], 0
    for exam in EXAMS:
        for r in bound:
            if rng.random() > 0.96:
                continue
            skill = rng.random()
            for k in range(2):
                attempt_id += 1
                right = [rng.random() < 0.45 + 0.5 * skill - 0.1 * (q % 3) for q in range(questions)]
                score = round(100 * sum(right) / max(1, questions), 2)
                start = now - 5 * DAY + k * 3600
                attempts.append((attempt_id, f"tg:{r}", exam, "official", start, start + 2400, "submitted", "[]",
                                 start + 1200, score, int(score >= 60), r, assigned[r - 1], "regular"))
                answers.extend((f"tg:{r}", f"{exam}-q{q:02d}", int(ok), None, "exam", attempt_id, now)
                               for q, ok in enumerate(right))
    out["attempts"] = (["id", "user_key", "exam_id", "kind", "started_at", "deadline", "status", "paper",
                        "submitted_at", "score", "passed", "roster_id", "unit_id", "phase"], attempts)
    out["answer_log"] = (["user_key", "question_id", "correct", "elapsed_ms", "mode", "attempt_id", "at"], answers)
    snap = []
    for exam in EXAMS:
        for d in range(30):
            day = time.strftime("%Y-%m-%d", time.gmtime(now - (30 - d) * DAY))
            for unit in ["", "city", *[u[0] for u in leaves]]:
                n = 3000
                snap.append((day, exam, unit, n, int(n * min(1, 0.5 + d / 40)), int(n * min(1, 0.3 + d / 35)),
                             int(n * min(1, d / 30)), int(n * min(0.99, d / 31)), now))
    out["stats_snapshots"] = (["day", "exam_id", "unit_id", "roster", "registered", "studied", "sat", "passed",
                               "taken_at"], snap)
    return out


def write_sqlite(path: Path, rows: dict) -> None:
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA synchronous=OFF")
    with conn:
        for table, (columns, values) in rows.items():
            marks = ",".join("?" * len(columns))
            conn.executemany(f"INSERT INTO {table}({','.join(columns)}) VALUES ({marks})", values)
    conn.execute("ANALYZE")
    conn.close()


async def write_postgres(url: str, rows: dict) -> None:
    import asyncpg
    from sqlalchemy.engine import make_url

    u = make_url(url)
    conn = await asyncpg.connect(host=u.host or "127.0.0.1", port=u.port or 5432, user=u.username,
                                 password=u.password, database=u.database)
    try:
        for table, (columns, values) in rows.items():
            await conn.copy_records_to_table(table, records=values, columns=columns)
        for table in ("roster", "attempts"):
            await conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                               f"(SELECT max(id) FROM {table}))")
        await conn.execute("ANALYZE")
    finally:
        await conn.close()


async def _pg_admin(server: str, sql: str) -> None:
    import asyncpg
    from sqlalchemy.engine import make_url

    u = make_url(server)
    conn = await asyncpg.connect(host=u.host or "127.0.0.1", port=u.port or 5432, user=u.username,
                                 password=u.password, database=u.database)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


# --- the app ---------------------------------------------------------------------------------
def bench_config(folder: Path, people: int):
    return load_config(None, data_dir=str(folder),
                       admin={"super_admins": [ADMIN], "export_max_rows": max(people + 1000, 10_000)})


async def open_city(folder: Path, database: str | Path, people: int, questions: int, seed: int) -> App:
    """Create the schema, write the city into it, fold the bulk-loaded logs once; the open app."""
    config = bench_config(folder, people)
    catalog = bench_catalog(config)
    now = time.time()
    app = await build(config, clock=SystemClock(), database=database, catalog=catalog)
    await app.service.org.refresh_study(now)  # marks the (empty) logs as folded in
    await app.close()
    rows = city_rows(people, questions, seed, now)
    if isinstance(database, str) and database.startswith("postgresql"):
        await write_postgres(database, rows)
    else:
        write_sqlite(Path(database), rows)
    app = await build(config, clock=SystemClock(), database=database, catalog=catalog)
    # a bulk load leaves its answers to fold once; the running bot folds as it goes
    await app.service.org.refresh_study(now)
    await app.storage.stats.fold_item_sums()
    settle_heap()  # as `lawbot run` does after start-up
    return app


# --- the measurement -------------------------------------------------------------------------
class Ticker:
    """Sleeps TICK again and again; the lateness of each wake-up is how long the loop was busy."""

    def __init__(self) -> None:
        self.late: list[tuple[float, float]] = []  # (woke at, seconds late)
        self._task: asyncio.Task | None = None

    async def _run(self) -> None:
        while True:
            due = time.perf_counter() + TICK
            await asyncio.sleep(TICK)
            woke = time.perf_counter()
            self.late.append((woke, max(0.0, woke - due)))

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    def max_between(self, start: float, end: float) -> float:
        return max((late for at, late in self.late if start <= at <= end), default=0.0)


def _failed(replies: list[Reply]) -> bool:
    return not replies or replies[0].text in _FAILURE_TEXTS


def _next_action(replies: list[Reply]) -> str:
    """The button a practising user presses next: an answer, else 'next question', else restart."""
    actions = [c.action for r in replies for row in r.choices for c in row]
    for prefix in ("p:a:", "p:n:"):
        for action in actions:
            if action.startswith(prefix):
                return action
    return "p:r"


async def _pause(stop: asyncio.Event, seconds: float) -> None:
    """Sleep, but wake at once when the run stops."""
    try:
        await asyncio.wait_for(stop.wait(), seconds)
    except TimeoutError:
        pass


async def practise(app: App, user: str, stop: asyncio.Event, rng: random.Random,
                   samples: list[tuple[float, float]], failures: list[str]) -> None:
    action = "p:r"
    await _pause(stop, rng.uniform(0, THINK))
    while not stop.is_set():
        start = time.perf_counter()
        replies = await app.service.handle(Incoming(user=user, action=action))
        end = time.perf_counter()
        samples.append((end, end - start))
        if _failed(replies):
            failures.append(f"{user}: {replies[0].text[:60] if replies else 'no reply'}")
            action = "p:r"
        else:
            action = _next_action(replies)
        await _pause(stop, rng.expovariate(1 / THINK))


async def admin_work(app: App, people: int) -> dict:
    """/export of the first bench exam, then the three charts by their buttons (a:c, a:h, a:t)."""
    out: dict = {"phases": []}  # (name, start, end): the stall is reported per phase too
    start = time.perf_counter()
    replies = await app.service.handle(Incoming(user=ADMIN, text=f"/export {EXAMS[0]}"))
    out["export_s"] = time.perf_counter() - start
    out["phases"].append(("export", start, start + out["export_s"]))
    files = [r.attachment for r in replies if r.attachment is not None]
    if not files or not files[0].filename.endswith(".xlsx"):
        raise RuntimeError(f"export failed: {replies[0].text[:200] if replies else 'no reply'!r}")
    out["xlsx_bytes"] = len(files[0].data)
    out["xlsx"] = files[0].data  # counted after the measurement (reading it back is not the bot's work)
    charts = {}
    for verb in ("c", "h", "t"):
        start = time.perf_counter()
        replies = await app.service.handle(Incoming(user=ADMIN, action=f"a:{verb}:0:"))
        charts[verb] = time.perf_counter() - start
        out["phases"].append((f"chart {verb}", start, start + charts[verb]))
        pngs = [r.attachment for r in replies if r.attachment is not None and r.attachment.filename.endswith(".png")]
        if not pngs or not pngs[0].data.startswith(b"\x89PNG"):
            raise RuntimeError(f"chart a:{verb} failed: {replies[0].text[:200] if replies else 'no reply'!r}")
    out["charts_s"] = charts
    return out


def _people_rows(data: bytes) -> int:
    """Rows of the per-person sheet (the second), not counting the header."""
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(data), read_only=True)
    try:
        return sum(1 for _ in book.worksheets[1].iter_rows(values_only=True)) - 1
    finally:
        book.close()


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, math.ceil(q / 100 * len(ordered)) - 1))]


async def one_run(app: App, users: int, people: int, seed: int, warmup: float = 2.0) -> dict:
    rng = random.Random(seed)
    stop = asyncio.Event()
    samples: list[tuple[float, float]] = []
    failures: list[str] = []
    ticker = Ticker()
    ticker.start()
    tasks = [asyncio.create_task(practise(app, f"bench:u{seed}:{i}", stop, random.Random(rng.random()),
                                          samples, failures)) for i in range(users)]
    try:
        await asyncio.sleep(warmup)  # every user has started practising
        before = time.perf_counter()
        calm_stall = ticker.max_between(before - warmup / 2, before)
        cpu = time.process_time()
        admin = await admin_work(app, people)
        after = time.perf_counter()
        admin["bot_cpu_s"] = time.process_time() - cpu  # this process: the users' turns + its share of the admin's
    finally:
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)
        await ticker.stop()
    during = [s for at, s in samples if before <= at <= after]
    calm = [s for at, s in samples if before - warmup / 2 <= at < before]  # the same users, no admin yet
    admin["people_rows"] = _people_rows(admin.pop("xlsx"))
    admin["phase_stall_ms"] = {name: round(1000 * ticker.max_between(a, b)) for name, a, b in admin.pop("phases")}
    if admin["people_rows"] != people:
        raise RuntimeError(f"the workbook lists {admin['people_rows']} people, not {people}")
    return {"stall_ms": 1000 * ticker.max_between(before, after), "calm_stall_ms": 1000 * calm_stall,
            "p50_ms": 1000 * _pct(during, 50), "p99_ms": 1000 * _pct(during, 99), "answers": len(during),
            "calm_p50_ms": 1000 * _pct(calm, 50), "calm_p99_ms": 1000 * _pct(calm, 99),
            "failures": len(failures), "failure_examples": failures[:3], **admin}


async def run(database: str | Path, folder: Path, people: int, users: int, runs: int, questions: int,
              seed: int, warmup: float = 4.0) -> list[dict]:
    start = time.perf_counter()
    app = await open_city(folder, database, people, questions, seed)
    print(f"city of {people} people written and folded in {time.perf_counter() - start:.1f} s", flush=True)
    results = []
    try:
        for k in range(runs):
            result = await one_run(app, users, people, seed + k, warmup)
            result["load"] = os.getloadavg()[0]
            results.append(result)
            print(f"run {k + 1}: max stall {result['stall_ms']:.0f} ms (before the admin: "
                  f"{result['calm_stall_ms']:.0f} ms), users p50 {result['p50_ms']:.1f} ms p99 "
                  f"{result['p99_ms']:.1f} ms over {result['answers']} answers (before the admin: p50 "
                  f"{result['calm_p50_ms']:.1f} ms, p99 {result['calm_p99_ms']:.1f} ms), {result['failures']} failed; "
                  f"export {result['export_s']:.1f} s ({result['people_rows']} people, "
                  f"{result['xlsx_bytes'] / 1e6:.1f} MB), charts "
                  + ", ".join(f"{v:.2f} s" for v in result["charts_s"].values())
                  + f"; max stall per phase (ms) {result['phase_stall_ms']}; bot process CPU meanwhile "
                  f"{result['bot_cpu_s']:.1f} s; load {result['load']:.2f}", flush=True)
    finally:
        await app.close()
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=150_000)
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--questions", type=int, default=4, help="answers per generated exam paper")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--database", help="postgresql://… server: a fresh database on it (dropped after)")
    parser.add_argument("--in-thread", action="store_true",
                        help="build the files in a thread of the bot process (the path before the report process)")
    args = parser.parse_args()
    if args.in_thread:
        os.environ["LAWBOT_REPORT_PROCESS"] = "0"

    load_before = os.getloadavg()
    print(f"load average before: {load_before[0]:.2f} {load_before[1]:.2f} {load_before[2]:.2f} "
          f"({os.cpu_count()} CPUs)", flush=True)
    name = None
    with tempfile.TemporaryDirectory(prefix="lawbot-bench-stall-") as tmp:
        folder = Path(tmp)
        database: str | Path = folder / "bench.sqlite3"
        if args.database:
            from sqlalchemy.engine import make_url

            name = f"lawbot_stall_{os.getpid()}_{random.randrange(1 << 30)}"
            asyncio.run(_pg_admin(args.database, f'CREATE DATABASE "{name}"'))
            database = make_url(args.database).set(database=name).render_as_string(hide_password=False)
        try:
            results = asyncio.run(run(database, folder, args.people, args.users, args.runs, args.questions, args.seed))
        finally:
            if name:
                asyncio.run(_pg_admin(args.database, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    load_after = os.getloadavg()
    med = {k: statistics.median(r[k] for r in results)
           for k in ("stall_ms", "p50_ms", "p99_ms", "export_s", "bot_cpu_s")}
    kind = ("PostgreSQL" if args.database else "SQLite") + (", files in a thread" if args.in_thread
                                                             else ", files in the report process")
    print(f"\n{kind}, {args.people} people, {args.users} users practising, {len(results)} runs (medians): "
          f"max loop stall {med['stall_ms']:.0f} ms, users p50 {med['p50_ms']:.1f} ms, p99 {med['p99_ms']:.1f} ms, "
          f"export {med['export_s']:.1f} s, bot process CPU during the admin's work {med['bot_cpu_s']:.1f} s")
    print(f"load average after: {load_after[0]:.2f} {load_after[1]:.2f} {load_after[2]:.2f} — a shared 2-core "
          "machine: figures at a load above ~2 include the neighbours' work")
    failed = sum(r["failures"] for r in results)
    ok = med["stall_ms"] < TARGET_STALL_MS and med["p99_ms"] < TARGET_P99_MS and not failed
    print(f"targets (max stall < {TARGET_STALL_MS:.0f} ms, users p99 < {TARGET_P99_MS:.0f} ms, export completes, "
          f"no failed answers): {'met' if ok else 'NOT met'}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
