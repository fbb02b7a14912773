"""Exam attempts and their answers; an attempt's paper is JSON text, an answer is text."""

from __future__ import annotations

import json
from collections import OrderedDict

from sqlalchemy import bindparam, delete, distinct, func, insert, select, update, case

from bot.domain.models import Attempt, PaperItem
from bot.storage.sql.database import Prepared
from bot.storage.sql.base import Repo
from bot.storage.sql.dialect import upsert
from bot.storage.tables import attempt_answers, attempts

A = attempts
PAPER_CACHE = 20_000  # papers of attempts (immutable once drawn), parsed


def choice_text(choice) -> str:
    """Choice indexes as '0,2'; typed answers (a tuple of texts, one per blank) as a JSON list."""
    if isinstance(choice, tuple):
        return json.dumps(list(choice), ensure_ascii=False)
    return ",".join(str(i) for i in sorted(choice))


def choice_set(text: str):
    if text.startswith("["):
        return tuple(str(part) for part in json.loads(text))
    return frozenset(int(p) for p in text.split(",") if p != "")


def is_given(choice) -> bool:
    if isinstance(choice, tuple):
        return any(part.strip() for part in choice)
    return bool(choice)


def paper_json(paper: list[PaperItem]) -> str:
    return json.dumps([[p.qid, list(p.order), p.points] for p in paper], separators=(",", ":"))


def paper_items(text: str) -> list[PaperItem]:
    return [PaperItem(qid=q, order=tuple(o), points=float(pts)) for q, o, pts in json.loads(text)]


