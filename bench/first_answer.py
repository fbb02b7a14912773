"""Start-up and the first free-text answer of a freshly started bot, as `lawbot run` starts it.

    python bench/first_answer.py [--cold] [--runs 5]

Each run is a new process: the config's defaults with a temporary data folder (its SQLite file),
the content checked and loaded (bootstrap.build), the search index's preparation started in a
background thread as bot/serving.py starts it (read from <cache dir>, built there on a miss),
and at once a user types "孩子出生了要办什么" on the console channel: the answer's time includes
any wait for the index. Printed per run: build seconds, whether the index came from the cache,
and the first answer's milliseconds. --cold uses an empty cache folder for every run (the first
start after a content change).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
QUESTION = "孩子出生了要办什么"


async def one_run(data_dir: Path, cache_dir: Path) -> dict:
    sys.path.insert(0, str(REPO))
    from bot.bootstrap import build
    from bot.channels.console.adapter import ConsoleChannel
    from bot.config import load_config
    from bot.search.lookup import start_preparing

    config = load_config(None, data_dir=str(data_dir))
    start = time.perf_counter()
    app = await build(config)
    built = time.perf_counter()
    preparing = start_preparing(app.catalog, cache_dir)  # as serve does
    lines: list[str] = []
    console = ConsoleChannel(app.service, user="bench", out=lines.append)
    begin = time.perf_counter()
    replies = await console.send_line(QUESTION)  # at once: waits for the index if it is not ready
    answered = time.perf_counter()
    how = preparing.result()
    ready = answered
    await app.close()
    text = " ".join(r.text for r in replies)
    return {"build_s": built - start, "index_s": ready - built, "cache": how,  # index_s: until answered
            "first_answer_ms": (answered - begin) * 1000, "answer": text[:60]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cold", action="store_true", help="an empty cache folder for each run")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(asyncio.run(one_run(Path(args.child[0]), Path(args.child[1]))), ensure_ascii=False))
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        shared_cache = Path(tmp) / "cache"
        results = []
        for i in range(args.runs):
            data = Path(tmp) / f"data{i}"
            data.mkdir()
            cache = Path(tmp) / f"cache{i}" if args.cold else shared_cache
            out = subprocess.run([sys.executable, __file__, "--child", str(data), str(cache)], capture_output=True,
                                 text=True, cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)})
            if out.returncode:
                print(out.stderr, file=sys.stderr)
                return 1
            row = json.loads(out.stdout.strip().splitlines()[-1])
            results.append(row)
            print(f"run {i + 1}: build {row['build_s']:.2f} s, index {row['cache']}, "
                  f"first answer {row['first_answer_ms']:.1f} ms — {row['answer']}")
        warm = [r for r in results if r["cache"] == "hit"] or results
        print(f"median first answer {statistics.median(r['first_answer_ms'] for r in warm):.1f} ms over "
              f"{len(warm)} run(s) with the index {'from the cache' if warm[0]['cache'] == 'hit' else 'built'}; "
              f"load average {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
