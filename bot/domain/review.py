"""Spaced review of missed questions, scheduled by FSRS (the `fsrs` package)."""

from __future__ import annotations

from datetime import UTC, datetime

import fsrs

_SCHEDULER = fsrs.Scheduler(enable_fuzzing=False)


def new_card_json(now: datetime) -> str:
    """A card for a question just answered wrong: reviewed 'Again' now."""
    # An explicit card_id: without one fsrs.Card() sleeps 1 ms (to keep generated ids unique),
    # which would block the event loop once per missed question when an exam is graded.
    card = fsrs.Card(card_id=int(now.timestamp() * 1000), due=now)
    card, _ = _SCHEDULER.review_card(card, fsrs.Rating.Again, review_datetime=now)
    return card.to_json()


def review(card_json: str, correct: bool, now: datetime) -> tuple[str, datetime]:
    card = fsrs.Card.from_json(card_json)
    rating = fsrs.Rating.Good if correct else fsrs.Rating.Again
    card, _ = _SCHEDULER.review_card(card, rating, review_datetime=now)
    return card.to_json(), card.due


def due_of(card_json: str) -> datetime:
    return fsrs.Card.from_json(card_json).due


def utc(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, tz=UTC)
