"""Admin statistics benchmark: a generated city of 150,000 roster entries in 48 units (36
municipal departments and 12 counties under one city), or with --province a province of
1,000,000 in 16 such cities (785 units), 3 official exams, 2 attempts each per person who sat,
study credit, 学时 and 30 days of snapshots, written straight into SQLite in bulk (the statistics
rollups rebuilt once after the load, as after `lawbot db copy`).

Timed (each --runs times, median printed as wall time and as CPU time of this process, which
the machine's load distorts less): the full per-unit report and a drill-down into one county,
cold (nothing kept from an earlier call: the first report after a start or a data change), the
Excel export (summary, every person, item analysis; with the peak memory it added), written to a
file while the people are read from the database a chunk at a time as the report process does
(bot.services.stats.write_workbook; --at-once: from every person loaded at once, the way it was
built before), and each chart (rates by unit, score histogram, rates over time), plus the
nightly snapshot.

    python bench/stats.py                  # the full city, 5 runs
    python bench/stats.py --people 20000 --runs 3
    python bench/stats.py --province --questions 1 --runs 3   # 1,000,000 people
    python bench/stats.py --reuse /tmp/lawbot-bench-stats-XXXX   # time again without regenerating
Targets on a 2-core machine (issue 15): a city's report < 300 ms, its Excel export < 8 s in
bounded memory (less than EXPORT_MEMORY_MB added: the export's memory does not grow with the
organisation), each chart < 2 s; a province's report < 2 s (its export's time and memory are
reported).
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import dataclasses
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.bootstrap import build, load_checked_catalog
from bot.clock import ManualClock
from bot.config import load_config
from bot.domain.units import Unit
from bot.services import stats_files
from bot.services.stats import write_workbook
from bot.services.stats_report import Stats
from bot.storage import stats_rollup

NOW = 1_768_003_200.0  # 2026-01-10T00:00Z
DAY = 86_400
EXAMS = ("bench-a", "bench-b", "bench-c")


CITIES = 16  # in a province
EXPORT_MEMORY_MB = 256  # a city's export adds less (half the report process's RECYCLE_RSS)


def _units(province: bool = False) -> list[Unit]:
    """The city (root "city": 36 departments, 12 counties), or a province (root "prov") of 16
    such cities; unit ids of the first city are those of the city alone."""
    if not province:
        return _city("city", "示例市", None, 0, "")
    units = [Unit("prov", "示例省", None, 0)]
    for k in range(CITIES):
        units += _city(f"city{k:02d}", f"示例{k + 1}市", "prov", k + 1, f"{k:02d}" if k else "")
    return units


def _city(uid: str, name: str, parent: str | None, sort: int, tag: str) -> list[Unit]:
    units = [Unit(uid, name, parent, sort)]
    units += [Unit(f"d{tag}{i:02d}", f"{name}第{i + 1}局", uid, i + 1) for i in range(36)]
    units += [Unit(f"c{tag}{i:02d}", f"{name}第{i + 1}县", uid, 100 + i) for i in range(12)]
    return units


def generate(path: Path, people: int, questions: int, seed: int, province: bool = False) -> None:
    rng = random.Random(seed)
    everything = _units(province)
    parents = {u.parent for u in everything}
    units = [u for u in everything if u.id not in parents]  # people sit in departments and counties
    weights = [rng.uniform(0.5, 2.0) for _ in units]
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA synchronous=OFF")
    for statement in stats_rollup.drop_statements("sqlite"):  # a bulk load: rebuilt once at the end
        conn.execute(statement)
    with conn:
        conn.executemany("INSERT INTO units(id, name, parent_id, sort) VALUES (?,?,?,?)",
                         [(u.id, u.name, u.parent, u.sort) for u in everything])
        assigned = rng.choices([u.id for u in units], weights, k=people)
        conn.executemany("INSERT INTO roster(id, staff_no, name, unit_id, role, active) VALUES (?,?,?,?,?,1)",
                         ((i + 1, f"S{i + 1:06d}", f"示例{i + 1}", assigned[i], "公务员") for i in range(people)))
        bound = [i + 1 for i in range(people) if rng.random() < 0.985]
        conn.executemany("INSERT INTO bindings(roster_id, platform, user_key, bound_at) VALUES (?,?,?,?)",
                         ((r, "tg", f"tg:{r}", NOW - 20 * DAY) for r in bound))
        day0 = int(NOW // DAY)
        conn.executemany(
            "INSERT INTO study_daily(user_key, day, activity, count, points) VALUES (?,?,?,?,?)",
            ((f"tg:{r}", day0 - d, "practice", 12, 12) for r in bound if rng.random() < 0.97
             for d in range(rng.randint(1, 4))))
        conn.executemany(
            "INSERT INTO study_time(user_key, day, seconds) VALUES (?,?,?)",
            ((f"tg:{r}", day0 - d, rng.uniform(60, 1800)) for r in bound if rng.random() < 0.9
             for d in range(rng.randint(1, 3))))
    attempt_id = 0
    with conn:
        for exam in EXAMS:
            attempts, answers = [], []
            for r in bound:
                if rng.random() > 0.96:
                    continue
                skill = rng.random()
                for k in range(2):
                    attempt_id += 1
                    right = [rng.random() < 0.45 + 0.5 * skill - 0.1 * (q % 3) for q in range(questions)]
                    score = round(100 * sum(right) / questions, 2)
                    attempts.append((attempt_id, f"tg:{r}", exam, "official", NOW - 5 * DAY + k * 3600,
                                     NOW - 5 * DAY + k * 3600 + 2400, "submitted", "[]", NOW - 5 * DAY + k * 3600 + 1200,
                                     score, int(score >= 60), r, assigned[r - 1], "regular"))
                    answers.extend((f"tg:{r}", f"{exam}-q{q:02d}", int(ok), None, "exam", attempt_id, NOW)
                                   for q, ok in enumerate(right))
            conn.executemany("INSERT INTO attempts(id, user_key, exam_id, kind, started_at, deadline, status, paper, "
                             "submitted_at, score, passed, roster_id, unit_id, phase) "
                             "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)", attempts)
            conn.executemany("INSERT INTO answer_log(user_key, question_id, correct, elapsed_ms, mode, attempt_id, at) "
                             "VALUES (?,?,?,?,?,?,?)", answers)
        snap = []
        for exam in EXAMS:
            for d in range(30):
                day = time.strftime("%Y-%m-%d", time.gmtime(NOW - (30 - d) * DAY))
                for unit in ["", *[u.id for u in everything]]:
                    roster = 3000
                    snap.append((day, exam, unit, roster, int(roster * min(1, 0.5 + d / 40)),
                                 int(roster * min(1, 0.3 + d / 35)), int(roster * min(1, d / 30)),
                                 int(roster * min(0.99, d / 31)), NOW))
        conn.executemany("INSERT INTO stats_snapshots VALUES (?,?,?,?,?,?,?,?,?)", snap)
    with conn:
        for statement in [*stats_rollup.REBUILD, *stats_rollup.install_statements("sqlite")]:
            conn.execute(statement)
    conn.execute("ANALYZE")
    conn.close()


async def timed(label: str, runs: int, fn, results: dict, cpu: dict | None = None) -> object:
    seconds, used, value = [], [], None
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        value = await fn()
        seconds.append(time.perf_counter() - start)
        used.append(time.process_time() - start_cpu)
    results[label] = seconds
    if cpu is not None:
        cpu[label] = used
    print(f"{label:<30} median {statistics.median(seconds):7.3f} s (min {min(seconds):.3f}, max {max(seconds):.3f})"
          f"   CPU {statistics.median(used):7.3f} s   load {os.getloadavg()[0]:.1f}", flush=True)
    return value


class PeakRss:
    """The process's highest resident memory while a block runs (sampled every 10 ms), in MB."""

    def __enter__(self) -> PeakRss:
        self.start = self.peak = _rss()
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._done.wait(0.01):
            self.peak = max(self.peak, _rss())

    def __exit__(self, *exc) -> None:
        self._done.set()
        self._thread.join()
        self.peak = max(self.peak, _rss())


