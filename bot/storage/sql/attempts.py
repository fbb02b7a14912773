"""Exam attempts and their answers; an attempt's paper is JSON text, an answer is text."""

from __future__ import annotations

import json
from collections import OrderedDict
from functools import lru_cache

from sqlalchemy import Text, bindparam, case, cast, delete, distinct, func, insert, select, update

from bot.domain.answers import Answer
from bot.domain.models import Attempt, PaperItem
from bot.storage.ports import AttemptSummary, ExamOutcome, ExamWeek, OfficialAttempt
from bot.storage.sql.base import Repo
from bot.storage.sql.database import Prepared
from bot.storage.sql.dialect import string_agg, upsert
from bot.storage.tables import attempt_answers, attempts

A = attempts
PAPER_CACHE = 20_000  # papers of attempts (immutable once drawn), parsed
OPEN_CACHE = 20_000  # attempts (without paper) as last read or written, where the database allows
TABLES = ("attempts", "attempt_answers")


def choice_text(choice) -> str:
    """Choice indexes as '0,2'; typed answers (a tuple of texts, one per blank) as a JSON list."""
    if isinstance(choice, tuple):
        return json.dumps(list(choice), ensure_ascii=False)
    return ",".join(str(i) for i in sorted(choice))


def _passed(stored: int | None) -> bool | None:
    return None if stored is None else bool(stored)


