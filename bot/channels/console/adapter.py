"""The console channel: `lawbot chat`. Interactive in a terminal, scriptable through a pipe."""

from __future__ import annotations

import asyncio
import logging
import sys
from pathlib import Path
from typing import Callable, TextIO

from bot.app.messages import Choice, Incoming, Reply
from bot.channels.console.render import render

SEPARATOR = "─" * 40


class ConsoleChannel:
    """Maps typed numbers to the last reply's choices; everything else goes to the core as text."""

    def __init__(self, service, user: str = "local", out: Callable[[str], None] | None = None, locale: str | None = None):
        self.service = service
        self.user = f"cli:{user}"
        self.locale = locale
        self._out = out or (lambda text: print(text, flush=True))
        self.choices: list[Choice] = []

    def to_incoming(self, line: str) -> Incoming:
        stripped = line.strip()
        if stripped.isdigit() and self.choices and 1 <= int(stripped) <= len(self.choices):
            return Incoming(user=self.user, action=self.choices[int(stripped) - 1].action, locale=self.locale)
        return Incoming(user=self.user, text=line, locale=self.locale)

    def show(self, replies: list[Reply]) -> None:
        for reply in replies:
            text, choices = render(reply)
            self._out(f"{SEPARATOR}\n{text}")
            if choices:
                self.choices = choices

    async def send_line(self, line: str) -> list[Reply]:
        replies = await self.service.handle(self.to_incoming(line))
        self.show(replies)
        return replies


async def _read_lines(stream: TextIO):
    loop = asyncio.get_running_loop()
    while True:
        line = await loop.run_in_executor(None, stream.readline)
        if not line:
            return
        yield line.rstrip("\n")


async def run_console(config_path: str | None = None, data_dir: str | None = None, user: str = "local",
                      stdin: TextIO | None = None) -> int:
    from bot.bootstrap import build, settle_heap
    from bot.config import load_config
    from bot.runner import background_tasks

    config = load_config(Path(config_path) if config_path else None, data_dir=data_dir)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    app = await build(config)
    settle_heap()
    stream = stdin or sys.stdin
    interactive = stream.isatty()
    channel = ConsoleChannel(app.service, user=user)
    senders = {"cli": ConsoleSender(channel)}
    tasks = background_tasks(app, senders)
    try:
        channel.show(await app.service.handle(Incoming(user=channel.user, text="/start")))
        async for line in _read_lines(stream):
            if line.strip().lower() in ("/quit", "/exit", "quit", "exit"):
                break
            if not interactive:
                print(f"> {line}", flush=True)
            await channel.send_line(line)
            await drain_once(app, senders)
    finally:
        for task in tasks:
            task.cancel()
        await drain_once(app, senders)
        await app.close()
    return 0


class ConsoleSender:
    """Delivers outbox messages (exam results, reminders) to the console session."""

    def __init__(self, channel: ConsoleChannel):
        self.channel = channel
        self.only_user = channel.user  # the outbox sender claims only this terminal's messages

    async def send(self, user: str, payload: dict) -> bool:
        if user != self.channel.user:
            return False  # another console user's message: left for their terminal
        choices = [[Choice(label, action) for label, action in row] for row in payload.get("choices", [])]
        self.channel.show([Reply(payload.get("text", ""), choices)])
        return True


async def drain_once(app, senders) -> int:
    from bot.runner import drain_outbox

    sent = 0
    for name, sender in senders.items():
        sent += await drain_outbox(app, name, sender)
    return sent
