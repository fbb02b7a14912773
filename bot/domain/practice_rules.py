"""Rules of the mistake notebook (错题本)."""

from __future__ import annotations


def wrong_book_step(streak: int, correct: bool, clear_after: int) -> tuple[int, bool]:
    """New streak after an answer to a notebook question, and whether it leaves the notebook."""
    if not correct:
        return 0, False
    streak += 1
    return streak, streak >= clear_after
