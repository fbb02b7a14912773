"""The platform-neutral sending interface, owned by the channels: a channel implements
`Sender.deliver` and maps its platform's answers onto a `Delivery`; the outbox sender
(bot/scheduler/outbox_sender.py) decides what happens next."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Protocol


class Outcome(enum.Enum):
    SENT = "sent"
    RETRY_AFTER = "retry_after"  # the platform asked to slow down (Telegram 429 retry_after)
    BLOCKED = "blocked"  # the user blocked the bot / unsubscribed (Telegram 403): stop for good
    TRANSIENT = "transient"  # network error, 5xx: try again later with backoff
    PERMANENT = "permanent"  # 400 and the like: retrying cannot help
    NOT_MINE = "not_mine"  # this sender cannot reach that user (another console): leave it


@dataclass(frozen=True, slots=True)
class Delivery:
    outcome: Outcome
    retry_after: float = 0.0
    detail: str = ""

    @classmethod
    def sent(cls) -> Delivery:
        return _SENT

    @classmethod
    def wait(cls, seconds: float, detail: str = "") -> Delivery:
        return cls(Outcome.RETRY_AFTER, max(0.0, float(seconds)), detail)

    @classmethod
    def blocked(cls, detail: str = "") -> Delivery:
        return cls(Outcome.BLOCKED, 0.0, detail)

    @classmethod
    def transient(cls, detail: str = "") -> Delivery:
        return cls(Outcome.TRANSIENT, 0.0, detail)

    @classmethod
    def permanent(cls, detail: str = "") -> Delivery:
        return cls(Outcome.PERMANENT, 0.0, detail)


_SENT = Delivery(Outcome.SENT)


class Sender(Protocol):
    """One channel's way to deliver an outbox payload ({"text", "choices": [[[label, action]...]]})."""

    async def deliver(self, user: str, payload: dict) -> Delivery: ...


class BoolSender(Protocol):
    """The older interface (console): True = delivered, False = not this sender's user; raises on failure."""

    async def send(self, user: str, payload: dict) -> bool: ...


class LegacySender:
    """Adapts a BoolSender to Sender: an exception counts as a transient error."""

    def __init__(self, inner: BoolSender):
        self.inner = inner
        self.only_user = getattr(inner, "only_user", None)

    async def deliver(self, user: str, payload: dict) -> Delivery:
        try:
            ok = await self.inner.send(user, payload)
        except Exception as exc:  # noqa: BLE001 - the outcome is recorded on the row
            return Delivery.transient(repr(exc))
        return Delivery.sent() if ok else Delivery(Outcome.NOT_MINE)


def as_sender(sender) -> Sender:
    return sender if hasattr(sender, "deliver") else LegacySender(sender)
