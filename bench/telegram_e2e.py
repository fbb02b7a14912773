"""End-to-end throughput through the Telegram channel, against the loopback fake Bot API.

How to run (from the repository root, with the project's virtualenv):

    python bench/telegram_e2e.py                      # 200 users x 20 updates, 3 runs, medians
    python bench/telegram_e2e.py --quick              # smoke run: 20 users x 8 updates, 1 run
    python bench/telegram_e2e.py --users 500 --per-user 30 --runs 5

    python bench/telegram_e2e.py --only lawbot --profile   # and where the bot's CPU went

What it measures. Each run starts, in separate processes, the fake Bot API
(tests/support/fake_bot_api.py, serving getUpdates batches of up to 100) and one bot that long-polls
it over real HTTP on loopback:

  lawbot   the real Application from bot.channels.telegram.adapter.build_application on a fresh
           SQLite file (WAL, system clock), with the background tasks run_telegram starts
           (deadline sweeper, outbox drain). Each simulated user sends /start, presses 📝 模拟考试
           (x:l), picks the 科目一 paper (x:i:kemu1), starts it (x:go:kemu1), answers questions by
           pressing the first option button (each answer edits the question message in place),
           then hands in (x:h) and confirms (x:H): 20 updates by default, all but the first are
           callback queries (each costs answerCallbackQuery + editMessageText/sendMessage).
  echo     a trivial python-telegram-bot echo bot (a MessageHandler replying with the same text,
           default settings: PTB's HTTPXRequest, updates handled one at a time) sent the same
           number of updates.
  echo-c   (with --echo-concurrent) the same echo bot with concurrent_updates(64), the setting
           lawbot uses, for an apples-to-apples view of the framework ceiling.
  echo-a   (with --echo-aiohttp) the echo bot with concurrent_updates and lawbot's aiohttp request
           backend (bot/channels/telegram/aiohttp_request.py): the same HTTP client on both sides.

Users are closed loops: a user's next update is queued by the fake server when the bot's reply to
the previous one arrives, so all N users are in flight at once. An update counts as processed
when its reply (sendMessage/editMessageText) and, for a button press, its answerCallbackQuery
have reached the server; updates/s = updates / (time from the first update queued to the last
one processed). Reported: the median over the runs per bot, the ratio lawbot/echo (target:
>= 0.70), peak RSS of each bot process (ru_maxrss), and the bot process's CPU time per update.
The runs of the different bots are interleaved (lawbot, echo, lawbot, echo, ...) so drift on a
shared machine affects both. Everything is on loopback; the server and the bot share the
machine's cores (note the core count printed in the header when comparing figures).

--profile samples the bot process's threads every 2 ms during the measured window (a thread of
its own reading sys._current_frames, with the interpreter's switch interval cut to 0.1 ms so that
it samples when it wakes, not where the bot happens to release the GIL; samples of threads
waiting in select, a lock or a pipe are left out) and sorts each sample by the code on its stack, first match in PROFILE_CATEGORIES order:
the storage layer (SQLite statements, commits, the WAL checkpoint thread), the rest of the core,
aiohttp (the HTTP exchange, socket writes included), the channel (Bot API call path, update parsing,
rendering, adapter), python-telegram-bot's dispatch, the event loop. The sampler costs some CPU
itself: read CPU/update from runs without it.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import multiprocessing as mp
import os
import platform
import resource
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # runnable as `python bench/telegram_e2e.py` from anywhere
    sys.path.insert(0, str(REPO))

from bot.channels.telegram.adapter import MAX_CONCURRENT_UPDATES  # noqa: E402

EXAM = "kemu1"
TARGET_RATIO = 0.70
POLL_TIMEOUT = 10


# --- the simulated users (inside the fake server's process) -----------------------------------
class Scenario:
    """Closed-loop users: queue a user's next update when the bot's reply to the last one arrives."""

    def __init__(self, kind: str, users: int, per_user: int):
        self.kind = kind
        self.users = list(range(10_001, 10_001 + users))
        self.per_user = per_user
        self.step = dict.fromkeys(self.users, 0)  # updates sent so far
        self.replies = 0
        self.answers = 0
        self.expected_replies = users * per_user
        self.expected_answers = 0 if kind.startswith("echo") else users * (per_user - 1)
        self.errors = 0
        self.done = asyncio.Event()
        self.started = 0.0
        self.finished = 0.0

    def begin(self, api) -> None:
        self.started = time.perf_counter()
        for user in self.users:
            self._next(api, user)

    def _next(self, api, user: int) -> None:
        step = self.step[user]
        if step >= self.per_user:
            return
        self.step[user] = step + 1
        if self.kind.startswith("echo"):
            api.push(api.text_update(user, f"hello {user} #{step}"))
            return
        last = self.per_user - 1
        if step == 0:
            api.push(api.text_update(user, "/start"))
            return
        if step == 1:
            data = "x:l"
        elif step == 2:
            data = f"x:i:{EXAM}"
        elif step == 3:
            data = f"x:go:{EXAM}"
        else:
            buttons = [b["callback_data"] for row in (api.last_message(user).reply_markup or {}).get("inline_keyboard", [])
                       for b in row]
            attempt = next((d.split(":")[2] for d in buttons if d.startswith(("x:a:", "x:g:", "x:h:", "x:H:"))), None)
            if attempt is None:
                self._fail(user)
                return
            if step == last:
                data = f"x:H:{attempt}"
            elif step == last - 1:
                data = f"x:h:{attempt}"
            else:
                data = next((d for d in buttons if d.startswith("x:a:")), None)
                if data is None:
                    self._fail(user)
                    return
        api.push(api.callback_update(user, data))

    def _fail(self, user: int) -> None:
        """The bot did not show what a user expects: count it, and count the user's rest as done."""
        self.errors += 1
        left = self.per_user - self.step[user]
        self.step[user] = self.per_user
        self.replies += left
        self.answers += left
        self._check()

    def on_call(self, api, call) -> None:
        if call.method == "answerCallbackQuery":
            self.answers += 1
        elif call.method in ("sendMessage", "editMessageText"):
            if not isinstance(call.result, dict) or "message_id" not in call.result:
                self.errors += 1
            self.replies += 1
            self._next(api, call.params["chat_id"])
        self._check()

    def _check(self) -> None:
        if self.replies >= self.expected_replies and self.answers >= self.expected_answers and not self.done.is_set():
            self.finished = time.perf_counter()
            self.done.set()


