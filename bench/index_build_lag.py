"""How long a bot's event loop stalls while its search index is built cold.

    python bench/index_build_lag.py [--in-thread] [--busy N]

One process loads the checked catalog, then prepares the index on an empty temporary cache folder
as a bot does at start-up (bot.search.lookup.start_preparing: built by a child process,
bot.search.builder), while its event loop wakes every 10 ms. Printed: the index's time to ready,
the loop's lag (p50, p99, max), garbage-collection pauses over 50 ms on this process's threads,
its CPU time and RSS, and the load average. --in-thread builds on a thread of this process
instead (the way before: its full collections and the interpreter lock stall the loop); --busy N
runs N busy loops beside it (a loaded machine).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import Future
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _rss_mb() -> int:
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return 0
    return int(status.split("VmRSS:")[1].split()[0]) // 1024


def _gc_pauses() -> list[tuple[float, str]]:
    """Collections over 50 ms, (seconds, thread name), recorded from now on."""
    pauses: list[tuple[float, str]] = []
    started: dict[int, float] = {}

    def note(phase: str, _info: dict) -> None:
        me = threading.get_ident()
        if phase == "start":
            started[me] = time.monotonic()
        elif me in started:
            took = time.monotonic() - started.pop(me)
            if took > 0.05:
                pauses.append((took, threading.current_thread().name))

    gc.callbacks.append(note)
    return pauses


def _in_thread(catalog, folder: Path) -> Future:
    from bot.search.cache import cached_lookup

    future: Future = Future()

    def run() -> None:
        try:
            future.set_result(cached_lookup(catalog, folder, apart=False)[1])
        except BaseException as exc:  # noqa: BLE001 - reported by the caller
            future.set_exception(exc)

    threading.Thread(target=run, name="search-index", daemon=True).start()
    return future


async def measure(in_thread: bool) -> str:
    sys.path.insert(0, str(REPO))
    from bot.bootstrap import load_checked_catalog
    from bot.search.lookup import start_preparing

    catalog = load_checked_catalog(REPO)
    pauses = _gc_pauses()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "cache"
        began, cpu = time.monotonic(), time.process_time()
        preparing = _in_thread(catalog, folder) if in_thread else start_preparing(catalog, folder)
        lags = []
        while not preparing.done():
            before = time.monotonic()
            await asyncio.sleep(0.01)
            lags.append(time.monotonic() - before - 0.01)
        took = time.monotonic() - began
        how = preparing.result()
    lags.sort()

    def at(share: float) -> float:
        return lags[min(len(lags) - 1, int(len(lags) * share))] * 1000

    longest = max(pauses, default=(0.0, "-"))
    return (f"{'in-thread' if in_thread else 'child process'}: index {how} in {took:.1f} s; loop lag p50 {at(0.5):.1f} "
            f"p99 {at(0.99):.0f} max {lags[-1] * 1000:.0f} ms over {len(lags)} wakes; GC pauses > 50 ms in this "
            f"process: {len(pauses)}, {sum(p for p, _ in pauses):.2f} s, longest {longest[0]:.2f} s ({longest[1]}); "
            f"CPU {time.process_time() - cpu:.1f} s, RSS {_rss_mb()} MB; load average {os.getloadavg()[0]:.1f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--in-thread", action="store_true", help="build on a thread of this process (the old way)")
    parser.add_argument("--busy", type=int, default=0, help="busy loops run beside it")
    args = parser.parse_args()
    loops = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(args.busy)]
    try:
        print(asyncio.run(measure(args.in_thread)))
    finally:
        for loop in loops:
            loop.kill()
            loop.wait()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
