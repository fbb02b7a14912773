"""HTTP channels benchmark: concurrent signed WeChat callbacks (safe mode: AES-encrypted and
signed as WeChat's servers do it) and Telegram webhook posts, over loopback, against `lawbot
run`'s real server (bot.serving.serve) in a child process with a fresh SQLite file.

The load generator (aiohttp client) and the fake Telegram Bot API the bot answers through run in
this process; the bot runs in the child, so on a 2-core machine each side has about one core.
`--concurrency` workers (one user each, half WeChat, half Telegram) send back to back for
`--requests` requests in total. The reminder scheduler is off unless --scheduler: its periodic
catch-up work is not what this measures. Latency is per HTTP request (for WeChat it includes the whole
turn: the passive reply carries the answer; a Telegram webhook post is answered once the update
has been handled, its reply sent to the fake Bot API). An error is any non-200 status, a WeChat reply that does not
decrypt to an answer, or a Telegram update never answered.

    python bench/http_channels.py                  # 200 concurrent, 6000 requests, 3 runs, medians
    python bench/http_channels.py --quick          # smoke run: 20 concurrent, 200 requests, 1 run
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
if str(REPO) not in sys.path:  # runnable as `python bench/http_channels.py` from anywhere
    sys.path.insert(0, str(REPO))

TARGET_P99_MS = 500.0
SECRET = "bench-secret-token"
WX_SAYINGS = ("菜单", "练习", "我的", "考试", "/help", "复习")
TG_SAYINGS = ("/start", "/me", "/practice", "/exam", "/help")


def _config(data_dir: str, api_base: str, scheduler: bool) -> dict:
    from tests.support.fake_bot_api import TOKEN
    from tests.support.wechat_peer import AES_KEY, APP_ID
    from tests.support.wechat_peer import TOKEN as WX_TOKEN

    return {"data_dir": data_dir, "content_root": str(REPO), "log_level": "WARNING",
            "http": {"host": "127.0.0.1", "port": 8080, "shutdown_timeout": 10},
            "telegram": {"token": TOKEN, "base_url": api_base, "mode": "webhook",
                         "webhook_url": "https://bench.example.org/telegram", "secret_token": SECRET},
            "wechat": {"enabled": True, "token": WX_TOKEN, "app_id": APP_ID, "encoding_aes_key": AES_KEY},
            "scheduler": {"enabled": scheduler}}


# --- the bot, in the child process ---------------------------------------------------------
def run_child(config_json: str) -> int:
    from bot.config import Config
    from bot.serving import serve

    config = Config.model_validate(json.loads(config_json))

    def ready(running) -> None:
        print(f"PORT {running.server.port}", flush=True)

    return asyncio.run(serve(config, port=0, on_ready=ready))


# --- the load, in this process -------------------------------------------------------------
async def one_run(concurrency: int, requests: int, mix: str = "both", scheduler: bool = False) -> dict:
    import aiohttp

    from bot.clock import SystemClock
    from tests.support.fake_bot_api import FakeBotApi
    from tests.support.wechat_peer import AES_KEY, WeChatPeer

    api = FakeBotApi(record=False)
    await api.start()
    data_dir = tempfile.mkdtemp(prefix="lawbot-http-bench-")
    child = await asyncio.create_subprocess_exec(
        sys.executable, __file__, "--child", json.dumps(_config(data_dir, api.base_url, scheduler)),
        stdout=subprocess.PIPE, cwd=str(REPO), env={**os.environ, "PYTHONPATH": str(REPO)})
    line = (await asyncio.wait_for(child.stdout.readline(), 60)).decode()
    if not line.startswith("PORT "):
        raise SystemExit(f"the bot did not start: {line!r}")
    base = f"http://127.0.0.1:{int(line.split()[1])}"
    latencies: dict[str, list[float]] = {"wx": [], "tg": []}
    errors: dict[str, int] = {"wx": 0, "tg": 0}
    remaining = [requests]
    update_ids = iter(range(1, 10**9))
    sent_tg = [0]

    async def wechat_worker(session, n: int) -> None:
        peer = WeChatPeer(session, f"{base}/wechat", SystemClock(), aes_key=AES_KEY)
        user = f"oBench{n:020d}"
        i = 0
        while remaining[0] > 0:
            remaining[0] -= 1
            xml = peer.text_xml(user, WX_SAYINGS[i % len(WX_SAYINGS)])
            i += 1
            start = time.perf_counter()
            try:
                answer = await peer.post(xml)
                ok = answer.status == 200 and bool(answer.content)
            except Exception:  # noqa: BLE001 - counted
                ok = False
            latencies["wx"].append(time.perf_counter() - start)
            errors["wx"] += not ok

    async def telegram_worker(session, n: int) -> None:
        user = 900_000 + n
        i = 0
        while remaining[0] > 0:
            remaining[0] -= 1
            update = {"update_id": next(update_ids), **api.text_update(user, TG_SAYINGS[i % len(TG_SAYINGS)])}
            i += 1
            start = time.perf_counter()
            try:
                async with session.post(f"{base}/telegram", json=update,
                                        headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}) as response:
                    await response.read()
                    ok = response.status == 200
            except Exception:  # noqa: BLE001 - counted
                ok = False
            latencies["tg"].append(time.perf_counter() - start)
            errors["tg"] += not ok
            sent_tg[0] += ok

    connector = aiohttp.TCPConnector(limit=concurrency * 2)
    try:
        async with aiohttp.ClientSession(connector=connector) as session:
            # warm up: one request of each kind
            await WeChatPeer(session, f"{base}/wechat", SystemClock(), aes_key=AES_KEY).say("oWarmup", "菜单")
            started = time.perf_counter()
            kinds = {"both": (wechat_worker, telegram_worker), "wechat": (wechat_worker,),
                     "telegram": (telegram_worker,)}[mix]
            workers = [kinds[n % len(kinds)](session, n) for n in range(concurrency)]
            await asyncio.gather(*workers)
            http_elapsed = time.perf_counter() - started
            # every accepted Telegram update answered (one sendMessage each)?
            deadline = time.monotonic() + 60
            while api.counts.get("sendMessage", 0) < sent_tg[0] and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            processed_elapsed = time.perf_counter() - started
            unanswered = max(0, sent_tg[0] - api.counts.get("sendMessage", 0))
    finally:
        child.terminate()
        code = await asyncio.wait_for(child.wait(), 30)
        await api.stop()
    all_latencies = sorted(latencies["wx"] + latencies["tg"])
    total = len(all_latencies)

    def pct(values: list[float], p: float) -> float:
        values = sorted(values)
        return values[min(len(values) - 1, int(p * len(values)))] * 1000 if values else float("nan")

    return {"requests": total, "rps": total / http_elapsed,
            "p50_ms": pct(all_latencies, 0.50), "p99_ms": pct(all_latencies, 0.99),
            "wx_p99_ms": pct(latencies["wx"], 0.99), "tg_p99_ms": pct(latencies["tg"], 0.99),
            "errors": errors["wx"] + errors["tg"] + unanswered, "tg_unanswered": unanswered,
            "tg_processed_per_s": sent_tg[0] / processed_elapsed, "child_exit": code}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--concurrency", type=int, default=200)
    parser.add_argument("--requests", type=int, default=6000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--mix", choices=("both", "wechat", "telegram"), default="both",
                        help="which callbacks the workers post (default: half and half)")
    parser.add_argument("--scheduler", action="store_true",
                        help="also run the reminder scheduler in the bot (off: measure the channels alone)")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return run_child(args.child)
    if args.quick:
        args.concurrency, args.requests, args.runs = 20, 200, 1
    print(f"HTTP channels: {args.concurrency} concurrent ({args.mix}: WeChat safe mode / Telegram webhook), "
          f"{args.requests} requests per run, {args.runs} run(s); {os.cpu_count()} CPU(s), "
          f"load average {os.getloadavg()[0]:.1f} before")
    results = []
    for run in range(args.runs):
        result = asyncio.run(one_run(args.concurrency, args.requests, args.mix, args.scheduler))
        results.append(result)
        print(f"run {run + 1}: {result['rps']:.0f} req/s, p50 {result['p50_ms']:.0f} ms, p99 {result['p99_ms']:.0f} ms "
              f"(WeChat p99 {result['wx_p99_ms']:.0f} ms, Telegram p99 {result['tg_p99_ms']:.0f} ms), "
              f"Telegram updates answered {result['tg_processed_per_s']:.0f}/s, errors {result['errors']}, "
              f"bot exit code {result['child_exit']}")
    med = {k: statistics.median(r[k] for r in results) for k in ("rps", "p50_ms", "p99_ms", "wx_p99_ms",
                                                                 "tg_p99_ms", "tg_processed_per_s")}
    errors = sum(r["errors"] for r in results)
    print(f"median: {med['rps']:.0f} req/s, p50 {med['p50_ms']:.0f} ms, p99 {med['p99_ms']:.0f} ms "
          f"(WeChat {med['wx_p99_ms']:.0f}, Telegram {med['tg_p99_ms']:.0f}); Telegram updates answered "
          f"{med['tg_processed_per_s']:.0f}/s; errors {errors}")
    ok = med["p99_ms"] < TARGET_P99_MS and errors == 0
    print(f"target p99 < {TARGET_P99_MS:.0f} ms with zero errors: {'met' if ok else 'NOT met'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
