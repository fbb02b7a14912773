"""What channels hand to the core and what the core hands back. No platform types here."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Incoming:
    user: str  # platform-qualified key: tg:123, wx:<openid>, cli:local
    text: str | None = None  # what the user typed
    action: str | None = None  # the data of a pressed choice (untrusted: verified by the core)
    locale: str | None = None  # the platform's language hint, e.g. "en-GB"
    update_id: str | None = None  # platform-qualified id, so a redelivered update is applied once
    private: bool = True  # a one-to-one chat (files such as /export go only there)
    attachment: Attachment | None = None  # a file the user sent (e.g. a question bank to import)


@dataclass(frozen=True, slots=True)
class Choice:
    label: str
    action: str  # at most 64 bytes (Telegram callback_data)


@dataclass(slots=True)
class Attachment:
    filename: str
    data: bytes
    kind: str = "document"  # document | image
    size: int | None = None  # incoming only: the size the platform declared when the channel did
    # not download the file (over the size cap), so data is empty and the core says "too large"


@dataclass(slots=True)
class Reply:
    text: str
    choices: list[list[Choice]] = field(default_factory=list)  # rows of buttons
    edit: bool = False  # replace the message whose button was pressed (exam navigation)
    attachment: Attachment | None = None
    # Work after the turn's transaction (bot/app/deferred.py): ChatService.handle replaces this
    # reply by what it returns once the turn has committed. Channels never see it set.
    later: Callable[[], Awaitable[list[Reply]]] | None = field(default=None, repr=False, compare=False)

    def flat_choices(self) -> list[Choice]:
        return [c for row in self.choices for c in row]
