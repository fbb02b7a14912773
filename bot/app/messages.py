"""What channels hand to the core and what the core hands back. No platform types here."""

from __future__ import annotations

import unicodedata
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
    # The channel shows choices as a numbered list (text-only platforms): a typed number picks
    # from the list the user was shown last. The core resolves it inside the user's turn (after
    # any other turn of this user on any worker has committed) and stores the list the replies
    # show in the same transaction (see ChatService).
    numbered: bool = False


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


def typed_number(text: str | None) -> int | None:
    """The number a message consists of (1-3 digits, spaces around allowed; full-width ones as an
    input method in full-width mode types them), if any: a pick from a numbered list."""
    typed = unicodedata.normalize("NFKC", text or "").strip()
    return int(typed) if 0 < len(typed) <= 3 and typed.isascii() and typed.isdigit() else None


def numbered_actions(replies: list[Reply]) -> list[str] | None:
    """The actions of the numbered list these replies show: the choices of the last reply that
    has any, in reading order (number n picks item n-1). None: no reply has choices, so the list
    shown before stays the current one."""
    for reply in reversed(replies):
        choices = reply.flat_choices()
        if choices:
            return [c.action for c in choices]
    return None