def server_main(conn, kind: str, users: int, per_user: int) -> None:
    from tests.support.fake_bot_api import FakeBotApi

    async def serve() -> None:
        scenario = Scenario(kind, users, per_user)
        api = FakeBotApi(record=False, on_call=scenario.on_call)
        await api.start()
        conn.send(api.base_url)
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, conn.recv)  # "go": the bot is polling
        cpu0 = _cpu()
        scenario.begin(api)
        try:
            await asyncio.wait_for(scenario.done.wait(), timeout=600)
        except TimeoutError:
            scenario.finished = time.perf_counter()
        conn.send({"updates": scenario.expected_replies, "replies": scenario.replies, "answers": scenario.answers,
                   "errors": scenario.errors, "complete": scenario.done.is_set(),
                   "seconds": scenario.finished - scenario.started, "server_cpu": _cpu() - cpu0})
        await loop.run_in_executor(None, conn.recv)  # "stop"
        await api.stop()

    asyncio.run(serve())


# --- the bots (each in its own process) --------------------------------------------------------
def bot_main(conn, kind: str, base_url: str, data_dir: str, concurrency: int, sample: bool = False) -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    from tests.support.fake_bot_api import TOKEN

    async def run() -> None:
        loop = asyncio.get_running_loop()
        tasks: list[asyncio.Task] = []
        app = None
        if kind == "lawbot":
            from bot.bootstrap import build
            from bot.channels.telegram.adapter import TelegramSender, build_application, start_bot
            from bot.config import load_config
            from bot.runner import background_tasks

            config = load_config(None, data_dir=data_dir, content_root=str(REPO))
            app = await build(config)
            application = build_application(app, TOKEN, base_url=base_url, poll_timeout=POLL_TIMEOUT,
                                            max_concurrent_updates=concurrency)
        else:
            from telegram.ext import ApplicationBuilder, MessageHandler, filters

            async def echo(update, context) -> None:
                await update.message.reply_text(update.message.text)

            builder = ApplicationBuilder().token(TOKEN).base_url(base_url).job_queue(None)
            if kind in ("echo-c", "echo-a"):
                builder = builder.concurrent_updates(concurrency)
            if kind == "echo-a":  # the HTTP client lawbot's channel uses
                from bot.channels.telegram.aiohttp_request import AiohttpRequest

                builder = builder.request(AiohttpRequest(connection_pool_size=concurrency * 2)).get_updates_request(
                    AiohttpRequest(connection_pool_size=1, read_timeout=POLL_TIMEOUT + 10))
            application = builder.build()
            application.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
        async with application:
            if kind == "lawbot":
                await start_bot(application, POLL_TIMEOUT)
                tasks = background_tasks(app, {"tg": TelegramSender(application.bot)})
            else:
                await application.start()
                await application.updater.start_polling(poll_interval=0.0, timeout=POLL_TIMEOUT)
            profiler = _profiler()
            sampler = Sampler() if sample else None
            cpu0 = _cpu()
            if profiler is not None:
                profiler.enable()
            if sampler is not None:
                sampler.start()
            conn.send("ready")
            await loop.run_in_executor(None, conn.recv)  # "stop"
            if profiler is not None:
                profiler.disable()
            cpu = _cpu() - cpu0
            profile = sampler.stop() if sampler is not None else None
            if profiler is not None:
                profiler.dump_stats(f"{os.environ['TELEGRAM_E2E_PROFILE']}.{kind}")
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await application.updater.stop()
            await application.stop()
        if app is not None:
            await app.close()
        conn.send({"rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, "cpu": cpu, "profile": profile})

    asyncio.run(run())


def _profiler():
    """TELEGRAM_E2E_PROFILE=/tmp/prof: cProfile the measured window (after start-up, until the
    last update is processed) of each bot into /tmp/prof.<bot>; read it with pstats."""
    if not os.environ.get("TELEGRAM_E2E_PROFILE"):
        return None
    import cProfile

    return cProfile.Profile()


# (category, path fragments): a sample goes to the first category with a frame from such a file
PROFILE_CATEGORIES = [
    ("core: storage (SQLite)", ("/bot/storage/", "sqlite3/")),
    ("core: app and domain", ("/bot/app/", "/bot/domain/", "/bot/services/", "/bot/catalog/", "/bot/search/")),
    ("Bot API: aiohttp", ("/aiohttp/", "/yarl/", "/multidict/")),
    ("Bot API: channel call path", ("/telegram/aiohttp_request.py", "/telegram/request/", "/telegram/_bot.py",
                                    "/telegram/ext/_extbot.py")),
    ("update parsing", ("/telegram/inbound.py", "/telegram/_update.py", "/telegram/_telegramobject.py",
                        "/telegram/_message.py", "/telegram/_callbackquery.py")),
    ("channel: adapter and rendering", ("/bot/channels/",)),
    ("PTB dispatch", ("/telegram/ext/",)),
    ("event loop", ("/asyncio/", "/selectors.py")),
]
# the innermost frame of a thread that waits (not CPU): the loop's select, a lock, the bench's pipe
_IDLE = (("selectors.py", "select"), ("threading.py", "wait"), ("connection.py", "_recv"),
         ("connection.py", "recv"), ("connection.py", "_poll"), ("thread.py", "_worker"))


class Sampler:
    """Samples every thread of this process (but its own) every `interval` seconds and counts
    the samples per PROFILE_CATEGORIES entry; waiting threads are not counted."""

    def __init__(self, interval: float = 0.002):
        self.interval = interval
        self.counts: Counter[str] = Counter()
        self._stop = threading.Event()
        self._switch = sys.getswitchinterval()
        self._thread = threading.Thread(target=self._run, name="sampler", daemon=True)

    def start(self) -> None:
        # a sampler waiting for the GIL would otherwise mostly get it where the sampled thread
        # lets it go (a SQLite statement, a socket write) and see those too often
        self._switch = sys.getswitchinterval()
        sys.setswitchinterval(min(self._switch, self.interval / 20))
        self._thread.start()

    def stop(self) -> dict[str, int]:
        self._stop.set()
        self._thread.join()
        sys.setswitchinterval(self._switch)
        return dict(self.counts)

    def _run(self) -> None:
        me = threading.get_ident()
        while not self._stop.wait(self.interval):
            for ident, frame in sys._current_frames().items():
                if ident != me:
                    category = self._category(frame)
                    if category is not None:
                        self.counts[category] += 1

    @staticmethod
    def _category(frame) -> str | None:
        code = frame.f_code
        if any(code.co_filename.endswith(f) and code.co_name == n for f, n in _IDLE):
            return None
        files = []
        while frame is not None:
            files.append(frame.f_code.co_filename)
            frame = frame.f_back
        for name, fragments in PROFILE_CATEGORIES:
            if any(fragment in f for f in files for fragment in fragments):
                return name
        return "other"


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def _cpu() -> float:
    """This process's CPU time (user + system, all threads): what the work costs, whatever else
    the machine runs meanwhile."""
    return time.process_time()


# --- orchestration -----------------------------------------------------------------------------
def run_once(kind: str, users: int, per_user: int, concurrency: int, sample: bool = False) -> dict:
    ctx = mp.get_context("spawn")
    server_end, server_conn = ctx.Pipe()
    bot_end, bot_conn = ctx.Pipe()
    with tempfile.TemporaryDirectory(prefix="lawbot-tg-bench-") as data_dir:
        server = ctx.Process(target=server_main, args=(server_conn, kind, users, per_user), daemon=True)
        server.start()
        base_url = server_end.recv()
        bot = ctx.Process(target=bot_main, args=(bot_conn, kind, base_url, data_dir, concurrency, sample), daemon=True)
        bot.start()
        if bot_end.recv() != "ready":
            raise RuntimeError("bot did not start")
        server_end.send("go")
        result = server_end.recv()
        bot_end.send("stop")
        stats = bot_end.recv()
        server_end.send("stop")
        bot.join(30)
        server.join(30)
    result.update(stats)
    result["kind"] = kind
    result["rate"] = result["updates"] / result["seconds"] if result["seconds"] > 0 else 0.0
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--per-user", type=int, default=20, help="updates per user (lawbot needs >= 7)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--echo-concurrent", action="store_true", help="also run the echo bot with concurrent_updates(64)")
    parser.add_argument("--echo-aiohttp", action="store_true",
                        help="also run the echo bot on lawbot's aiohttp request backend with the same concurrency")
    parser.add_argument("--concurrency", type=int, default=MAX_CONCURRENT_UPDATES,
                        help="updates handled at once by lawbot (and echo-c); default: the adapter's default")
    parser.add_argument("--quick", action="store_true", help="20 users x 8 updates, 1 run")
    parser.add_argument("--profile", action="store_true",
                        help="sample the bots' threads every 2 ms and print where their CPU went (see above)")
    parser.add_argument("--only", choices=("lawbot", "echo", "echo-c", "echo-a"), action="append",
                        help="run only these bots (repeatable); lawbot alone skips the lawbot/echo ratio")
    args = parser.parse_args(argv)
    if args.quick:
        args.users, args.per_user, args.runs = 20, 8, 1
    if args.per_user < 7:
        parser.error("--per-user must be at least 7 (start, menu, paper, go, one answer, hand in, confirm)")
    kinds = ["lawbot", "echo"] + (["echo-c"] if args.echo_concurrent else []) + (["echo-a"] if args.echo_aiohttp else [])
    if args.only:
        kinds = [k for k in ("lawbot", "echo", "echo-c", "echo-a") if k in args.only]

    print(f"telegram_e2e: {args.users} users x {args.per_user} updates = {args.users * args.per_user} updates "
          f"per run, {args.runs} run(s); python {platform.python_version()}, {os.cpu_count()} CPU(s), "
          f"{platform.platform()}; load average {_load()}")
    print("CPU/update = the bot process's CPU time (time.process_time) over the measured window / updates: "
          "robust to other load, unlike updates/s")
    results: dict[str, list[dict]] = {k: [] for k in kinds}
    for run in range(args.runs):
        for kind in kinds:
            r = run_once(kind, args.users, args.per_user, args.concurrency, args.profile)
            results[kind].append(r)
            flag = "" if r["complete"] and not r["errors"] else f"  (complete={r['complete']}, errors={r['errors']})"
            print(f"  run {run + 1} {kind:7s} {r['rate']:8.0f} updates/s  {r['seconds']:6.2f} s  "
                  f"CPU/update: bot {r['cpu'] / r['updates'] * 1e6:5.0f} µs, server {r['server_cpu'] / r['updates'] * 1e6:5.0f} µs  "
                  f"peak RSS {r['rss_kb'] / 1024:6.1f} MiB  load {_load()}{flag}",
                  flush=True)

    medians = {k: statistics.median(r["rate"] for r in results[k]) for k in kinds}
    print()
    print(f"{'bot':8s} {'updates/s (median)':>20s} {'CPU µs/update':>14s} {'peak RSS MiB':>13s}")
    for kind in kinds:
        cpu = statistics.median(r["cpu"] / r["updates"] * 1e6 for r in results[kind])
        rss = max(r["rss_kb"] for r in results[kind]) / 1024
        print(f"{kind:8s} {medians[kind]:20.0f} {cpu:14.0f} {rss:13.1f}")
    print(f"load average at the end: {_load()}")
    if args.profile:
        for kind in kinds:
            counts: Counter[str] = Counter()
            for r in results[kind]:
                counts.update(r["profile"] or {})
            total = sum(counts.values())
            print(f"\nwhere {kind}'s CPU went ({total} samples over {len(results[kind])} run(s), every 2 ms; "
                  f"the sampler's own cost included in these runs' CPU/update):")
            for name, n in counts.most_common():
                print(f"  {name:32s} {100 * n / max(total, 1):5.1f}%")
    if medians.get("lawbot") and medians.get("echo"):
        ratio = medians["lawbot"] / medians["echo"]
        verdict = "meets" if ratio >= TARGET_RATIO else "below"
        print(f"\nlawbot / echo = {ratio:.2f} ({verdict} the {TARGET_RATIO:.0%} target)")
    if medians.get("lawbot") and medians.get("echo-c"):
        print(f"lawbot / echo-c (concurrent echo) = {medians['lawbot'] / medians['echo-c']:.2f}")
    if medians.get("lawbot") and medians.get("echo-a"):
        print(f"lawbot / echo-a (echo on the same aiohttp backend) = {medians['lawbot'] / medians['echo-a']:.2f}")
    bad = [r for k in kinds for r in results[k] if r["errors"] or not r["complete"]]
    if bad:
        print(f"WARNING: {len(bad)} run(s) incomplete or with errors", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
