"""SQLite storage: migrations, atomic transactions, idempotent updates, the outbox."""

from __future__ import annotations

import pytest

from bot.domain.models import PaperItem
from bot.storage.sqlite import SqliteStorage, _migrations


@pytest.fixture
async def store(tmp_path):
    s = await SqliteStorage.open(tmp_path / "s.sqlite3")
    yield s
    await s.close()


async def test_migrations_bring_a_new_database_to_the_latest_version(store, tmp_path):
    latest = max(number for number, _, _ in _migrations())
    assert await store.migrate() == latest
    reopened = await SqliteStorage.open(tmp_path / "s.sqlite3")  # idempotent on an existing file
    assert await reopened.migrate() == latest
    await reopened.close()


async def test_wal_and_foreign_keys_are_on(store):
    assert (await store._one("PRAGMA journal_mode"))[0] == "wal"
    assert (await store._one("PRAGMA foreign_keys"))[0] == 1


async def test_atomic_rolls_back_everything_on_error(store):
    with pytest.raises(RuntimeError):
        async with store.atomic():
            await store.log_answer("u", "q1", True, 10, "random", 1.0)
            await store.put_wrong("u", "q1", 0, 1.0)
            raise RuntimeError("boom")
    assert await store.answer_stats("u") == (0, 0)
    assert await store.wrong_entries("u") == []


async def test_update_keys_are_recorded_once(store):
    assert await store.first_seen("tg:1", 1.0)
    assert not await store.first_seen("tg:1", 2.0)


async def test_attempt_answers_round_trip_and_finish_once(store, tmp_path):
    paper = [PaperItem("q1", (2, 0, 1), 2.0), PaperItem("q2", (0, 1), 1.0)]
    attempt = await store.create_attempt("u", "e", "mock", 0.0, 60.0, paper)
    await store.save_answer(attempt.id, 0, frozenset({1, 2}), 1.0)
    await store.save_answer(attempt.id, 1, frozenset({0}), 2.0)
    await store.save_answer(attempt.id, 1, frozenset(), 3.0)  # cleared again
    other = await SqliteStorage.open(tmp_path / "s.sqlite3")  # what a restarted process sees
    loaded = await other.get_attempt(attempt.id)
    assert loaded.paper == paper and loaded.answers == {0: frozenset({1, 2})}
    await other.close()
    assert await store.finish_attempt(attempt.id, "submitted", 5.0, 2.0, True)
    assert not await store.finish_attempt(attempt.id, "expired", 6.0, 0.0, False)
    assert (await store.get_attempt(attempt.id)).status == "submitted"


async def test_outbox_dedupes_and_tracks_outcomes(store):
    assert await store.enqueue("tg", "tg:1", {"text": "hi"}, "k1", 0.0)
    assert not await store.enqueue("tg", "tg:1", {"text": "hi again"}, "k1", 0.0)
    [message] = await store.due_messages("tg", 1.0, 10)
    await store.mark_retry(message.id, 100.0, "timeout")
    assert await store.due_messages("tg", 50.0, 10) == []
    [again] = await store.due_messages("tg", 100.0, 10)
    assert again.tries == 1
    await store.mark_sent(again.id, 101.0)
    assert await store.due_messages("tg", 1000.0, 10) == []


async def test_activity_log(store):
    await store.log_activity("u", "case_read", "gaokong", 10.0)
    await store.log_activity("u", "case_read", "gaokong", 20.0)
    assert await store.activity_count("u", "case_read") == 2
    assert await store.activity_count("u", "case_read", since=15.0) == 1


async def test_missed_questions_batch_keeps_existing_streaks_and_upserts_cards(store):
    await store.put_wrong("u", "q1", 1, 1.0)
    await store.add_missed("u", ["q1", "q2"], 2.0)
    assert {(e.question_id, e.streak) for e in await store.wrong_entries("u")} == {("q1", 1), ("q2", 0)}
    await store.put_cards("u", [("q1", "{}", 5.0), ("q2", "{}", 6.0)])
    await store.put_cards("u", [("q2", '{"x":1}', 7.0)])
    assert await store.cards_for("u", ["q1", "q2", "q3"]) == {"q1": "{}", "q2": '{"x":1}'}
    assert await store.cards_for("u", []) == {}
