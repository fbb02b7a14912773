"""The fair-exams repository (per-question clock, bind events, window sheets, flags), the same
tests on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio

from bot.domain.models import PaperItem
from bot.storage.ports import FlagRecord

PAPER = [PaperItem("q1", (1, 0, 2, 3), 2.0), PaperItem("q2", (0, 1), 1.0)]


def _flag(key: str, unit: str = "u1", kind: str = "fast", at: float = 10.0) -> FlagRecord:
    return FlagRecord(None, key, kind, "xuefa", "regular", unit, 7, 11, None, None,
                      {"fast": [{"n": 1, "took_s": 1.5}], "note": "张三"}, at)


async def test_a_question_keeps_the_time_it_was_first_shown(store):
    await store.fairness.mark_shown(5, 0, 100.0)
    await store.fairness.mark_shown(5, 0, 130.0)  # shown again later: the first time stays
    await store.fairness.mark_shown(5, 1, 131.5)
    await store.fairness.mark_shown(6, 0, 1.0)
    assert await store.fairness.shown_times(5) == {0: 100.0, 1: 131.5}
    assert await store.fairness.shown_times(99) == {}


async def test_a_flag_is_raised_once_per_key_even_from_two_tasks_at_once(store):
    results = await asyncio.gather(*(store.fairness.add_flag(_flag("fast:11")) for _ in range(4)))
    assert sorted(results) == [False, False, False, True]
    assert not await store.fairness.add_flag(_flag("fast:11"))
    assert await store.fairness.add_flag(_flag("fast:12", unit="u2", at=20.0))
    flags = await store.fairness.flags("xuefa")
    assert [f.key for f in flags] == ["fast:12", "fast:11"]  # newest first
    assert flags[1].evidence == {"fast": [{"n": 1, "took_s": 1.5}], "note": "张三"} and flags[1].id is not None
    assert [f.key for f in await store.fairness.flags("xuefa", ["u1"])] == ["fast:11"]
    assert await store.fairness.flags("xuefa", []) == [] and await store.fairness.flags("other") == []


async def test_bind_events_come_back_in_order(store):
    await store.fairness.record_bind_event(7, "tg", "tg:1", "bind", 10.0)
    await store.fairness.record_bind_event(7, "tg", "tg:1", "unbind", 20.0, by="cli:admin")
    await store.fairness.record_bind_event(7, "tg", "tg:2", "bind", 30.0)
    await store.fairness.record_bind_event(8, "wx", "wx:9", "bind", 15.0)
    events = await store.fairness.bind_events(7)
    assert [(e.kind, e.user_key, e.at, e.by) for e in events] == [
        ("bind", "tg:1", 10.0, ""), ("unbind", "tg:1", 20.0, "cli:admin"), ("bind", "tg:2", 30.0, "")]


async def test_window_sheets_hold_other_peoples_handed_in_answers_of_one_unit_and_window(store):
    async def sit(user, roster, unit, phase, answers, close=True):
        attempt = await store.attempts.create_attempt(user, "xuefa", "official", 0.0, 1e9, PAPER)
        await store.attempts.tag_attempt(attempt.id, roster, unit, phase)
        for pos, (choice, at) in answers.items():
            await store.attempts.save_answer(attempt.id, pos, choice, at)
        if close:
            await store.attempts.finish_attempt(attempt.id, "submitted", 50.0, 3.0, True)
        return attempt.id

    mine = await sit("tg:1", 1, "u1", "regular", {0: (frozenset({1}), 5.0)})
    other = await sit("tg:2", 2, "u1", "regular", {0: (frozenset({1}), 6.0), 1: (frozenset({0}), 7.5)})
    await sit("tg:3", 3, "u2", "regular", {0: (frozenset({1}), 6.0)})  # another unit
    await sit("tg:4", 4, "u1", "makeup", {0: (frozenset({1}), 6.0)})  # another window
    await sit("tg:5", 5, "u1", "regular", {0: (frozenset({1}), 6.0)}, close=False)  # not handed in
    sheets = await store.fairness.window_sheets("xuefa", "u1", "regular", exclude_roster=1)
    assert [(s.attempt_id, s.roster_id) for s in sheets] == [(other, 2)]
    assert sheets[0].paper == PAPER
    assert sheets[0].answers == {0: (frozenset({1}), 6.0), 1: (frozenset({0}), 7.5)}
    assert await store.fairness.attempt_tags(mine) == (1, "u1", "regular")
    assert await store.fairness.answer_times(other) == {0: 6.0, 1: 7.5}
    mock = await store.attempts.create_attempt("tg:1", "kemu1", "mock", 0.0, 1e9, PAPER)
    assert await store.fairness.attempt_tags(mock.id) is None
