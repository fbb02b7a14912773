"""The console channel: `lawbot chat`. Interactive in a terminal, scriptable through a pipe."""

from __future__ import annotations

import asyncio
import codecs
import os
import threading
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import TextIO

from bot.app.messages import Attachment, Choice, Incoming, Reply
from bot.channels.console.render import render
from bot.texts import tr

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
        if not name.strip("'\" "):
            self._out(f"{SEPARATOR}\n" + tr(self.shown_locale, "console_upload_usage"))
            return None
        path = Path(name.strip("'\"")).expanduser()
        try:
            size = path.stat().st_size
            if size > self.max_upload:  # like a platform's declared size: the core says "too large"
                return Attachment(path.name, b"", "document", size=size)
            return Attachment(path.name, path.read_bytes(), "document")
        except OSError as exc:
            known = {FileNotFoundError: "console_no_such_file", IsADirectoryError: "console_is_folder",
                     PermissionError: "console_no_permission"}.get(type(exc))
            reason = tr(self.shown_locale, known) if known else (exc.strerror or str(exc))
            self._out(f"{SEPARATOR}\n" + tr(self.shown_locale, "console_unreadable", name=name, reason=reason))
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


async def read_lines(stream: TextIO) -> AsyncIterator[str]:
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
