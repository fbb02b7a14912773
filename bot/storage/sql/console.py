"""Web console storage: official exams created in the console and the
"handled" marks on lookup gaps."""

from __future__ import annotations

import json

from sqlalchemy import and_, delete, func, select, update

from bot.storage.ports import ConsoleExamRow, GapMark
from bot.storage.sql.base import Repo, dumps
from bot.storage.sql.dialect import insert_ignore, upsert
from bot.storage.tables import console_exams, gap_marks

E, M = console_exams.c, gap_marks.c
_COLUMNS = (E.id, E.body, E.revision, E.created_by, E.created_at, E.updated_by, E.updated_at)


def revision_query():
    """SELECT the console exams' revision (also a scalar subquery of a turn's first read)."""
    return select(func.coalesce(func.sum(E.revision), 0))


def _row(row) -> ConsoleExamRow:
    return ConsoleExamRow(row[0], json.loads(row[1]), int(row[2]), row[3], row[4], row[5], row[6])


class SqlConsoleExams(Repo):
    async def exam_revision(self) -> int:
        return int((await self.db.run(revision_query())).scalar())

    async def console_exams(self) -> list[ConsoleExamRow]:
        return [_row(r) for r in (await self.db.run(select(*_COLUMNS).order_by(E.created_at, E.id))).rows]

    async def console_exam(self, exam_id: str) -> ConsoleExamRow | None:
        row = (await self.db.run(select(*_COLUMNS).where(E.id == exam_id))).first()
        return None if row is None else _row(row)

    async def save_console_exam(self, exam_id: str, body: dict, by: str, now: float, create: bool,
                                expected_revision: int | None = None) -> bool:
        async with self.db.transaction():
            revision = int((await self.db.run(select(func.coalesce(func.max(E.revision), 0)))).scalar()) + 1
            if create:
                done = await self.db.run(insert_ignore(self.dialect, console_exams, ["id"]), {
                    "id": exam_id, "body": dumps(body), "revision": revision, "created_by": by, "created_at": now,
                    "updated_by": by, "updated_at": now})
            else:
                match = E.id == exam_id  # and, for a conditional write, the revision the caller read
                if expected_revision is not None:
                    match = and_(match, E.revision == expected_revision)
                done = await self.db.run(update(console_exams).where(match).values(
                    body=dumps(body), revision=revision, updated_by=by, updated_at=now))
            return done.rowcount > 0


class SqlGapMarks(Repo):
    def __init__(self, db):
        super().__init__(db)
        self._mark = upsert(self.dialect, gap_marks, ["query"], ["handled_by", "handled_at", "note"])

    async def gap_marks(self, queries: list[str]) -> dict[str, GapMark]:
        if not queries:
            return {}
        rows = await self.db.run(select(M.query, M.handled_by, M.handled_at, M.note).where(M.query.in_(queries)))
        return {r[0]: GapMark(r[0], r[1], r[2], r[3]) for r in rows.rows}

    async def mark_gap(self, query: str, by: str, now: float, note: str = "") -> None:
        await self.db.run(self._mark, {"query": query, "handled_by": by, "handled_at": now, "note": note})

    async def unmark_gap(self, query: str) -> bool:
        return (await self.db.run(delete(gap_marks).where(M.query == query))).rowcount > 0
