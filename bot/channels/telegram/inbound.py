"""Bot API update JSON -> Incoming. Everything taken from the update is untrusted; the core verifies it.

Updates are read straight from the Bot API's JSON (`parse_update`): the channel needs a handful of
fields, and building python-telegram-bot's object tree for every update (the message a button
belongs to comes with its whole keyboard) cost more CPU than the rest of receiving it.
`RawUpdate` carries that JSON through python-telegram-bot's Application (handlers, the update
processor) as an `Update` whose typed fields are left empty."""

from __future__ import annotations

from typing import Any, NamedTuple

from telegram import Update

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


class Document(NamedTuple):
    file_id: str
    file_name: str
    file_size: int | None  # as Telegram declares it


class Inbound(NamedTuple):
    """What the channel takes from one update."""

    incoming: Incoming
    user_id: int
    chat_id: int  # where replies go
    callback_id: str | None  # a pressed button's query, to answer (stops the client's spinner)
    editable: tuple[int, int] | None  # (chat id, message id) of the message whose button was pressed,
    # when Telegram still lets it be edited
    document: Document | None  # a file sent with the message (the caption is the text)


def _int(value: Any) -> int | None:
    return value if type(value) is int else None


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _obj(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def parse_update(data: Any) -> Inbound | None:
    """A message (text, command, a file, or anything else: the core answers empty ones) or a pressed
    inline button. None for other updates and for updates without a user (channel posts and the
    like) — what python-telegram-bot's effective_user / effective_chat would give."""
    if not isinstance(data, dict):
        return None
    update_id = _int(data.get("update_id"))
    if update_id is None:
        return None
    query, message = data.get("callback_query"), data.get("message")
    shown: dict | None = None  # for a pressed button: the message with it, if Telegram sent it
    if isinstance(query, dict):
        source, shown = query, _obj(query.get("message"))
    elif isinstance(message, dict):
        source = message
    else:
        return None
    chat = _obj((source if shown is None else shown).get("chat"))
    sender = _obj(source.get("from"))
    user_id = _int(sender.get("id"))
    if user_id is None:
        return None
    chat_id = _int(chat.get("id"))
    private = chat_id is None or chat.get("type") == "private"
    reply_to = user_id if chat_id is None else chat_id
    key, locale, uid = user_key(user_id), _str(sender.get("language_code")), f"tg:{update_id}"
    if shown is not None:
        # `data` is absent for game buttons; "" reaches the core, which refuses it plainly.
        incoming = Incoming(key, action=_str(source.get("data")) or "", locale=locale, update_id=uid,
                            private=private)
        message_id = _int(shown.get("message_id"))
        # date 0: older than Telegram keeps (an inaccessible message): not editable, reply anew
        editable = (chat_id, message_id) if chat_id is not None and message_id is not None \
            and shown.get("date") != 0 else None
        return Inbound(incoming, user_id, reply_to, _str(source.get("id")), editable, None)
    text = _str(source.get("text")) or _str(source.get("caption")) or ""
    incoming = Incoming(key, text=text, locale=locale, update_id=uid, private=private)
    return Inbound(incoming, user_id, reply_to, None, None, _document(source.get("document")))


def _document(value: Any) -> Document | None:
    if not isinstance(value, dict):
        return None
    file_id = _str(value.get("file_id"))
    if file_id is None:
        return None
    return Document(file_id, _str(value.get("file_name")) or "", _int(value.get("file_size")))


class RawUpdate(Update):
    """An update as the Bot API's JSON (`raw`), passed through python-telegram-bot's Application
    without its object tree: the typed fields (message, callback_query ...) stay None and
    `effective_user` is None; the channel reads `inbound` (parsed once, on first use)."""

    __slots__ = ("_inbound", "raw")
    raw: dict
    _inbound: Inbound | bool | None

    def __init__(self, raw: dict):
        super().__init__(update_id=raw["update_id"])
        object.__setattr__(self, "raw", raw)
        object.__setattr__(self, "_inbound", False)

    @property
    def inbound(self) -> Inbound | None:
        parsed = self._inbound
        if parsed is False:
            parsed = parse_update(self.raw)
            object.__setattr__(self, "_inbound", parsed)
        return parsed  # type: ignore[return-value]


def raw_update(data: Any) -> RawUpdate | None:
    """A RawUpdate for one element of getUpdates' result or a webhook body; None when it has no
    integer update_id."""
    if isinstance(data, dict) and type(data.get("update_id")) is int:
        return RawUpdate(data)
    return None


def inbound_of(update: object) -> Inbound | None:
    """What the channel needs from a RawUpdate or a python-telegram-bot Update (one built from
    JSON elsewhere, e.g. a redelivered update put on the Application's queue)."""
    if isinstance(update, RawUpdate):
        return update.inbound
    if isinstance(update, Update):
        return parse_update(update.to_dict())
    return None
