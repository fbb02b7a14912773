"""Web console benchmark (issue 12): server time of the 总览 page and the drill-down person list
of the stats bench's generated city (150,000 roster entries in 48 units, 3 official exams), over
HTTP on a loopback port, logged in as a super admin.

The city is made by bench/stats.py's generator (`generate`), written straight into SQLite. The
console runs as `lawbot run` mounts it (bot.web.app.install on an aiohttp application); each
request is timed from the client, so the figures are the server's time plus a loopback round
trip. The first request of each page after start-up is "cold" (nothing cached: the per-unit
counts are read from the database); later requests are "warm".

    python bench/web.py                    # the full city, 7 runs per page
    python bench/web.py --people 20000 --runs 3
    python bench/web.py --reuse /tmp/lawbot-bench-web-XXXX    # time again without regenerating
Targets on a 2-core machine: < 2 s for a cold page, < 500 ms per page after the first.
Figures depend on the machine and its load: the load average is printed with them.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.bootstrap import build
from bot.clock import ManualClock
from bot.config import load_config

HERE = Path(__file__).resolve().parent
COLD_TARGET, WARM_TARGET = 2.0, 0.5


def _stats_bench():
    """bench/stats.py as a module (its generator and constants)."""
    spec = importlib.util.spec_from_file_location("bench_stats", HERE / "stats.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("bench_stats", module)
    spec.loader.exec_module(module)
    return module


def pages(exam: str) -> list[tuple[str, str]]:
    """(label, path) of the pages timed: the overview of the city and of a county, and person
    lists of the whole city with each filter, a deep page and the sorts that read every row."""
    people = f"/admin/overview/people?exam={exam}"
    return [
        ("overview: city (48 units)", f"/admin/overview?exam={exam}"),
        ("overview: one county", f"/admin/overview?exam={exam}&unit=c03"),
        ("people: city, all, page 1", f"{people}&filter=all"),
        ("people: city, 未参学", f"{people}&filter=not_studied"),
        ("people: city, 未参考", f"{people}&filter=not_sat"),
        ("people: city, 未通过", f"{people}&filter=not_passed"),
        ("people: city, page 1000", f"{people}&filter=all&page=1000&size=50"),
        ("people: city, by name", f"{people}&filter=all&sort=name"),
        ("people: city, by score ↓", f"{people}&filter=all&sort=score&order=desc"),
        ("people: city, 未通过 by score", f"{people}&filter=not_passed&sort=score&order=desc"),
        ("people: county, 未参考", f"{people}&filter=not_sat&unit=c03"),
    ]


async def prepare(folder: Path, people: int, questions: int, seed: int, reuse: bool):
    """The config, catalog (three benchmark exams for the whole city) and database file."""
    bench = _stats_bench()
    path = folder / "bench.sqlite3"
    config = load_config(None, data_dir=str(folder), admin={"super_admins": ["cli:bench"]})
    catalog = bench.bench_catalog(config)
    clock = ManualClock(bench.NOW)
    if not reuse:
        app = await build(config, clock=clock, database=path, catalog=catalog)  # creates the schema
        await app.service.org.refresh_study(bench.NOW)
        await app.close()
        start = time.perf_counter()
        bench.generate(path, people, questions, seed)
        print(f"generated in {time.perf_counter() - start:.1f} s", flush=True)
    return bench, config, catalog, clock, path


async def serve(app):
    """The console on an aiohttp application on a loopback port, as `lawbot run` mounts it."""
    from aiohttp import web

    from bot.web.app import install

    web_app = web.Application()
    install(web_app, app.service.deps)
    runner = web.AppRunner(web_app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    return runner, f"http://127.0.0.1:{port}"


async def login(deps) -> str:
    """A session cookie value for the super admin, by the one-time-link use case."""
    from bot.services import accounts

    link = await accounts.issue_link(deps, "cli:bench", base="http://127.0.0.1")
    token = link.url.split("token=", 1)[1]
    return (await accounts.log_in(deps, token, "127.0.0.1")).token


async def measure(base: str, cookie: str, exam: str, runs: int) -> dict[str, list[float]]:
    import aiohttp

    from bot.web.auth import COOKIE

    results: dict[str, list[float]] = {}
    async with aiohttp.ClientSession(headers={"Cookie": f"{COOKIE}={cookie}"}) as client:
        for label, path in pages(exam):
            seconds = []
            for _ in range(runs):
                start = time.perf_counter()
                async with client.get(base + path, allow_redirects=False) as response:
                    body = await response.read()
                seconds.append(time.perf_counter() - start)
                if response.status != 200:
                    raise SystemExit(f"{path}: HTTP {response.status}: {body[:300]!r}")
            results[label] = seconds
            warm = seconds[1:] or seconds
            print(f"{label:<32} cold {seconds[0] * 1000:7.0f} ms   warm median {statistics.median(warm) * 1000:6.0f} ms"
                  f"   (max {max(warm) * 1000:.0f})", flush=True)
    return results


async def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=150_000)
    parser.add_argument("--questions", type=int, default=10, help="questions per paper (answer_log rows)")
    parser.add_argument("--runs", type=int, default=7, help="requests per page (the first is cold)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--reuse", help="a folder from an earlier run: skip generating the city")
    parser.add_argument("--dir", help="where to generate the city (default: a new temporary folder)")
    args = parser.parse_args(argv)

    load = os.getloadavg()
    print(f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} cores "
          "(figures from a loaded or shared machine are slower than on a quiet one)", flush=True)
    folder = Path(args.reuse or args.dir or tempfile.mkdtemp(prefix="lawbot-bench-web-"))
    bench, config, catalog, clock, path = await prepare(folder, args.people, args.questions, args.seed,
                                                        bool(args.reuse))
    row = sqlite3.connect(path).execute("SELECT (SELECT COUNT(*) FROM roster), (SELECT COUNT(*) FROM units), "
                                        "(SELECT COUNT(*) FROM attempts)").fetchone()
    print(f"{row[0]} roster entries, {row[1]} units, {row[2]} attempts ({path.stat().st_size / 1e6:.0f} MB) "
          f"in {folder}", flush=True)
    app = await build(config, clock=clock, database=path, catalog=catalog)
    runner = None
    try:
        start = time.perf_counter()  # a bulk load leaves the study log to fold once; the bot folds as it goes
        await app.service.org.refresh_study(bench.NOW)
        print(f"one-off fold of the bulk-loaded study log: {time.perf_counter() - start:.1f} s", flush=True)
        runner, base = await serve(app)
        cookie = await login(app.service.deps)
        results = await measure(base, cookie, bench.EXAMS[0], max(2, args.runs))
    finally:
        if runner is not None:
            await runner.cleanup()
        await app.close()
    cold = max(v[0] for v in results.values())
    warm = max(statistics.median(v[1:]) for v in results.values())
    load = os.getloadavg()
    print(f"slowest cold page {cold * 1000:.0f} ms (target < {COLD_TARGET * 1000:.0f}), slowest warm median "
          f"{warm * 1000:.0f} ms (target < {WARM_TARGET * 1000:.0f}); load average now {load[0]:.2f}")
    ok = cold < COLD_TARGET and warm < WARM_TARGET
    print("targets:", "met" if ok else "NOT met")
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