class SqlAttempts(Repo):
    def __init__(self, db):
        super().__init__(db)
        self._create = Prepared(insert(A).returning(A.c.id), "user_key", "exam_id", "kind", "started_at", "deadline",
                                "paper")
        self._get = Prepared(select(A.c.id, A.c.user_key, A.c.exam_id, A.c.started_at, A.c.deadline, A.c.status, A.c.paper,
                           A.c.submitted_at, A.c.score, A.c.passed).where(A.c.id == bindparam("id")))
        self._get_without_paper = Prepared(select(
            A.c.id, A.c.user_key, A.c.exam_id, A.c.started_at, A.c.deadline, A.c.status, A.c.submitted_at, A.c.score,
            A.c.passed).where(A.c.id == bindparam("id")))
        self._papers: OrderedDict[int, list[PaperItem]] = OrderedDict()
        self._answers = Prepared(select(attempt_answers.c.pos, attempt_answers.c.choice).where(
            attempt_answers.c.attempt_id == bindparam("id")))
        self._open_for = Prepared(select(A.c.id).where(A.c.user_key == bindparam("user_key"), A.c.status == "open")
                          .order_by(A.c.id.desc()).limit(1))
        self._save = Prepared(upsert(self.dialect, attempt_answers, ["attempt_id", "pos"], ["choice", "answered_at"]),
                              "attempt_id", "pos", "choice", "answered_at")
        self._unsave = Prepared(delete(attempt_answers).where(attempt_answers.c.attempt_id == bindparam("attempt_id"),
                                                     attempt_answers.c.pos == bindparam("pos")))
        self._finish = Prepared(update(A).where(A.c.id == bindparam("attempt_id"), A.c.status == "open")
                        .values(status=bindparam("status"), submitted_at=bindparam("now"),
                                score=bindparam("score"), passed=bindparam("passed")))

    async def create_attempt(self, user: str, exam_id: str, kind: str, started_at: float,
                             deadline: float, paper: list[PaperItem]) -> Attempt:
        new_id = (await self.db.run(self._create, {
            "user_key": user, "exam_id": exam_id, "kind": kind, "started_at": started_at,
            "deadline": deadline, "paper": paper_json(paper)})).scalar()
        self._remember(new_id, list(paper))
        return Attempt(id=new_id, user=user, exam_id=exam_id, started_at=started_at, deadline=deadline,
                       paper=list(paper))

    def _remember(self, attempt_id: int, paper: list[PaperItem]) -> None:
        """A paper never changes after the draw, so a parsed copy cannot go stale (any worker)."""
        self._papers[attempt_id] = paper
        self._papers.move_to_end(attempt_id)
        while len(self._papers) > PAPER_CACHE:
            self._papers.popitem(last=False)

    async def get_attempt(self, attempt_id: int) -> Attempt | None:
        paper = self._papers.get(attempt_id)
        async with self.db.transaction():  # the attempt and its answers from one snapshot
            if paper is None:
                row = (await self.db.run(self._get, {"id": attempt_id})).first()
                if row is None:
                    return None
                paper = paper_items(row[6])
                self._remember(attempt_id, paper)
                row = row[:6] + row[7:]
            else:
                row = (await self.db.run(self._get_without_paper, {"id": attempt_id})).first()
                if row is None:
                    return None
            answers = (await self.db.run(self._answers, {"id": attempt_id})).rows
        return Attempt(id=row[0], user=row[1], exam_id=row[2], started_at=row[3], deadline=row[4],
                       status=row[5], paper=list(paper), submitted_at=row[6], score=row[7],
                       passed=None if row[8] is None else bool(row[8]),
                       answers={pos: choice_set(choice) for pos, choice in answers})

    async def open_attempt_for(self, user: str) -> Attempt | None:
        found = (await self.db.run(self._open_for, {"user_key": user})).scalar()
        return await self.get_attempt(found) if found is not None else None

    async def count_attempts(self, user: str, exam_id: str) -> int:
        return (await self.db.run(select(func.count()).select_from(A).where(
            A.c.user_key == user, A.c.exam_id == exam_id))).scalar()

    async def save_answer(self, attempt_id: int, pos: int, choice, now: float) -> None:
        if is_given(choice):
            await self.db.run(self._save, {"attempt_id": attempt_id, "pos": pos, "choice": choice_text(choice),
                                           "answered_at": now})
        else:
            await self.db.run(self._unsave, {"attempt_id": attempt_id, "pos": pos})

    async def finish_attempt(self, attempt_id: int, status: str, now: float, score: float, passed: bool) -> bool:
        done = await self.db.run(self._finish, {"attempt_id": attempt_id, "status": status, "now": now,
                                                "score": float(score), "passed": int(passed)})
        return done.rowcount == 1

    async def expired_open_attempts(self, now: float, limit: int = 100) -> list[int]:
        rows = await self.db.run(select(A.c.id).where(A.c.status == "open", A.c.deadline <= now)
                                 .order_by(A.c.deadline).limit(limit))
        return [r[0] for r in rows.rows]

    async def attempts_of(self, user: str, limit: int = 10) -> list[tuple[int, str, str, float | None, int | None]]:
        return (await self.db.run(select(A.c.id, A.c.exam_id, A.c.status, A.c.score, A.c.passed)
                                  .where(A.c.user_key == user, A.c.status != "open")
                                  .order_by(A.c.id.desc()).limit(limit))).rows

    async def users_passed(self, exam_id: str) -> set[str]:
        rows = await self.db.run(select(A.c.user_key).distinct().where(A.c.exam_id == exam_id, A.c.passed == 1))
        return {r[0] for r in rows.rows}

    async def exam_week_stats(self, since: float, until: float) -> list[tuple[str, int, int, int]]:
        """(exam_id, users, attempts, users who passed) for attempts handed in in [since, until)."""
        return (await self.db.run(
            select(A.c.exam_id, func.count(distinct(A.c.user_key)), func.count(),
                   func.count(distinct(case((A.c.passed == 1, A.c.user_key)))))
            .where(A.c.status != "open", A.c.submitted_at >= since, A.c.submitted_at < until)
            .group_by(A.c.exam_id).order_by(A.c.exam_id))).rows

    async def tag_attempt(self, attempt_id: int, roster_id: int, unit_id: str, phase: str) -> None:
        await self.db.run(update(A).where(A.c.id == attempt_id).values(roster_id=roster_id, unit_id=unit_id,
                                                                       phase=phase))

    async def official_attempts(self, roster_id: int, exam_id: str) -> list[tuple[int, str, str, float | None, int | None]]:
        """(id, phase, status, score, passed) of one roster entry on one exam, oldest first."""
        return (await self.db.run(select(A.c.id, A.c.phase, A.c.status, A.c.score, A.c.passed)
                                  .where(A.c.roster_id == roster_id, A.c.exam_id == exam_id).order_by(A.c.id))).rows

    async def official_record(self, roster_id: int) -> list[tuple[str, int | None]]:
        """(exam_id, passed) of every closed official attempt of a roster entry."""
        return (await self.db.run(select(A.c.exam_id, A.c.passed)
                                  .where(A.c.roster_id == roster_id, A.c.status != "open"))).rows
