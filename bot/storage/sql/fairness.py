"""Fair official exams: when each question of an attempt was first shown, roster bind/unbind
events, the answer sheets of one exam window in one unit, and the flags raised for admins."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import bindparam, select

from bot.domain.answers import Answer
from bot.domain.fairness import BindEvent
from bot.storage.ports import AttemptTags, FlagRecord, WindowSheet
from bot.storage.sql.attempts import choice_set, paper_items
from bot.storage.sql.base import Repo, chunks, dumps
from bot.storage.sql.database import Prepared
from bot.storage.sql.dialect import insert_ignore
from bot.storage.tables import (
    attempt_answers,
    attempts,
    binding_events,
    exam_flags,
    exam_shown,
)

F = exam_flags.c
_FLAG_COLUMNS = (F.id, F.key, F.kind, F.exam_id, F.phase, F.unit_id, F.roster_id, F.attempt_id, F.other_roster_id,
                 F.other_attempt_id, F.evidence, F.created_at)
SHEETS_LIMIT = 2000  # handed-in attempts of one unit and window compared with a new one


def _flag(row: Sequence[Any]) -> FlagRecord:
    """A row of _FLAG_COLUMNS as a record (evidence is stored as JSON)."""
    (id_, key, kind, exam_id, phase, unit_id, roster_id, attempt_id, other_roster_id, other_attempt_id,
     evidence, created_at) = row
    return FlagRecord(id_, key, kind, exam_id, phase, unit_id, roster_id, attempt_id, other_roster_id,
                      other_attempt_id, json.loads(evidence), created_at)


class SqlFairness(Repo):
    def __init__(self, db):
        super().__init__(db)
        S = exam_shown.c
        self._shown = Prepared(select(S.pos, S.shown_at).where(S.attempt_id == bindparam("attempt_id")))
        self._mark = Prepared(insert_ignore(self.dialect, exam_shown, ["attempt_id", "pos"]),
                              "attempt_id", "pos", "shown_at")
        self._flag = insert_ignore(self.dialect, exam_flags, ["key"])

    # --- the per-question clock ------------------------------------------------------------
    async def shown_times(self, attempt_id: int) -> dict[int, float]:
        rows = await self.db.run(self._shown, {"attempt_id": attempt_id})
        return {pos: at for pos, at in rows.rows}

    async def mark_shown(self, attempt_id: int, pos: int, now: float) -> None:
        """Record when a question was first shown (a later call for the same question keeps the first time)."""
        await self.db.write(self._mark, {"attempt_id": attempt_id, "pos": pos, "shown_at": now})

    async def answer_times(self, attempt_id: int) -> dict[int, float]:
        B = attempt_answers.c
        rows = await self.db.run(select(B.pos, B.answered_at).where(B.attempt_id == attempt_id))
        return {pos: at for pos, at in rows.rows}

    # --- official attempts --------------------------------------------------------------------
    async def attempt_tags(self, attempt_id: int) -> AttemptTags | None:
        """(roster_id, unit_id, phase) of an official attempt; None for a mock one."""
        A = attempts.c
        row = (await self.db.run(select(A.roster_id, A.unit_id, A.phase).where(A.id == attempt_id))).first()
        return None if row is None or row[0] is None else AttemptTags(int(row[0]), row[1], row[2])

    async def window_sheets(self, exam_id: str, unit_id: str, phase: str, exclude_roster: int) -> list[WindowSheet]:
        """Handed-in attempts of one exam, unit and window (phase) by other people, with their
        answers and answer times; at most SHEETS_LIMIT, newest first."""
        A, B = attempts.c, attempt_answers.c
        heads = (await self.db.run(
            select(A.id, A.roster_id, A.paper).where(A.exam_id == exam_id, A.unit_id == unit_id, A.phase == phase,
                                                     A.status != "open", A.roster_id != exclude_roster)
            .order_by(A.id.desc()).limit(SHEETS_LIMIT))).rows
        answers: dict[int, dict[int, tuple[Answer, float]]] = {row[0]: {} for row in heads}
        for part in chunks([row[0] for row in heads]):
            rows = await self.db.run(select(B.attempt_id, B.pos, B.choice, B.answered_at)
                                     .where(B.attempt_id.in_(part)))
            for attempt_id, pos, choice, at in rows.rows:
                answers[attempt_id][pos] = (choice_set(choice), at)
        return [WindowSheet(attempt_id=i, roster_id=int(r), paper=paper_items(paper), answers=answers[i])
                for i, r, paper in heads]

    # --- bindings -----------------------------------------------------------------------------------
    async def record_bind_event(self, roster_id: int, platform: str, user: str, kind: str, now: float,
                                by: str = "") -> None:
        await self.db.run(binding_events.insert(), {"roster_id": roster_id, "platform": platform, "user_key": user,
                                                    "kind": kind, "at": now, "by": by})

    async def bind_events(self, roster_id: int) -> list[BindEvent]:
        E = binding_events.c
        rows = await self.db.run(select(E.id, E.roster_id, E.platform, E.user_key, E.kind, E.at, E.by)
                                 .where(E.roster_id == roster_id).order_by(E.at, E.id))
        return [BindEvent(*row) for row in rows.rows]

    # --- flags ------------------------------------------------------------------------------------------
    async def add_flag(self, flag: FlagRecord) -> bool:
        """Insert unless a flag with this key exists; True when inserted."""
        values = {c.name: getattr(flag, c.name) for c in _FLAG_COLUMNS if c.name not in ("id", "evidence")}
        values["evidence"] = dumps(flag.evidence)
        result = await self.db.run(self._flag, values)
        return result.rowcount == 1

    async def flags(self, exam_id: str | None = None, units: list[str] | None = None,
                    limit: int = 1000) -> list[FlagRecord]:
        """Flags of one exam (or all), in these units (None = every unit), newest first."""
        stmt = select(*_FLAG_COLUMNS)
        if exam_id is not None:
            stmt = stmt.where(F.exam_id == exam_id)
        if units is not None:
            if not units:
                return []
            stmt = stmt.where(F.unit_id.in_(sorted(set(units))))
        rows = await self.db.run(stmt.order_by(F.created_at.desc(), F.id.desc()).limit(limit))
        return [_flag(r) for r in rows.rows]
