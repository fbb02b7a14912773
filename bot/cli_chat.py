"""`lawbot chat`: the bot on this terminal (the console channel), with the scheduler, sweepers and
outbox sender running while this session is the elected leader, and logs in the data folder."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from pathlib import Path
from typing import TextIO

from bot.app.messages import Incoming
from bot.channels.console.adapter import ConsoleChannel, ConsoleSender, read_lines
from bot.runner import drain_once, leader_task
from bot.texts import tr


def _log_to_file(folder: Path) -> Path | None:
    """Warnings go to <data_dir>/lawbot.log, never into the conversation on the terminal."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handler: logging.Handler = logging.FileHandler(folder / "lawbot.log", encoding="utf-8")
    except OSError:
        handler = logging.NullHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(logging.WARNING)
    return getattr(handler, "baseFilename", None)


async def run_console(config_path: str | None = None, data_dir: str | None = None, user: str = "local",
                      stdin: TextIO | None = None) -> int:
    from bot.bootstrap import build, settle_heap
    from bot.catalog.cachefiles import default_dir
    from bot.config import load_config
    from bot.search.lookup import start_preparing

    config = load_config(Path(config_path) if config_path else None, data_dir=data_dir)
    app = await build(config)
    _log_to_file(config.data_dir)  # after build: a folder build refused gets no log file either
    # the search index, as `lawbot run` prepares it (bot/serving.py): read from the cache folder,
    # or built there by a child process, in a background thread while the greeting shows; a first
    # question that comes sooner awaits it without blocking the loop (it was built in memory, on it)
    start_preparing(app.catalog, default_dir())
    settle_heap()
    stream = stdin or sys.stdin
    interactive = stream.isatty()
    channel = ConsoleChannel(app.service, user=user, downloads=config.data_dir / "downloads",
                             max_upload=config.bank.upload_max_mb * 1024 * 1024)
    senders = {"cli": ConsoleSender(channel)}
    # the scheduler, sweepers and sender run only while this session is the elected leader
    # (bot/storage/sql/leader.py): beside `lawbot run` on the same database, jobs never fire twice
    tasks = [leader_task(app, senders)]
    interrupted = _on_ctrl_c(asyncio.get_running_loop(), asyncio.current_task())
    try:
        greeting = await app.service.handle(Incoming(user=channel.user, text="/start"))
        await channel.follow_locale()
        channel.show(greeting)
        print(tr(channel.shown_locale, "console_quit_hint"), flush=True)
        async for line in read_lines(stream):
            if line.strip().lower() in ("/quit", "/exit", "quit", "exit"):
                break
            if not interactive:
                print(f"> {line}", flush=True)
            await channel.send_line(line)
            await drain_once(app, senders)
    except asyncio.CancelledError:
        if not interrupted.is_set():
            raise
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)  # the leader lock is let go
        await drain_once(app, senders)
        await app.close()
    return 130 if interrupted.is_set() else 0


def _on_ctrl_c(loop: asyncio.AbstractEventLoop, main: asyncio.Task | None) -> asyncio.Event:
    """Ctrl-C cancels the chat through the loop's signal handler. asyncio.run's own SIGINT handler
    runs only when the main thread next executes Python code: a SIGINT the kernel delivers to another
    thread (the input reader, the checkpointer) left the main thread asleep in select() with nothing
    scheduled, and the chat never ended. The loop's handler also writes to its wake-up pipe, from
    whichever thread the signal lands on."""
    interrupted = asyncio.Event()  # set once Ctrl-C has cancelled the chat
    if main is None or not hasattr(signal, "SIGINT"):
        return interrupted

    def cancel() -> None:
        interrupted.set()
        main.cancel()

    try:
        loop.add_signal_handler(signal.SIGINT, cancel)
    except (NotImplementedError, RuntimeError, ValueError):  # not the main thread (tests), or no Unix signals
        pass
    return interrupted
