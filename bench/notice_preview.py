"""通知 preview benchmark: the per-unit audience of a broadcast on a generated city of 150,000
roster entries in 48 units (bench/stats.py's units), 98.5 % bound to a chat account that has
written to the bot, a few hundred accounts on no roster, a few blocked.

Timed (median of --runs) for a super admin (the whole city) and a unit admin (one county):
`services.notices.preview` as the console runs it (one grouped query, RosterRepository.reach_by_unit)
and the earlier way, through the roster one person at a time (the audience list, then each
registered person's accounts), which the preview still uses for directories other than the
organisation's. Both must give the same counts.

Then `services.notices.schedule` the same way: the organisation's audience queued by one
INSERT … SELECT (CampaignRepository.enqueue_audience), against the audience listed person by person
and queued in batches of 400 rows (OutboxRepository.enqueue_many), which scheduling did before and
still does for other directories. Both must queue the same accounts; scheduling again with the same
key (a double click) must queue nothing. Wall time and process CPU time (SQLite runs in the
process, so CPU time is the part the load average does not distort); each run's outbox rows are
deleted before the next.

    python bench/notice_preview.py                    # 150,000 people, 3 runs
    python bench/notice_preview.py --people 20000 --runs 5
    python bench/notice_preview.py --only schedule     # scheduling only
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
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.stats import NOW, _units
from bot.bootstrap import build, load_checked_catalog
from bot.clock import ManualClock
from bot.config import load_config
from bot.services import notices
from bot.services.org import AdminRole


def generate(path: Path, people: int, seed: int) -> None:
    rng = random.Random(seed)
    units = _units()
    leaves = units[1:]
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA synchronous=OFF")
    with conn:
        conn.executemany("INSERT INTO units(id, name, parent_id, sort) VALUES (?,?,?,?)",
                         [(u.id, u.name, u.parent, u.sort) for u in units])
        assigned = rng.choices([u.id for u in leaves], [rng.uniform(0.5, 2.0) for _ in leaves], k=people)
        conn.executemany("INSERT INTO roster(id, staff_no, name, unit_id, role, active) VALUES (?,?,?,?,?,1)",
                         ((i + 1, f"S{i + 1:06d}", f"示例{i + 1}", assigned[i], "公务员") for i in range(people)))
        bound = [i + 1 for i in range(people) if rng.random() < 0.985]
        conn.executemany("INSERT INTO bindings(roster_id, platform, user_key, bound_at) VALUES (?,?,?,?)",
                         ((r, "tg", f"tg:{r}", NOW) for r in bound))
        keys = [f"tg:{r}" for r in bound] + [f"wx:guest{i}" for i in range(300)]  # residents on no roster
        conn.executemany("INSERT INTO users(key, created_at, blocked) VALUES (?,?,?)",
                         ((k, NOW, int(rng.random() < 0.01)) for k in keys))
    conn.execute("ANALYZE")
    conn.close()


class PersonByPerson:
    """The organisation's directory without reach_by_unit: preview walks the roster person by person."""

    def __init__(self, inner):
        self.inner = inner

    async def audience(self, role):
        return await self.inner.audience(role)


def _queued(path: Path, campaign_id: int) -> set[str]:
    conn = sqlite3.connect(path)
    try:
        return {r[0] for r in conn.execute("SELECT user_key FROM outbox WHERE campaign_id = ?", (campaign_id,))}
    finally:
        conn.close()


def _drop_rows(path: Path) -> None:
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("DELETE FROM outbox")
    conn.close()


async def bench_schedule(deps, path: Path, directory, label: str, sender, runs: int) -> None:
    """Time notices.schedule both ways; check they queue the same accounts and a repeat queues none."""
    queued: dict[str, set[str]] = {}
    for way, admins in (("INSERT … SELECT", directory), ("person by person", PersonByPerson(directory))):
        wall, cpu = [], []
        for run in range(runs):
            key = f"bench:{label}:{way}:{run}"
            began, began_cpu = time.perf_counter(), time.process_time()
            done = await notices.schedule(deps, admins, sender, "基准通知", NOW, key=key)
            wall.append(time.perf_counter() - began)
            cpu.append(time.process_time() - began_cpu)
            again = await notices.schedule(deps, admins, sender, "基准通知", NOW, key=key)  # a double click
            assert again.campaign_id == done.campaign_id and again.queued == done.queued, (label, way)
            queued[way] = _queued(path, done.campaign_id)
            assert len(queued[way]) == done.queued, (label, way)
            _drop_rows(path)
        print(f"schedule {label:<26} {way:<17} median {statistics.median(wall):7.3f} s wall, "
              f"{statistics.median(cpu):7.3f} s CPU  (min {min(wall):.3f}, max {max(wall):.3f}; "
              f"{done.queued} queued)  load {os.getloadavg()[0]:.1f}", flush=True)
    assert queued["INSERT … SELECT"] == queued["person by person"], label


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=150_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--only", choices=("preview", "schedule"), help="time only the preview or the scheduling")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="lawbot-bench-notices-"))
    path = folder / "bench.sqlite3"
    config = load_config(None, data_dir=str(folder), admin={"super_admins": ["cli:bench"]})
    catalog = load_checked_catalog(config.content_root)
    app = await build(config, clock=ManualClock(NOW), database=path, catalog=catalog)  # creates the schema
    await app.close()
    start = time.perf_counter()
    generate(path, args.people, args.seed)
    print(f"generated {args.people} people in {time.perf_counter() - start:.1f} s", flush=True)
    app = await build(config, clock=ManualClock(NOW), database=path, catalog=catalog)
    deps = app.service.deps
    directory = notices.directory(deps)
    try:
        for label, role in (("super admin (city)", AdminRole("cli:bench", None)),
                            ("unit admin (county c03)", AdminRole("cli:bench", "c03"))):
            if args.only == "schedule":
                break
            sender = notices.Sender("cli:bench", role)
            found = {}
            for way, admins in (("grouped query", directory), ("person by person", PersonByPerson(directory))):
                seconds = []
                for _ in range(args.runs):
                    began = time.perf_counter()
                    found[way] = await notices.preview(deps, admins, sender, "基准通知")
                    seconds.append(time.perf_counter() - began)
                print(f"{label:<26} {way:<17} median {statistics.median(seconds):7.3f} s  "
                      f"(min {min(seconds):.3f}, max {max(seconds):.3f}; {found[way].total} reached, "
                      f"{len(found[way].per_unit)} units)  load {os.getloadavg()[0]:.1f}", flush=True)
            assert found["grouped query"].per_unit == found["person by person"].per_unit, label
            assert found["grouped query"].total == found["person by person"].total, label
        for label, role in (("super admin (city)", AdminRole("cli:bench", None)),
                            ("unit admin (county c03)", AdminRole("cli:bench", "c03"))):
            if args.only == "preview":
                break
            await bench_schedule(deps, path, directory, label, notices.Sender("cli:bench", role), args.runs)
    finally:
        await app.close()
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
