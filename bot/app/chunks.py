"""Splitting long texts into messages under a platform limit (Telegram: 4,096 characters)."""

from __future__ import annotations

LIMIT = 4000  # a margin under Telegram's 4,096 for a header added by a channel


def split_text(text: str, limit: int = LIMIT) -> list[str]:
    """Split at paragraph breaks, then at sentence ends (。；), then hard at the limit."""
    if len(text) <= limit:
        return [text]
    parts: list[str] = []
    current = ""
    for piece in _pieces(text, limit):
        if current and len(current) + len(piece) > limit:
            parts.append(current.rstrip("\n"))
            current = ""
        current += piece
    if current.strip():
        parts.append(current.rstrip("\n"))
    return parts


def _pieces(text: str, limit: int) -> list[str]:
    out = []
    for para in text.splitlines(keepends=True):
        if len(para) <= limit:
            out.append(para)
            continue
        sentence = ""
        for ch in para:
            sentence += ch
            if ch in "。；;！？!?" or len(sentence) >= limit:
                out.append(sentence)
                sentence = ""
        if sentence:
            out.append(sentence)
    return out
