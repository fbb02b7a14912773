"""WeChat callback XML -> Incoming. Everything in the XML is untrusted; the core verifies actions."""

from __future__ import annotations

import re
from dataclasses import dataclass

import wechatpy
import wechatpy.enterprise
import xmltodict

from bot.app.messages import Incoming

WX = "wx"  # Official Account users: wx:<openid>; also the outbox channel name
WECOM = "wecom"  # WeCom members: wecom:<userid>

_USER_ID = re.compile(r"^[\w\-@.]{1,128}$")  # openids are [A-Za-z0-9_-]; WeCom userids add @ and .


class MalformedCallback(ValueError):
    """Not a callback WeChat would send: answered with 400."""


@dataclass(frozen=True, slots=True)
class Callback:
    """One parsed message or event."""
    user_id: str  # FromUserName: the openid / userid
    account: str  # ToUserName: our account (the reply's FromUserName)
    kind: str  # text | click | subscribe | other | event
    text: str = ""
    event_key: str = ""
    msg_id: int = 0
    create_time: int = 0
    event: str = ""  # Event, lower case, for events

    def dedupe_key(self, platform: str) -> str:
        """WeChat's advice (消息排重): MsgId for messages, FromUserName + CreateTime for events.
        CreateTime is in seconds, so an event's key also carries its Event and EventKey: two
        different menu clicks in one second are two events, a retry repeats all four."""
        if self.msg_id:
            return f"{platform}:{self.msg_id}"
        return f"{platform}:{self.user_id}:{self.create_time}:{self.event}:{self.event_key}"


def encrypted_field(body: bytes) -> str:
    """The Encrypt element of a safe-mode envelope."""
    try:
        envelope = xmltodict.parse(body)["xml"]
        value = envelope["Encrypt"]
    except Exception as exc:  # noqa: BLE001 - expat, KeyError, TypeError: all malformed
        raise MalformedCallback(f"no Encrypt element: {exc}") from None
    if not isinstance(value, str) or not value:
        raise MalformedCallback("empty Encrypt element")
    return value


def parse_callback(xml: bytes | str, platform: str) -> Callback:
    parse = wechatpy.enterprise.parse_message if platform == WECOM else wechatpy.parse_message
    try:
        message = parse(xml)
        if message is None:
            raise MalformedCallback("empty body")
        user_id, account = message.source, message.target
        msg_type = str(message.type)
        event = str(getattr(message, "event", "") or "")
        msg_id = int(message.id or 0)
        create_time = int(message.time or 0)
    except MalformedCallback:
        raise
    except Exception as exc:  # noqa: BLE001 - expat, KeyError, TypeError, ValueError: all malformed
        raise MalformedCallback(f"unreadable message: {type(exc).__name__}: {exc}") from None
    if not isinstance(user_id, str) or not _USER_ID.match(user_id) or not isinstance(account, str) or not account:
        raise MalformedCallback("missing or odd FromUserName/ToUserName")
    if msg_type == "text":
        content = message.content
        return Callback(user_id, account, "text", text=content if isinstance(content, str) else "",
                        msg_id=msg_id, create_time=create_time)
    if msg_type == "event":
        if event == "click":
            key = message.key
            return Callback(user_id, account, "click", event_key=key if isinstance(key, str) else "",
                            create_time=create_time, event=event)
        if event in ("subscribe", "subscribe_scan", "enter_agent"):
            return Callback(user_id, account, "subscribe", create_time=create_time, event=event)
        return Callback(user_id, account, "event", create_time=create_time, event=event)
    return Callback(user_id, account, "other", msg_id=msg_id, create_time=create_time)


def user_key(platform: str, user_id: str) -> str:
    return f"{platform}:{user_id}"


def user_id_of(platform: str, user: str) -> str | None:
    """The openid / userid for a `wx:` / `wecom:` key; None for another platform's key."""
    prefix = f"{platform}:"
    if not user.startswith(prefix):
        return None
    rest = user[len(prefix):]
    return rest if _USER_ID.match(rest) else None


def to_incoming(callback: Callback, platform: str) -> Incoming | None:
    """Text goes to the core as typed, marked `numbered`: the core resolves a typed number
    against the numbered menu it stored for the user, inside the user's turn. A menu click is an
    action; following the account is /start; other events need no answer (None)."""
    user, update_id = user_key(platform, callback.user_id), callback.dedupe_key(platform)
    if callback.kind == "text":
        return Incoming(user, text=callback.text, update_id=update_id, numbered=True)
    if callback.kind == "click":
        return Incoming(user, action=callback.event_key, update_id=update_id, numbered=True)
    if callback.kind == "subscribe":
        return Incoming(user, text="/start", update_id=update_id, numbered=True)
    if callback.kind == "other":  # image, voice, location...: the core answers an empty message
        return Incoming(user, text="", update_id=update_id, numbered=True)
    return None
