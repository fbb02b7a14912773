"""What every chat flow gets besides the dependencies (bot/deps.py): the current user's turn
(Turn) and the main menu."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.app.messages import Choice, Reply
from bot.texts import tr


@dataclass
class Turn:
    user: str
    locale: str
    state: dict[str, Any]
    now: float
    from_button: bool = False
    private: bool = True  # Incoming.private: a one-to-one chat
    showing: str | None = None  # set by a flow whose reply shows its question with answer buttons

    def t(self, key: str, **values: object) -> str:
        return tr(self.locale, key, **values)

    def choice(self, key: str, action: str) -> Choice:
        return Choice(tr(self.locale, key), action)

    def flow(self) -> str | None:
        return self.state.get("flow")

    def clear_flow(self) -> None:
        for key in list(self.state):
            if key not in ("locale", "serial", "screen", "screen_at"):  # serial only grows: old buttons stay stale
                del self.state[key]


def main_menu(turn: Turn) -> list[list[Choice]]:
    c = turn.choice
    return [
        [c("btn_guides", "g:m"), c("btn_cases", "c:m")],
        [c("btn_law", "l:m"), c("btn_practice", "p:m")],
        [c("btn_exam", "x:l"), c("btn_pk", "v:j")],
        [c("btn_wrong", "p:w"), c("btn_review", "p:v")],
        [c("btn_me", "me"), c("btn_lang", "lang")],
    ]


def idle_menu(turn: Turn) -> list[list[Choice]]:
    """The main menu, or no choices while a flow runs: a reply that does not change the flow
    leaves the flow's own choices on screen (channels keep the last choices they showed)."""
    return [] if turn.flow() else main_menu(turn)


def on_screen(turn: Turn, what: str) -> bool:
    """Whether the user's last reply with choices showed `what` (see ChatService._note_screen)."""
    return turn.state.get("screen") == what


def menu_reply(turn: Turn, key: str = "menu", **values: object) -> Reply:
    return Reply(turn.t(key, **values), main_menu(turn))
