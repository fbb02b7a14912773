"""A sender process for the crash tests and bench/broadcast.py: opens the database, drains the
`tg` outbox through the real TelegramSender (python-telegram-bot against a loopback fake Bot API)
until nothing is pending or in flight, prints a JSON summary and exits. Kill it with SIGKILL
half-way and start it again: the second run resumes from the outbox, and claims the killed run's
in-flight rows again once their lease (--lease seconds) has run out.

    python -m tests.support.outbox_worker --db X.sqlite3 --base-url http://127.0.0.1:PORT/bot --rate 1000
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time

from telegram import Bot

from bot.channels.telegram.adapter import TelegramSender
from bot.channels.telegram.aiohttp_request import AiohttpRequest
from bot.clock import SystemClock
from bot.scheduler.outbox_sender import OutboxSender, SenderSettings
from bot.storage.sql.store import open_store
from tests.support.fake_bot_api import TOKEN


async def run(db: str, base_url: str, rate: float, per_chat: float, batch: int, backoff: float,
              max_tries: int, pool: int, lease: float) -> dict:
    storage = await open_store(db)
    request = AiohttpRequest(connection_pool_size=pool, read_timeout=30, pool_timeout=30)
    bot = Bot(TOKEN, base_url=base_url, request=request)
    settings = SenderSettings(global_rate=rate, per_chat_rate=per_chat, batch=batch, backoff_base=backoff,
                              backoff_max=max(backoff, 5.0), max_tries=max_tries, concurrency=pool,
                              idle_poll=0.05, lease_seconds=lease)
    sender = OutboxSender(storage, "tg", TelegramSender(bot), SystemClock(), settings)
    await bot.initialize()
    started = time.monotonic()
    cpu_started = time.process_time()
    try:
        waiting = await sender.start()
        print(json.dumps({"event": "started", "reclaimable": waiting}), flush=True)
        while True:
            handled = await sender.pump()
            if handled == 0:
                totals = await storage.outbox.outbox_totals("tg")
                if totals["pending"] == 0 and totals["inflight"] == 0:
                    break
                await asyncio.sleep(0.05)  # rows waiting for a retry time
    finally:
        await bot.shutdown()
        await storage.close()
    stats = sender.stats
    return {"event": "done", "released": stats.reclaimed, "sent": stats.sent, "failed": stats.failed,
            "throttled": stats.throttled, "retried": stats.retried, "deferred": stats.deferred,
            "seconds": time.monotonic() - started, "batch": settings.batch_size,
            "cpu_seconds": time.process_time() - cpu_started}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True)
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--rate", type=float, default=30.0)
    parser.add_argument("--per-chat", type=float, default=1.0)
    parser.add_argument("--batch", type=int, default=0)
    parser.add_argument("--backoff", type=float, default=0.05)
    parser.add_argument("--max-tries", type=int, default=8)
    parser.add_argument("--pool", type=int, default=128)
    parser.add_argument("--lease", type=float, default=2.0)
    args = parser.parse_args()
    summary = asyncio.run(run(args.db, args.base_url, args.rate, args.per_chat, args.batch, args.backoff,
                              args.max_tries, args.pool, args.lease))
    print(json.dumps(summary), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
