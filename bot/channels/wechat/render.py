"""Replies -> WeChat text: choices become a numbered menu ("回复 1-4 选择"), and text longer than
one message is cut at line breaks into messages that each fit."""

from __future__ import annotations

from dataclasses import dataclass

from bot.app.messages import Choice, Reply, numbered_actions
from bot.texts import tr

SEPARATOR = "\n\n"


@dataclass(frozen=True, slots=True)
class Rendered:
    body: str  # every reply's text
    menu: str  # the numbered choices of the last reply that has any, and the hint; "" if none
    actions: list[str] | None  # number n -> actions[n-1]; None: keep the user's previous menu


def render(replies: list[Reply], locale: str) -> Rendered:
    texts = [r.text.strip() for r in replies if r.text and r.text.strip()]
    with_choices = [r for r in replies if r.flat_choices()]
    if not with_choices:
        return Rendered(SEPARATOR.join(texts), "", None)
    return Rendered(SEPARATOR.join(texts), numbered_menu(with_choices[-1].choices, locale), numbered_actions(replies))


def numbered_menu(rows: list[list[Choice]], locale: str) -> str:
    lines, n = [], 1
    for row in rows:
        if row:
            lines.append("　".join(f"{n + i}. {choice.label}" for i, choice in enumerate(row)))
            n += len(row)
    count = n - 1
    hint = tr(locale, "wx_choose_one") if count == 1 else tr(locale, "wx_choose", first=1, last=count)
    return "\n".join(lines) + "\n" + hint


def utf8_len(text: str) -> int:
    return len(text.encode("utf-8"))


def split_text(text: str, limit: int) -> list[str]:
    """Pieces of at most `limit` UTF-8 bytes, cut at line breaks where possible."""
    pieces: list[str] = []
    current = ""
    for line in text.split("\n"):
        candidate = f"{current}\n{line}" if current else line
        if utf8_len(candidate) <= limit:
            current = candidate
            continue
        if current:
            pieces.append(current)
        while utf8_len(line) > limit:  # one line longer than a message: cut by characters
            head = _prefix_within(line, limit)
            pieces.append(head)
            line = line[len(head):]
        current = line
    if current or not pieces:
        pieces.append(current)
    return pieces


def _prefix_within(text: str, limit: int) -> str:
    size, end = 0, 0
    for end, ch in enumerate(text):
        size += utf8_len(ch)
        if size > limit:
            return text[:max(end, 1)]
    return text


def messages(rendered: Rendered, locale: str, limit: int, can_continue: bool) -> list[str]:
    """The messages to send: the first is the passive reply. When everything does not fit in one
    and the message API is available, the rest follows as further messages (the menu stays with
    the last); otherwise the body is shortened so that the menu still fits."""
    full = SEPARATOR.join(p for p in (rendered.body, rendered.menu) if p)
    if utf8_len(full) <= limit:
        return [full]
    if can_continue:
        note = "\n" + tr(locale, "wx_continued")
        pieces = split_text(full, limit - utf8_len(note))
        return [piece + note for piece in pieces[:-1]] + [pieces[-1]]
    note = tr(locale, "wx_truncated")
    tail = SEPARATOR.join(p for p in (note, rendered.menu) if p)
    room = limit - utf8_len(tail) - 1
    body = split_text(rendered.body, room)[0] if room > 0 else ""
    shortened = f"{body}\n{tail}" if body else tail
    return [shortened if utf8_len(shortened) <= limit else _prefix_within(shortened, limit)]
