"""Broadcast benchmark: one campaign to N recipients through the real outbox sender and the real
TelegramSender (python-telegram-bot) against the loopback fake Bot API that enforces a rate cap
(429 + retry_after over it) and Telegram's per-chat limit.

Three processes: the fake Bot API, the sender (tests/support/outbox_worker.py), and this driver,
which seeds a fresh SQLite database, starts them, reads the fake's counters and checks the outbox.

For each scenario it prints the achieved messages/s (delivered / time from first to last
delivery, measured at the fake server) as a fraction of the cap, messages lost (recipients that
got nothing), and messages duplicated (deliveries beyond one per recipient). The "kill" variant
SIGKILLs the sender half-way through and starts it again; its duplicates are bounded by one
claimed batch (the in-flight window), which it prints beside them.

    python bench/broadcast.py                # 10,000 at 1,000/s and 600 at 30/s; clean + kill; 3 runs
    python bench/broadcast.py --quick        # 2,000 at 1,000/s and 120 at 30/s, 1 run
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from sqlalchemy import insert  # noqa: E402

from bot.storage.ports import OutboxRow  # noqa: E402
from bot.storage.sql.store import open_store  # noqa: E402
from bot.storage.tables import users  # noqa: E402

TARGET_FRACTION = 0.95
PY = sys.executable


async def seed(db: Path, recipients: int) -> int:
    storage = await open_store(db)
    now = time.time()
    try:
        async with storage.atomic():
            await storage.db.run_many(insert(users), [{"key": f"tg:{10_000 + i}", "created_at": now}
                                                      for i in range(recipients)])
        campaign, _ = await storage.campaigns.create_campaign("bench", "broadcast", "bench", now, {"text": "x"})
        payload = {"text": "【通知】本周学法考试将于周五截止，请尚未参加的同志抓紧时间。", "choices": [[["📝 去考试", "x:l"]]]}
        await storage.outbox.enqueue_many(campaign, [OutboxRow("tg", f"tg:{10_000 + i}", payload, f"bench:{i}")
                                              for i in range(recipients)], now)
        return campaign
    finally:
        await storage.close()


def start_fake(cap: float) -> tuple[subprocess.Popen, int]:
    proc = subprocess.Popen([PY, "-m", "tests.support.fake_bot_api_limits", "--cap", str(cap), "--per-chat", "1"],
                            cwd=REPO, stdout=subprocess.PIPE, text=True)
    port = int(proc.stdout.readline())
    return proc, port


def stats(port: int) -> dict:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/stats", timeout=10) as response:
        return json.loads(response.read())


def worker(db: Path, port: int, rate: float) -> subprocess.Popen:
    return subprocess.Popen([PY, "-m", "tests.support.outbox_worker", "--db", str(db), "--base-url",
                             f"http://127.0.0.1:{port}/bot", "--rate", str(rate), "--per-chat", "1"],
                            cwd=REPO, stdout=subprocess.PIPE, text=True)


def outbox_state(db: Path) -> dict:
    con = sqlite3.connect(db)
    try:
        rows = dict(con.execute("SELECT status, COUNT(*) FROM outbox GROUP BY status").fetchall())
    finally:
        con.close()
    return rows


def run_once(recipients: int, cap: float, kill: bool) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.sqlite3"
        asyncio.run(seed(db, recipients))
        fake, port = start_fake(cap)
        released = 0
        batch = None
        cpu = 0.0
        try:
            proc = worker(db, port, cap)
            if kill:
                while stats(port)["stats"].get("delivered", 0) < recipients // 2:
                    if proc.poll() is not None:
                        raise RuntimeError("the sender finished before it could be killed")
                    time.sleep(0.01)
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait()
                proc = worker(db, port, cap)
            out, _ = proc.communicate(timeout=3600)
            for line in out.splitlines():
                event = json.loads(line)
                if event["event"] == "done":  # rows claimed again after the killed run's lease
                    released = event["released"]
                    batch = event["batch"]
                    cpu = event["cpu_seconds"]
            counters = stats(port)
        finally:
            fake.kill()
            fake.wait()
        state = outbox_state(db)
    delivered = counters["stats"].get("delivered", 0)
    span = (counters["last_at"] - counters["first_at"]) if delivered > 1 else 0.0
    rate = (delivered - 1) / span if span > 0 else 0.0
    return {"recipients": recipients, "cap": cap, "kill": kill, "rate": rate, "fraction": rate / cap,
            "lost": recipients - counters["distinct"], "duplicated": counters["duplicates"],
            "released_on_restart": released, "batch": batch, "outbox": state,
            "sender_cpu_ms_per_msg": 1000.0 * cpu / max(1, delivered),
            "429": counters["stats"].get("429", 0) + counters["stats"].get("429_chat", 0)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", action="store_true", help="print every run as JSON too")
    args = parser.parse_args()
    runs = 1 if args.quick else args.runs
    scenarios = [(2000, 1000.0), (120, 30.0)] if args.quick else [(10_000, 1000.0), (600, 30.0)]
    print(f"python {platform.python_version()}, {os.cpu_count()} CPUs ({platform.machine()}); "
          f"{runs} run(s) per scenario; medians shown")
    print("NOTE: fake API, sender and driver share this machine's cores; on a 2-core box the fake "
          "server competes with the sender for CPU.")
    ok = True
    for recipients, cap in scenarios:
        for kill in (False, True):
            results = [run_once(recipients, cap, kill) for _ in range(runs)]
            if args.json:
                for r in results:
                    print(json.dumps(r))
            fraction = statistics.median(r["fraction"] for r in results)
            lost = max(r["lost"] for r in results)
            dup = statistics.median(r["duplicated"] for r in results)
            dup_max = max(r["duplicated"] for r in results)
            window = max((r["batch"] or 0) for r in results)
            released = statistics.median(r["released_on_restart"] for r in results)
            label = f"{recipients:>6} @ {cap:>6.0f}/s {'kill+restart' if kill else 'clean':<12}"
            line = (f"{label} rate {statistics.median(r['rate'] for r in results):8.1f}/s = {fraction:6.1%} of cap  "
                    f"lost {lost}  duplicated {dup:g} (max {dup_max})  429s {statistics.median(r['429'] for r in results):g}")
            if not kill:
                cpu = statistics.median(r["sender_cpu_ms_per_msg"] for r in results)
                line += f"  sender CPU {cpu:.2f} ms/msg (one core's ceiling {1000 / cpu:,.0f}/s)"
            if kill:
                line += f"  in-flight released {released:g}, batch {window}"
            print(line)
            unfinished = any(r["outbox"].get("pending") or r["outbox"].get("inflight") for r in results)
            if lost or unfinished or (not kill and dup_max) or (kill and dup_max > window):
                ok = False
            if not kill and fraction < TARGET_FRACTION:
                ok = False
    print("targets (>= 95% of cap clean, 0 lost, 0 duplicated clean, kill duplicates <= one batch):",
          "MET" if ok else "NOT MET")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
