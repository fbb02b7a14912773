"""Reply -> terminal text: choices numbered so the user can type the number."""

from __future__ import annotations

from pathlib import Path

from bot.app.messages import Choice, Reply
from bot.texts import tr


def render(reply: Reply, saved: Path | None = None, locale: str = "zh") -> tuple[str, list[Choice]]:
    """saved: where the console wrote the reply's attachment (None: not saved, show its size)."""
    lines = [reply.text]
    choices = reply.flat_choices()
    if choices:
        lines.append("")
        for row_start, row in _numbered_rows(reply):
            lines.append("  ".join(f"[{row_start + i}] {c.label}" for i, c in enumerate(row)))
    if reply.attachment is not None and saved is not None:
        lines.append(tr(locale, "console_saved", name=reply.attachment.filename, path=saved))
    elif reply.attachment is not None:
        lines.append(tr(locale, "console_attachment", name=reply.attachment.filename, size=len(reply.attachment.data)))
    return "\n".join(lines), choices


def _numbered_rows(reply: Reply):
    n = 1
    for row in reply.choices:
        yield n, row
        n += len(row)
