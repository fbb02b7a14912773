"""FSRS cards are created without blocking the event loop."""

import time

from bot.domain import review


def test_new_card_does_not_sleep(monkeypatch):
    def no_sleep(seconds):
        raise AssertionError("fsrs.Card() slept: it blocks the event loop")

    monkeypatch.setattr(time, "sleep", no_sleep)
    now = review.utc(1_767_225_600.0)
    card = review.new_card_json(now)
    assert review.due_of(card) >= now
    again, due = review.review(card, True, now)
    assert due >= now and again