def _rss() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


def bench_catalog(config, root: str = "city"):
    """The shipped catalog with the three benchmark exams for the whole city (or province), as a
    copy: the loaded catalog is shared by everything in this process (tests import these scripts)."""
    catalog = copy.copy(load_checked_catalog(config.content_root))
    catalog.exams = dict(catalog.exams)
    template = catalog.exams["xuefa2026-shili"]
    spec = dataclasses.replace(template.official, units=(root,), study_from=None)
    for exam in EXAMS:
        catalog.exams[exam] = dataclasses.replace(template, id=exam, title={"zh": f"基准考试 {exam}"}, official=spec)
    return catalog


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=None, help="default 150,000 (a province: 1,000,000)")
    parser.add_argument("--province", action="store_true", help="a province of 16 cities instead of one city")
    parser.add_argument("--questions", type=int, default=10, help="questions per paper (answer_log rows)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--reuse", help="a folder from an earlier run: skip generating the city")
    parser.add_argument("--at-once", action="store_true",
                        help="export from every person loaded at once (the way before streaming), to compare")
    args = parser.parse_args()
    people = args.people or (1_000_000 if args.province else 150_000)
    root = "prov" if args.province else "city"
    tops = CITIES if args.province else 48

    folder = Path(args.reuse) if args.reuse else Path(tempfile.mkdtemp(prefix="lawbot-bench-stats-"))
    path = folder / "bench.sqlite3"
    config = load_config(None, data_dir=str(folder), admin={"super_admins": ["cli:bench"]})
    catalog = bench_catalog(config, root)
    clock = ManualClock(NOW)
    if not args.reuse:
        app = await build(config, clock=clock, database=path, catalog=catalog)  # creates the schema
        await app.service.org.refresh_study(NOW)  # marks the (empty) logs as folded in
        await app.close()
    start = time.perf_counter()
    if not args.reuse:
        generate(path, people, args.questions, args.seed, args.province)
    rows = sqlite3.connect(path).execute("SELECT (SELECT COUNT(*) FROM roster), (SELECT COUNT(*) FROM attempts), "
                                         "(SELECT COUNT(*) FROM answer_log), (SELECT COUNT(*) FROM units)").fetchone()
    made = "reused" if args.reuse else f"generated in {time.perf_counter() - start:.1f} s:"
    print(f"{made} {rows[0]} roster entries, {rows[3]} units, {rows[1]} attempts, {rows[2]} answers "
          f"({path.stat().st_size / 1e6:.0f} MB)", flush=True)

    app = await build(config, clock=clock, database=path, catalog=catalog)
    stats = Stats(app.service.deps, app.service.org)
    results: dict[str, list[float]] = {}
    cpu: dict[str, list[float]] = {}
    try:
        start = time.perf_counter()  # a bulk load leaves 8.5M answers to fold once; the bot folds as it goes
        await app.service.org.refresh_study(NOW)
        await app.storage.stats.fold_item_sums()
        print(f"one-off fold of the bulk-loaded answers: {time.perf_counter() - start:.1f} s", flush=True)

        async def cold(unit):
            stats._cache.clear()  # no per-unit counts kept from an earlier call
            return await stats.report("bench-a", unit, NOW)

        label = f"report ({tops} units), cold"
        report = await timed(label, args.runs, lambda: cold(None), results, cpu)
        assert report.total.roster == people and len(report.rows) == tops
        await timed("drill-down (one county), cold", args.runs, lambda: cold("c03"), results, cpu)
        await timed("drill-down after a report", args.runs, lambda: stats.report("bench-a", "c03", NOW), results, cpu)

        xlsx = folder / "stats.xlsx"

        async def export():
            full = await cold(None)
            found = await stats.items("bench-a")
            if args.at_once:
                await stats.load_people(full, NOW)
                xlsx.write_bytes(stats_files.workbook(full, found, catalog, "zh"))
                return
            with xlsx.open("wb") as out:
                await write_workbook(stats, full, found, catalog, "zh", out, NOW)

        with PeakRss() as rss:
            await timed("excel export" + (" (at once)" if args.at_once else ""), args.runs, export, results, cpu)
        added = rss.peak - rss.start
        print(f"excel export peak memory {rss.peak:.0f} MB ({added:+.0f} MB over the "
              f"{rss.start:.0f} MB before), file {xlsx.stat().st_size / 1e6:.1f} MB", flush=True)

        async def chart(kind):
            full = await stats.report("bench-a", None, NOW)
            if kind == "rates":
                return stats_files.rates_chart(full, "zh")
            if kind == "hist":
                return stats_files.histogram_chart(full, "zh")
            return stats_files.trend_chart(full, await stats.trend("bench-a", full.unit_id), "zh")

        for kind in ("rates", "hist", "trend"):
            png = await timed(f"chart: {kind} (after a report)", args.runs, lambda kind=kind: chart(kind), results)
            (folder / f"{kind}.png").write_bytes(png)
        await timed("nightly snapshot (3 exams)", max(1, args.runs // 2), lambda: stats.take_snapshot(NOW), results)
    finally:
        await app.close()
    print(f"files in {folder}")
    export = next(k for k in results if k.startswith("excel export"))
    for name, figures in (("wall", results), ("CPU", cpu)):
        if args.province:
            ok = statistics.median(figures[label]) < 2
            print(f"targets by {name} time (province: report < 2 s):", "met" if ok else "NOT met",
                  f"(export {statistics.median(figures[export]):.1f} s, reported)")
            continue
        ok = (statistics.median(figures[label]) < 0.3 and statistics.median(figures[export]) < 8
              and all(statistics.median(v) < 2 for k, v in figures.items() if k.startswith("chart")))
        print(f"targets by {name} time (city: report < 0.3 s, export < 8 s, each chart < 2 s):",
              "met" if ok else "NOT met")
    if args.province:
        print(f"export memory (province): {added:+.0f} MB, reported")
    else:
        print(f"target: export memory bounded (city: < {EXPORT_MEMORY_MB} MB added):",
              "met" if added < EXPORT_MEMORY_MB else "NOT met", f"({added:+.0f} MB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
