"""答题PK storage: the matchmaking queue (taken atomically: DELETE … RETURNING on a row locked
with SKIP LOCKED, so two workers never hand out one waiting player twice), matches, their
players (a unique index allows one active match per person) and answers."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import ColumnElement, Double, case, cast, delete, func, insert, select, update

from bot.storage.ports import PkAnswer, PkMatch, PkPlayer, PkQueueEntry
from bot.storage.sql.base import Repo, dumps
from bot.storage.sql.dialect import insert_ignore
from bot.storage.tables import answer_log, pk_answers, pk_matches, pk_players, pk_queue

Q, M, P, A = pk_queue.c, pk_matches.c, pk_players.c, pk_answers.c
_QUEUE = (Q.user_key, Q.unit_id, Q.locale, Q.joined_at)
_MATCH = (M.id, M.status, M.questions, M.pos, M.started_at, M.deadline, M.created_at, M.finished_at,
          M.winner, M.reason, M.robot)


def _entry(row) -> PkQueueEntry:
    return PkQueueEntry(row[0], row[1], row[2], float(row[3]))


class SqlPk(Repo):
    def __init__(self, db):
        super().__init__(db)
        self._enqueue = insert_ignore(self.dialect, pk_queue)
        self._answer = insert_ignore(self.dialect, pk_answers)

    # --- the queue -------------------------------------------------------------------
    async def queued(self, user: str) -> PkQueueEntry | None:
        row = (await self.db.run(select(*_QUEUE).where(Q.user_key == user))).first()
        return None if row is None else _entry(row)

    async def enqueue(self, entry: PkQueueEntry) -> bool:
        result = await self.db.run(self._enqueue, {"user_key": entry.user, "unit_id": entry.unit_id,
                                                   "locale": entry.locale, "joined_at": entry.joined_at})
        return result.rowcount > 0

    async def take_opponent(self, user: str, unit_id: str | None) -> PkQueueEntry | None:
        order: list[ColumnElement[Any]] = [Q.joined_at, Q.user_key]
        if unit_id is not None:
            order.insert(0, case((Q.unit_id == unit_id, 0), else_=1))
        pick = (select(Q.user_key).where(Q.user_key != user).order_by(*order).limit(1)
                .with_for_update(skip_locked=True).scalar_subquery())
        row = (await self.db.run(delete(pk_queue).where(Q.user_key == pick).returning(*_QUEUE))).first()
        return None if row is None else _entry(row)

    async def take_queued(self, user: str) -> PkQueueEntry | None:
        row = (await self.db.run(delete(pk_queue).where(Q.user_key == user).returning(*_QUEUE))).first()
        return None if row is None else _entry(row)

    async def waiting(self, joined_before: float, limit: int = 100) -> list[PkQueueEntry]:
        rows = await self.db.run(select(*_QUEUE).where(Q.joined_at <= joined_before)
                                 .order_by(Q.joined_at, Q.user_key).limit(limit))
        return [_entry(r) for r in rows.rows]

    # --- matches ---------------------------------------------------------------------
    async def create_match(self, questions: list[str], players: list[tuple[str, str]], now: float,
                           deadline: float, robot: list | None) -> int:
        async with self.db.transaction():
            match_id = (await self.db.run(insert(pk_matches).returning(M.id), {
                "status": "active", "questions": dumps(list(questions)), "pos": 0, "started_at": now,
                "deadline": deadline, "created_at": now, "robot": None if robot is None else dumps(robot)})).scalar()
            for seat, (user, locale) in enumerate(players):
                await self.db.run(insert(pk_players), {"match_id": match_id, "seat": seat, "user_key": user,
                                                       "locale": locale, "active": 1, "rematch": 0})
        return int(match_id)

    async def get_match(self, match_id: int, lock: bool = False) -> PkMatch | None:
        stmt = select(*_MATCH).where(M.id == match_id)
        if lock and self.dialect == "postgresql":
            stmt = stmt.with_for_update()
        row = (await self.db.run(stmt)).first()
        if row is None:
            return None
        players = (await self.db.run(select(P.seat, P.user_key, P.locale, P.active, P.rematch)
                                     .where(P.match_id == match_id).order_by(P.seat))).rows
        return PkMatch(int(row[0]), row[1], tuple(json.loads(row[2])), int(row[3]), float(row[4]), float(row[5]),
                       float(row[6]), row[7], row[8], row[9], None if row[10] is None else json.loads(row[10]),
                       tuple(PkPlayer(int(s), u, loc, bool(a), bool(r)) for s, u, loc, a, r in players))

    async def active_match_of(self, user: str) -> int | None:
        return (await self.db.run(select(P.match_id).where(P.user_key == user, P.active == 1))).scalar()

    async def last_match_of(self, user: str) -> int | None:
        return (await self.db.run(select(func.max(P.match_id)).where(P.user_key == user))).scalar()

    async def add_answer(self, match_id: int, answer: PkAnswer, now: float) -> bool:
        result = await self.db.run(self._answer, {"match_id": match_id, "user_key": answer.user, "pos": answer.pos,
                                                  "choice": answer.choice, "correct": int(answer.correct),
                                                  "ms": answer.ms, "at": now})
        return result.rowcount > 0

    async def answers(self, match_id: int) -> list[PkAnswer]:
        rows = await self.db.run(select(A.user_key, A.pos, A.choice, A.correct, A.ms)
                                 .where(A.match_id == match_id).order_by(A.pos, A.user_key))
        return [PkAnswer(u, int(p), int(c), bool(ok), int(ms)) for u, p, c, ok, ms in rows.rows]

    async def advance(self, match_id: int, from_pos: int, now: float, deadline: float) -> bool:
        result = await self.db.run(update(pk_matches).where(M.id == match_id, M.status == "active", M.pos == from_pos)
                                   .values(pos=from_pos + 1, started_at=now, deadline=deadline))
        return result.rowcount > 0

    async def finish(self, match_id: int, now: float, winner: str | None, reason: str) -> bool:
        async with self.db.transaction():
            result = await self.db.run(update(pk_matches).where(M.id == match_id, M.status == "active")
                                       .values(status="done", finished_at=now, winner=winner, reason=reason))
            if result.rowcount == 0:
                return False
            await self.db.run(update(pk_players).where(P.match_id == match_id).values(active=0))
        return True

    async def overdue(self, now: float, limit: int = 100) -> list[int]:
        rows = await self.db.run(select(M.id).where(M.status == "active", M.deadline <= now)
                                 .order_by(M.deadline).limit(limit))
        return [int(r[0]) for r in rows.rows]

    async def set_rematch(self, match_id: int, user: str) -> bool:
        result = await self.db.run(update(pk_players).where(P.match_id == match_id, P.user_key == user)
                                   .values(rematch=1))
        return result.rowcount > 0

    async def answer_stats(self, question_ids: list[str]) -> dict[str, tuple[int, int, float | None]]:
        if not question_ids:
            return {}
        L = answer_log.c
        timed = case(((L.elapsed_ms > 0) & (L.elapsed_ms <= 60_000), cast(L.elapsed_ms, Double)), else_=None)
        rows = await self.db.run(select(L.question_id, func.count(), func.sum(L.correct), func.avg(timed))
                                 .where(L.question_id.in_(question_ids)).group_by(L.question_id))
        return {q: (int(n), int(ok or 0), None if ms is None else float(ms)) for q, n, ok, ms in rows.rows}
