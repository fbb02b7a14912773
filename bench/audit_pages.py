"""操作日志 paging benchmark: a generated audit log of --entries entries over 503 units (a city,
two bureaus of 250 sub-units each, actions spread over them, a few organisation-wide), read by a
unit admin of one bureau (251 units in scope) and by a super admin.

Timed (median of --runs; wall and process CPU time, SQLite runs in the process so CPU time is the
part the load average does not distort): `services.audit.entries` for the first page, a deep page
and the last page, reached by offset (page=N) and by cursor (the 下一页 link's `after`, the »
link's oldest-first read). Cursor and offset pages must hold the same entries.

    python bench/audit_pages.py                         # 400,000 entries, 5 runs
    python bench/audit_pages.py --entries 100000 --runs 3
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.app.clock import ManualClock
from bot.bootstrap import build, load_checked_catalog
from bot.config import load_config
from bot.services import audit
from bot.services.rights import actor_for

NOW = 1_768_003_200.0  # 2026-01-10T00:00Z
SIZE = 50
ACTIONS = ("roster.move", "roster.unbind", "roster.code", "exam.extend", "bank.edit", "notice.schedule")


def generate(path: Path, entries: int, seed: int) -> None:
    rng = random.Random(seed)
    units = [("city", "示例市", None, 0), ("ba", "甲局", "city", 1), ("bb", "乙局", "city", 2)]
    units += [(f"ba{i:03d}", f"甲局{i + 1}科", "ba", i) for i in range(250)]
    units += [(f"bb{i:03d}", f"乙局{i + 1}科", "bb", i) for i in range(250)]
    ids = [u[0] for u in units]
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA synchronous=OFF")
    with conn:
        conn.executemany("INSERT INTO units(id, name, parent_id, sort) VALUES (?,?,?,?)", units)
        conn.execute("INSERT INTO admins(user_key, unit_id, granted_by, granted_at) VALUES ('cli:unit', 'ba', "
                     "'cli:root', ?)", (NOW,))
        at = NOW - 365 * 86_400
        rows = []
        for i in range(entries):
            at += rng.expovariate(entries / (365 * 86_400))
            unit = None if rng.random() < 0.02 else rng.choice(ids)
            rows.append((at, f"cli:admin{i % 40}", rng.choice(ACTIONS), f"person:S{i:06d}", unit,
                         '{"unit":"x"}', '{"unit":"y"}'))
        conn.executemany('INSERT INTO audit_log(at, actor, action, target, unit_id, "before", "after") '
                         "VALUES (?,?,?,?,?,?,?)", rows)
    conn.execute("ANALYZE")
    conn.close()


async def timed(runs: int, make):
    wall, cpu, result = [], [], None
    for _ in range(runs):
        began, began_cpu = time.perf_counter(), time.process_time()
        result = await make()
        wall.append(time.perf_counter() - began)
        cpu.append(time.process_time() - began_cpu)
    return statistics.median(wall), statistics.median(cpu), result


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=400_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="lawbot-bench-audit-"))
    path = folder / "bench.sqlite3"
    config = load_config(None, data_dir=str(folder), admin={"super_admins": ["cli:root"]})
    catalog = load_checked_catalog(config.content_root)
    app = await build(config, clock=ManualClock(NOW), database=path, catalog=catalog)  # creates the schema
    await app.close()
    start = time.perf_counter()
    generate(path, args.entries, args.seed)
    print(f"generated {args.entries} entries in {time.perf_counter() - start:.1f} s", flush=True)
    app = await build(config, clock=ManualClock(NOW), database=path, catalog=catalog)
    deps = app.service.deps
    try:
        for label, user in (("unit admin (251 units)", "cli:unit"), ("super admin", "cli:root")):
            actor = await actor_for(deps, user)
            first = await audit.entries(deps, actor, limit=SIZE)
            pages = max(1, -(-first.total // SIZE))
            deep = max(1, pages * 4 // 5)
            # the cursor of page `deep`: the last entry of page deep - 1
            before = await audit.entries(deps, actor, offset=(deep - 2) * SIZE, limit=SIZE)
            cursor = audit.cursor_of(before.entries[-1])
            print(f"{label}: {first.total} entries, {pages} pages; load {os.getloadavg()[0]:.1f}", flush=True)
            cases = [("page 1", {}), (f"page {deep} by offset", {"offset": (deep - 1) * SIZE}),
                     (f"page {deep} by cursor", {"after": cursor}),
                     (f"page {pages} by offset", {"offset": (pages - 1) * SIZE}),
                     (f"page {pages} (oldest)", {"last": True})]
            found = {}
            for name, kwargs in cases:
                wall, cpu, page = await timed(args.runs, partial(audit.entries, deps, actor, limit=SIZE, **kwargs))
                found[name] = [e.id for e in page.entries]
                print(f"  {name:<22} median {wall * 1000:8.1f} ms wall {cpu * 1000:8.1f} ms CPU  "
                      f"load {os.getloadavg()[0]:.1f}", flush=True)
            assert found[f"page {deep} by offset"] == found[f"page {deep} by cursor"], label
            assert found[f"page {pages} by offset"] == found[f"page {pages} (oldest)"], label
    finally:
        await app.close()
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