@lru_cache(maxsize=4096)
def choice_set(text: str) -> Answer:
    """The answer stored as `text` (immutable: a frozenset of choices or a tuple of fill-ins)."""
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
        # The attempt and its answers in one row: answers as "pos:choice" joined by \x1f (which a
        # stored choice never holds: JSON escapes control characters).
        B = attempt_answers
        answers = select(string_agg(self.dialect, cast(B.c.pos, Text) + ":" + B.c.choice, "\x1f")).where(
            B.c.attempt_id == A.c.id).scalar_subquery()
        fields = [A.c.user_key, A.c.exam_id, A.c.started_at, A.c.deadline, A.c.status, A.c.submitted_at, A.c.score,
                  A.c.passed, answers]
        self._get = Prepared(select(*fields, A.c.paper).where(A.c.id == bindparam("id")))
        self._get_without_paper = Prepared(select(*fields).where(A.c.id == bindparam("id")))
        self._papers: OrderedDict[int, list[PaperItem]] = OrderedDict()
        # SQLite: attempts as this process last read or wrote them, trusted while the database's
        # token for the two tables is the one seen after our own last write (nobody else wrote:
        # no other connection, no other code, no rollback). PostgreSQL: never (token None).
        self._rows: OrderedDict[int, tuple[tuple, dict]] = OrderedDict()
        self._token = None
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
        fresh = self._fresh()
        new_id = (await self.db.run(self._create, {
            "user_key": user, "exam_id": exam_id, "kind": kind, "started_at": started_at,
            "deadline": deadline, "paper": paper_json(paper)})).scalar()
        self._remember(new_id, list(paper))
        self._keep(new_id, ((user, exam_id, started_at, deadline, "open", None, None, None), {}), fresh)
        return Attempt(id=new_id, user=user, exam_id=exam_id, started_at=started_at, deadline=deadline,
                       paper=list(paper))

    def _remember(self, attempt_id: int, paper: list[PaperItem]) -> None:
        """A paper never changes after the draw, so a parsed copy cannot go stale (any worker)."""
        self._papers[attempt_id] = paper
        self._papers.move_to_end(attempt_id)
        while len(self._papers) > PAPER_CACHE:
            self._papers.popitem(last=False)

    def _fresh(self) -> bool:
        """Whether the cached rows may be trusted now (clears them when not)."""
        token = self.db.token(*TABLES)
        if token is None or token != self._token:
            self._rows.clear()
            self._token = token
            return token is not None
        return True

    def _keep(self, attempt_id: int, cached: tuple[tuple, dict] | None, fresh: bool) -> None:
        """After our own write: cache the attempt as it now is (drop it when None) and trust the
        cache again if it was trustworthy just before the write."""
        if not fresh:
            return
        if cached is None:
            self._rows.pop(attempt_id, None)
        else:
            self._rows[attempt_id] = cached
            self._rows.move_to_end(attempt_id)
            if len(self._rows) > OPEN_CACHE:
                self._rows.popitem(last=False)
        self._token = self.db.token(*TABLES)

    async def get_attempt(self, attempt_id: int) -> Attempt | None:
        paper = self._papers.get(attempt_id)
        if paper is not None and self._fresh():
            cached = self._rows.get(attempt_id)
            if cached is not None:
                f, answers = cached
                return Attempt(id=attempt_id, user=f[0], exam_id=f[1], started_at=f[2], deadline=f[3], status=f[4],
                               paper=list(paper), submitted_at=f[5], score=f[6],
                               passed=None if f[7] is None else bool(f[7]), answers=dict(answers))
        row = (await self.db.run(self._get if paper is None else self._get_without_paper, {"id": attempt_id})).first()
        if row is None:
            return None
        if paper is None:
            paper = paper_items(row[9])
            self._remember(attempt_id, paper)
        answers = {}
        if row[8]:
            for part in row[8].split("\x1f"):
                pos, _, choice = part.partition(":")
                answers[int(pos)] = choice_set(choice)
        if self._fresh():  # a read leaves the token as it was
            self._keep(attempt_id, (tuple(row[:8]), dict(answers)), True)
        return Attempt(id=attempt_id, user=row[0], exam_id=row[1], started_at=row[2], deadline=row[3],
                       status=row[4], paper=list(paper), submitted_at=row[5], score=row[6],
                       passed=None if row[7] is None else bool(row[7]), answers=answers)

    async def open_attempt_for(self, user: str) -> Attempt | None:
        found = (await self.db.run(self._open_for, {"user_key": user})).scalar()
        return await self.get_attempt(found) if found is not None else None

    async def count_attempts(self, user: str, exam_id: str) -> int:
        return (await self.db.run(select(func.count()).select_from(A).where(
            A.c.user_key == user, A.c.exam_id == exam_id))).scalar()

    async def save_answer(self, attempt_id: int, pos: int, choice, now: float) -> None:
        fresh = self._fresh()
        given = is_given(choice)
        text = choice_text(choice) if given else ""
        if given:
            await self.db.write(self._save, {"attempt_id": attempt_id, "pos": pos, "choice": text,
                                             "answered_at": now})
        else:
            await self.db.write(self._unsave, {"attempt_id": attempt_id, "pos": pos})
        cached = self._rows.get(attempt_id) if fresh else None
        if cached is not None:
            if given:
                cached[1][pos] = choice_set(text)
            else:
                cached[1].pop(pos, None)
        self._keep(attempt_id, cached, fresh)

    async def finish_attempt(self, attempt_id: int, status: str, now: float, score: float, passed: bool) -> bool:
        fresh = self._fresh()
        done = await self.db.run(self._finish, {"attempt_id": attempt_id, "status": status, "now": now,
                                                "score": float(score), "passed": int(passed)})
        self._keep(attempt_id, None, fresh)  # read again when next needed
        return done.rowcount == 1

    async def expired_open_attempts(self, now: float, limit: int = 100) -> list[int]:
        rows = await self.db.run(select(A.c.id).where(A.c.status == "open", A.c.deadline <= now)
                                 .order_by(A.c.deadline).limit(limit))
        return [r[0] for r in rows.rows]

    async def attempts_of(self, user: str, limit: int = 10) -> list[AttemptSummary]:
        rows = await self.db.run(select(A.c.id, A.c.exam_id, A.c.status, A.c.score, A.c.passed)
                                 .where(A.c.user_key == user, A.c.status != "open")
                                 .order_by(A.c.id.desc()).limit(limit))
        return [AttemptSummary(i, exam_id, status, score, _passed(passed)) for i, exam_id, status, score, passed in rows.rows]

    async def users_passed(self, exam_id: str) -> set[str]:
        rows = await self.db.run(select(A.c.user_key).distinct().where(A.c.exam_id == exam_id, A.c.passed == 1))
        return {r[0] for r in rows.rows}

    async def exam_week_stats(self, since: float, until: float) -> list[ExamWeek]:
        """Per exam: users, attempts and users who passed, for attempts handed in in [since, until)."""
        rows = await self.db.run(
            select(A.c.exam_id, func.count(distinct(A.c.user_key)), func.count(),
                   func.count(distinct(case((A.c.passed == 1, A.c.user_key)))))
            .where(A.c.status != "open", A.c.submitted_at >= since, A.c.submitted_at < until)
            .group_by(A.c.exam_id).order_by(A.c.exam_id))
        return [ExamWeek(exam_id, int(users), int(count), int(passed)) for exam_id, users, count, passed in rows.rows]

    async def tag_attempt(self, attempt_id: int, roster_id: int, unit_id: str, phase: str) -> None:
        fresh = self._fresh()  # (the cached fields hold no roster columns)
        await self.db.run(update(A).where(A.c.id == attempt_id).values(roster_id=roster_id, unit_id=unit_id,
                                                                       phase=phase))
        self._keep(attempt_id, self._rows.get(attempt_id), fresh)

    async def official_attempts(self, roster_id: int, exam_id: str) -> list[OfficialAttempt]:
        """One roster entry's attempts at one exam, oldest first."""
        rows = await self.db.run(select(A.c.id, A.c.phase, A.c.status, A.c.score, A.c.passed)
                                 .where(A.c.roster_id == roster_id, A.c.exam_id == exam_id).order_by(A.c.id))
        return [OfficialAttempt(i, phase, status, score, _passed(passed)) for i, phase, status, score, passed in rows.rows]

    async def official_record(self, roster_id: int) -> list[ExamOutcome]:
        """Every closed official attempt of a roster entry."""
        rows = await self.db.run(select(A.c.exam_id, A.c.passed).where(A.c.roster_id == roster_id, A.c.status != "open"))
        return [ExamOutcome(exam_id, _passed(passed)) for exam_id, passed in rows.rows]
