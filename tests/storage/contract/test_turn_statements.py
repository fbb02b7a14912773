"""A chat turn's statements (lock, first read, queued writes) on SQLite and PostgreSQL: what a turn
writes reads back unchanged whatever the text, the open attempt read with the turn is the attempt
as it is, a failed write undoes the turn, and on PostgreSQL a turn costs three round trips."""

from __future__ import annotations

import math

import pytest

from bot.domain.models import PaperItem
from bot.storage.sql.store import open_store

# texts that a literal written into SQL must survive (quotes, backslashes, $n, comments, E'')
TRICKY = ["it's", "back\\slash", "\\x41 \\' \\\\", "$1 $2 $$", "E'x'", "-- not a comment", "/* nor this */",
          "名\n值\t", "'; DROP TABLE sessions; --", "\\", "'", "", "😀 é"]
PAPER = [PaperItem("q1", (2, 0, 1), 2.0), PaperItem("f1", (), 1.0), PaperItem("q2", (0, 1), 1.0)]


async def test_a_turn_writes_any_text_and_number_unchanged(store, target):
    for i, text in enumerate(TRICKY):
        user = f"wx:{text}"  # the user key itself goes into the lock and the reads
        attempt = await store.attempts.create_attempt(user, "e", "mock", 0.0, 60.0, PAPER)
        async with store.atomic():
            state, blocked, _revision = await store.sessions.get_turn_with_exams(user)
            assert (state, blocked) == ({}, None)
            await store.users.ensure_user(user, -1.25)
            await store.attempts.save_answer(attempt.id, 1, (text, "x"), -1e-300 * i)
            await store.sessions.set_state(user, {"t": text, "n": -i, "f": -0.5 - i}, 1e300)
        other = await open_store(target)  # what another worker sees
        try:
            assert await other.sessions.get_state(user) == {"t": text, "n": -i, "f": -0.5 - i}
            assert (await other.attempts.get_attempt(attempt.id)).answers == {1: (text, "x")}
        finally:
            await other.close()
        async with store.atomic():
            state, blocked, _revision = await store.sessions.get_turn_with_exams(user)
            assert (state["t"], blocked) == (text, False)
    await store.sessions.set_state("wx:inf", {}, math.inf)  # not a number PostgreSQL writes as 1e309
    await store.sessions.set_state("wx:inf", {"k": 1}, -math.inf)
    assert await store.sessions.get_state("wx:inf") == {"k": 1}


async def test_the_open_attempt_read_with_the_turn_is_the_attempt_as_it_is(store):
    older = await store.attempts.create_attempt("u", "e", "mock", 0.0, 60.0, PAPER)
    newer = await store.attempts.create_attempt("u", "e2", "mock", 1.0, 61.0, PAPER)
    await store.attempts.save_answer(newer.id, 0, frozenset({1}), 2.0)
    await store.attempts.save_answer(older.id, 2, frozenset({0}), 2.0)
    async with store.atomic():
        await store.sessions.get_turn_with_exams("u")
        got = await store.attempts.get_attempt(newer.id)
        assert (got.exam_id, got.answers, got.paper, got.status) == ("e2", {0: frozenset({1})}, PAPER, "open")
        await store.attempts.save_answer(newer.id, 1, ("a", "b"), 3.0)
        assert (await store.attempts.get_attempt(newer.id)).answers == {0: frozenset({1}), 1: ("a", "b")}
    async with store.atomic():
        await store.sessions.get_turn_with_exams("u")
        assert (await store.attempts.get_attempt(older.id)).answers == {2: frozenset({0})}  # not the newest
    async with store.atomic():
        await store.sessions.get_turn_with_exams("u")
        await store.attempts.save_answer(newer.id, 0, frozenset({2}), 4.0)  # a write before the read
        assert (await store.attempts.get_attempt(newer.id)).answers == {0: frozenset({2}), 1: ("a", "b")}
    assert await store.attempts.finish_attempt(newer.id, "submitted", 5.0, 1.0, True)
    async with store.atomic():
        await store.sessions.get_turn_with_exams("u")
        assert (await store.attempts.get_attempt(newer.id)).status == "submitted"


async def test_a_failed_write_at_the_end_undoes_the_whole_turn(store):
    attempt = await store.attempts.create_attempt("u", "e", "mock", 0.0, 60.0, PAPER)
    await store.sessions.set_state("u", {"n": 1}, 1.0)
    for _ in range(2):  # the second time with the statements already prepared on the connection
        with pytest.raises(Exception, match=r"(?i)foreign key"):
            async with store.atomic():
                await store.sessions.get_turn_with_exams("u")
                await store.attempts.save_answer(attempt.id, 0, frozenset({1}), 2.0)
                await store.sessions.set_state("u", {"n": 2}, 2.0)
                await store.attempts.save_answer(attempt.id + 99, 0, frozenset({1}), 2.0)  # no such attempt
        assert await store.sessions.get_state("u") == {"n": 1}
        assert (await store.attempts.get_attempt(attempt.id)).answers == {}
    async with store.atomic():  # the connections are fine afterwards
        await store.sessions.get_turn_with_exams("u")
        await store.attempts.save_answer(attempt.id, 0, frozenset({1}), 2.0)
        await store.sessions.set_state("u", {"n": 3}, 3.0)
    assert await store.sessions.get_state("u") == {"n": 3}


async def test_an_exam_answer_turn_costs_three_round_trips_on_postgresql(store, target, monkeypatch):
    """Lock (with BEGIN), the first read (state, blocked, exams' revision, open attempt), and the
    writes with COMMIT: get_attempt reads nothing more."""
    if not target.startswith("postgresql"):
        pytest.skip("round trips are PostgreSQL's cost")
    import asyncpg

    attempt = await store.attempts.create_attempt("u", "e", "mock", 0.0, 60.0, PAPER)
    sent: list[str] = []
    cls = asyncpg.Connection

    def spy(real):
        def sending(self, query, *args, **kwargs):
            sent.append(query)
            return real(self, query, *args, **kwargs)
        return sending

    for name in ("execute", "fetch", "fetchrow", "fetchval", "executemany"):
        monkeypatch.setattr(cls, name, spy(getattr(cls, name)))

    async def turn(pos: int) -> None:
        async with store.atomic():
            await store.sessions.get_turn_with_exams("u")
            got = await store.attempts.get_attempt(attempt.id)
            assert got.answers == {p: frozenset({0}) for p in range(pos)}
            await store.attempts.save_answer(attempt.id, pos, frozenset({0}), 1.0 + pos)
            await store.sessions.set_state("u", {"pos": pos + 1}, 1.0 + pos)

    for pos in range(3):  # the pool's connections prepare their statements on first use
        await turn(pos)
    sent.clear()
    await turn(3)
    assert len(sent) == 3, sent
    assert sent[0].startswith("BEGIN;") and "7114" in sent[0] and sent[-1].endswith("COMMIT")


async def test_row_counts_of_writes_sent_with_begin(store):
    """A write whose row count is all the caller reads travels with BEGIN (PostgreSQL); a
    statement built per call has its values written into its SQL, a Prepared one is EXECUTEd."""
    async with store.atomic():
        assert await store.updates.first_seen("tg:'1\\", 1.0)
        assert not await store.updates.first_seen("tg:'1\\", 2.0)
        await store.updates.forget_updates_before(-0.5)  # forgets nothing
        assert not await store.updates.first_seen("tg:'1\\", 2.0)
    async with store.atomic():
        await store.updates.forget_updates_before(1.5)  # the first statement of the transaction
        assert await store.updates.first_seen("tg:'1\\", 3.0)  # forgotten, so new again
