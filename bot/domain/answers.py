"""An answer as stored: choice indexes for single/multiple/judge, typed texts for 填空."""

from __future__ import annotations

import json

Answer = frozenset[int] | tuple[str, ...]


def encode(answer: Answer) -> str:
    """Choices as '0,2' (the original form); typed blanks as a JSON list '["a","b"]'."""
    if isinstance(answer, tuple):
        return json.dumps(list(answer), ensure_ascii=False)
    return ",".join(str(i) for i in sorted(answer))


def decode(text: str) -> Answer:
    if text.startswith("["):
        return tuple(str(part) for part in json.loads(text))
    return frozenset(int(p) for p in text.split(",") if p != "")


def is_given(answer: Answer | None) -> bool:
    """Something was answered (a typed answer counts when any blank is filled)."""
    if isinstance(answer, tuple):
        return any(part.strip() for part in answer)
    return bool(answer)
