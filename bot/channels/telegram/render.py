"""Reply -> what Telegram shows: plain-text parts of at most 4096 characters and an inline
keyboard (callback_data = Choice.action) on the last part.

The keyboard of a text part is the Bot API's `reply_markup` JSON text, written straight from the
Choices: building InlineKeyboardMarkup objects and serialising them again per reply cost more CPU
than the rest of sending it (bench/telegram_e2e.py). `keyboard()` builds the objects for the
methods that take them (photos and documents)."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.app.messages import Choice, Reply

log = logging.getLogger(__name__)

MAX_TEXT = 4096  # Bot API limit per message, counted in UTF-16 code units
MAX_CAPTION = 1024
MAX_CALLBACK_BYTES = 64


@dataclass(frozen=True, slots=True)
class Part:
    text: str
    markup: str | None = None  # reply_markup as JSON text: {"inline_keyboard": [[button, ...], ...]}


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _valid_rows(rows: list[list[Choice]]) -> list[list[Choice]]:
    """The rows without buttons Telegram would refuse (empty or over-long callback data) and
    without rows left empty."""
    valid = []
    for row in rows:
        line = []
        for choice in row:
            if not choice.action or len(choice.action.encode("utf-8")) > MAX_CALLBACK_BYTES:
                # The core must never build such a button; Telegram would reject the whole
                # message, so drop the button and keep the message.
                log.error("dropped a button with invalid callback data %r", choice.action)
                continue
            line.append(choice)
        if line:
            valid.append(line)
    return valid


def keyboard(rows: list[list[Choice]]) -> InlineKeyboardMarkup | None:
    """The inline keyboard as python-telegram-bot objects (for send_photo / send_document)."""
    buttons = [[InlineKeyboardButton(c.label, callback_data=c.action) for c in row] for row in _valid_rows(rows)]
    return InlineKeyboardMarkup(buttons) if buttons else None


def keyboard_json(rows: list[list[Choice]]) -> str | None:
    """The inline keyboard as the Bot API's reply_markup JSON text; None without valid buttons."""
    buttons = [[{"text": c.label, "callback_data": c.action} for c in row] for row in _valid_rows(rows)]
    return json.dumps({"inline_keyboard": buttons}, ensure_ascii=False) if buttons else None


def _hard_split(line: str, limit: int) -> list[str]:
    """Cut one over-long line into pieces of at most `limit` UTF-16 units, between code points."""
    pieces: list[str] = []
    current: list[str] = []
    size = 0
    for ch in line:
        width = 2 if ord(ch) > 0xFFFF else 1
        if size + width > limit:
            pieces.append("".join(current))
            current, size = [], 0
        current.append(ch)
        size += width
    pieces.append("".join(current))
    return pieces


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Split on line breaks so every part fits; a single over-long line is cut hard."""
    if utf16_len(text) <= limit:
        return [text]
    parts: list[str] = []
    current: list[str] = []
    size = 0
    for line in text.split("\n"):
        pieces = _hard_split(line, limit) if utf16_len(line) > limit else [line]
        for piece in pieces:
            width = utf16_len(piece)
            extra = width + (1 if current else 0)  # the joining line break
            if current and size + extra > limit:
                parts.append("\n".join(current))
                current, size = [], 0
                extra = width
            current.append(piece)
            size += extra
    if current:
        parts.append("\n".join(current))
    # Telegram rejects empty and whitespace-only messages: drop such parts.
    return [p for p in parts if p.strip()] or [text[:limit]]


def render(reply: Reply) -> list[Part]:
    """Text parts to send in order; the keyboard rides on the last one."""
    texts = split_text(reply.text) if reply.text.strip() else []
    if not texts:
        return []
    markup = keyboard_json(reply.choices)
    return [Part(t, markup if i == len(texts) - 1 else None) for i, t in enumerate(texts)]


def caption_fits(text: str) -> bool:
    return 0 < utf16_len(text) <= MAX_CAPTION and bool(text.strip())
