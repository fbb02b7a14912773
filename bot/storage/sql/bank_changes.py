"""Questions retired in the console: a retired question stays in the catalog (past attempts and
their reviews show it) but is no longer drawn. Every worker reads the set when a bank version
arrives (bot/bank_sync.py), so a retirement is published like an edit."""

from __future__ import annotations

from sqlalchemy import delete, select

from bot.storage.ports import RetiredInfo
from bot.storage.sql.base import Repo
from bot.storage.sql.dialect import upsert
from bot.storage.tables import question_retired

Q = question_retired.c


class SqlRetiredQuestions(Repo):
    def __init__(self, db):
        super().__init__(db)
        self._put = upsert(self.dialect, question_retired, ["question_id"], ["retired_at", "retired_by", "reason"])

    async def retired_ids(self) -> frozenset[str]:
        return frozenset(r[0] for r in (await self.db.run(select(Q.question_id))).rows)

    async def retired_info(self, question_id: str) -> RetiredInfo | None:
        """When, by whom and why a question was retired; None when it is in use."""
        row = (await self.db.run(select(Q.retired_at, Q.retired_by, Q.reason)
                                 .where(Q.question_id == question_id))).first()
        return RetiredInfo(row[0], row[1], row[2]) if row else None

    async def retire(self, question_id: str, by: str, now: float, reason: str = "") -> None:
        await self.db.run(self._put, {"question_id": question_id, "retired_at": now, "retired_by": by,
                                      "reason": reason[:500]})

    async def restore(self, question_id: str) -> bool:
        return (await self.db.run(delete(question_retired).where(Q.question_id == question_id))).rowcount == 1
