"""The console channel: `lawbot chat`. Interactive in a terminal, scriptable through a pipe."""

from __future__ import annotations

import asyncio
import codecs
import logging
import os
import sys
import threading
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import TextIO

from bot.app.messages import Attachment, Choice, Incoming, Reply
from bot.app.texts import tr
from bot.channels.console.render import render

SEPARATOR = "─" * 40


class ConsoleChannel:
    """Maps typed numbers to the last reply's choices and `/upload PATH` to a file sent with the
    message; everything else goes to the core as text. Files the core sends (Excel exports,
    charts) are saved into `downloads` when it is set."""

    def __init__(self, service, user: str = "local", out: Callable[[str], None] | None = None, locale: str | None = None,
                 downloads: Path | None = None, max_upload: int = 10 * 1024 * 1024):
        self.service = service
        self.user = f"cli:{user}"
        self.locale = locale
        self._out = out or (lambda text: print(text, flush=True))
        self.choices: list[Choice] = []
        self.downloads = downloads
        self.max_upload = max_upload
        self.shown_locale = "zh"  # the session's language, for what the console itself adds

    def to_incoming(self, line: str) -> Incoming | None:
        """None when the line is an /upload of a file that cannot be read (said on the terminal)."""
        stripped = line.strip()
        if stripped.isdigit() and self.choices and 1 <= int(stripped) <= len(self.choices):
            return Incoming(user=self.user, action=self.choices[int(stripped) - 1].action, locale=self.locale)
        if stripped.split(maxsplit=1)[:1] == ["/upload"]:
            attachment = self._read_upload(stripped[len("/upload"):].strip())
            return None if attachment is None else Incoming(user=self.user, attachment=attachment, locale=self.locale)
        return Incoming(user=self.user, text=line, locale=self.locale)

    def _read_upload(self, name: str) -> Attachment | None:
        path = Path(name.strip("'\"")).expanduser()
        try:
            size = path.stat().st_size
            if size > self.max_upload:  # like a platform's declared size: the core says "too large"
                return Attachment(path.name, b"", "document", size=size)
            return Attachment(path.name, path.read_bytes(), "document")
        except OSError as exc:
            self._out(f"{SEPARATOR}\n" + tr(self.shown_locale, "console_unreadable", name=name or "—",
                                             reason=exc.strerror or exc))
            return None

    def show(self, replies: list[Reply]) -> None:
        for reply in replies:
            text, choices = render(reply, self._save(reply.attachment), self.shown_locale)
            self._out(f"{SEPARATOR}\n{text}")
            if choices:
                self.choices = choices

    def _save(self, attachment: Attachment | None) -> Path | None:
        """Write a file the core sent into the downloads folder (never over an earlier one)."""
        if attachment is None or self.downloads is None:
            return None
        self.downloads.mkdir(parents=True, exist_ok=True)
        name = Path(attachment.filename.replace("\\", "/")).name or "file"
        target, n = self.downloads / name, 1
        while target.exists():
            target, n = self.downloads / f"{Path(name).stem}-{n}{Path(name).suffix}", n + 1
        target.write_bytes(attachment.data)
        return target

    async def send_line(self, line: str) -> list[Reply]:
        incoming = self.to_incoming(line)
        if incoming is None:
            return []
        replies = await self.service.handle(incoming)
        await self.follow_locale()
        self.show(replies)
        return replies

    async def follow_locale(self) -> None:
        """Take the session's language (it changes with /lang) for the console's own lines."""
        self.shown_locale = await self.service.locale_of(self.user)


def _chunks(stream: TextIO) -> Callable[[], str]:
    """A blocking read of the next piece of input ('' at its end). A real file descriptor is read
    with os.read, which holds no lock of the stream: the reading thread may still be blocked in
    it when the process exits."""
    try:
        fd = stream.fileno()
    except (AttributeError, OSError, ValueError):
        return stream.readline
    decoder = codecs.getincrementaldecoder(getattr(stream, "encoding", None) or "utf-8")(errors="replace")

    def read() -> str:
        while True:
            data = os.read(fd, 65536)
            text = decoder.decode(data, final=not data)
            if text or not data:
                return text

    return read


async def _read_lines(stream: TextIO) -> AsyncIterator[str]:
    """The input's lines, read on a daemon thread. Ctrl-C ends the chat at once (no read left
    waiting for Enter keeps the process alive); Ctrl-D (end of input) ends it cleanly."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[str | None] = asyncio.Queue()
    read = _chunks(stream)

    def put(item: str | None) -> None:
        try:
            loop.call_soon_threadsafe(queue.put_nowait, item)
        except RuntimeError:  # the loop is closed: the chat is over
            pass

    def pump() -> None:
        pending = ""
        try:
            while chunk := read():
                pending += chunk
                *lines, pending = pending.split("\n")
                for line in lines:
                    put(line)
        except (OSError, ValueError):
            pass
        finally:
            if pending:
                put(pending)
            put(None)

    threading.Thread(target=pump, name="console-input", daemon=True).start()
    while (line := await queue.get()) is not None:
        yield line.rstrip("\r")


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
    from bot.config import load_config
    from bot.runner import leader_task

    config = load_config(Path(config_path) if config_path else None, data_dir=data_dir)
    app = await build(config)
    _log_to_file(config.data_dir)  # after build: a folder build refused gets no log file either
    settle_heap()
    stream = stdin or sys.stdin
    interactive = stream.isatty()
    channel = ConsoleChannel(app.service, user=user, downloads=config.data_dir / "downloads",
                             max_upload=config.bank.upload_max_mb * 1024 * 1024)
    senders = {"cli": ConsoleSender(channel)}
    # the scheduler, sweepers and sender run only while this session is the elected leader
    # (bot/storage/sql/leader.py): beside `lawbot run` on the same database, jobs never fire twice
    tasks = [leader_task(app, senders)]
    try:
        greeting = await app.service.handle(Incoming(user=channel.user, text="/start"))
        await channel.follow_locale()
        channel.show(greeting)
        print(tr(channel.shown_locale, "console_quit_hint"), flush=True)
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
        await asyncio.gather(*tasks, return_exceptions=True)  # the leader lock is let go
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
