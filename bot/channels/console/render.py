"""Reply -> terminal text: choices numbered so the user can type the number."""

from __future__ import annotations

from bot.app.messages import Choice, Reply


def render(reply: Reply) -> tuple[str, list[Choice]]:
    lines = [reply.text]
    choices = reply.flat_choices()
    if choices:
        lines.append("")
        for row_start, row in _numbered_rows(reply):
            lines.append("  ".join(f"[{row_start + i}] {c.label}" for i, c in enumerate(row)))
    if reply.attachment is not None:
        lines.append(f"(attachment: {reply.attachment.filename}, {len(reply.attachment.data)} bytes)")
    return "\n".join(lines), choices


def _numbered_rows(reply: Reply):
    n = 1
    for row in reply.choices:
        yield n, row
        n += len(row)
