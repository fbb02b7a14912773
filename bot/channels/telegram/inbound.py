"""Telegram Update -> Incoming. Everything taken from the update is untrusted; the core verifies it."""

from __future__ import annotations

from typing import NamedTuple

from telegram import Chat, Update

from bot.app.messages import Incoming

USER_PREFIX = "tg:"


def user_key(user_id: int) -> str:
    return f"{USER_PREFIX}{user_id}"


def chat_id_of(user: str) -> int | None:
    """The private chat id for a `tg:<id>` user key; None for another platform's key."""
    if not user.startswith(USER_PREFIX):
        return None
    rest = user[len(USER_PREFIX):]
    if not rest.lstrip("-").isdigit():
        return None
    return int(rest)


def to_incoming(update: Update) -> Incoming | None:
    """A message (text, command, or anything else: the core answers empty ones) or a pressed
    inline button. None for updates without a user (channel posts and the like)."""
    user = update.effective_user
    if user is None:
        return None
    chat = update.effective_chat
    key, locale, update_id = user_key(user.id), user.language_code, f"tg:{update.update_id}"
    private = chat is None or chat.type == Chat.PRIVATE
    query = update.callback_query
    if query is not None:
        # `data` is None for game buttons; "" reaches the core, which refuses it plainly.
        return Incoming(key, action=query.data if isinstance(query.data, str) else "", locale=locale,
                        update_id=update_id, private=private)
    message = update.message
    if message is None:
        return None
    return Incoming(key, text=message.text or message.caption or "", locale=locale, update_id=update_id,
                    private=private)


class Document(NamedTuple):
    file_id: str
    file_name: str
    file_size: int | None  # as Telegram declares it


def document_of(update: Update) -> Document | None:
    """The file sent with a message (the adapter downloads it; the caption is the text)."""
    message = update.message
    document = message.document if message is not None else None
    if document is None:
        return None
    return Document(document.file_id, document.file_name or "", document.file_size)
