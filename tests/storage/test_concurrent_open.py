"""Several processes opening one new SQLite file at once (the workers of `lawbot run --workers N`
start together) all get an upgraded database: the schema upgrade runs once, the others wait."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
OPEN = """
import asyncio, sys, time
from pathlib import Path
from bot.storage.sql.store import open_store
go = Path(sys.argv[2])
Path(sys.argv[3]).touch()
while not go.exists():
    time.sleep(0.005)
async def main():
    store = await open_store(sys.argv[1])
    await store.close()
asyncio.run(main())
"""


def test_processes_that_open_a_new_file_together_all_succeed(tmp_path):
    db, go = tmp_path / "data" / "lawbot.sqlite3", tmp_path / "go"
    ready = [tmp_path / f"ready{n}" for n in range(4)]
    procs = [subprocess.Popen([sys.executable, "-c", OPEN, str(db), str(go), str(r)], cwd=REPO,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) for r in ready]
    deadline = time.monotonic() + 120
    while not all(r.exists() for r in ready) and time.monotonic() < deadline:
        time.sleep(0.05)  # every process has imported: now they race
    go.touch()
    results = [(p.wait(120), p.stdout.read()) for p in procs]
    assert all(code == 0 for code, _ in results), "\n".join(out[-1500:] for _, out in results)
