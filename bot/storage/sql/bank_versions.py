"""Question-bank changes made in chat, as whole bank files: every worker applies each file's newest
one (bot/bank_sync.py), so an import on one worker reaches all of them, on any machine. PostgreSQL
also announces each change with NOTIFY on BANK_CHANNEL when its transaction commits."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.storage.ports import BankVersion
from bot.storage.sql.base import Repo
from bot.storage.tables import bank_versions

BANK_CHANNEL = "lawbot_bank"
V = bank_versions.c


class SqlBankVersions(Repo):
    async def latest_version(self) -> int:
        return (await self.db.run(select(func.coalesce(func.max(V.version), 0)))).scalar() or 0

    async def latest(self) -> BankVersion | None:
        row = (await self.db.run(select(V.version, V.path, V.body, V.created_at, V.created_by)
                                 .order_by(V.version.desc()).limit(1))).first()
        return BankVersion(*row) if row else None

    async def newest_per_path(self, after: int) -> list[BankVersion]:
        """Each bank file's newest version among those after `after`, oldest first: what a worker
        that applied `after` still has to apply (two files changed meanwhile: both)."""
        newest = select(func.max(V.version)).where(V.version > after).group_by(V.path)
        rows = (await self.db.run(select(V.version, V.path, V.body, V.created_at, V.created_by)
                                  .where(V.version.in_(newest)).order_by(V.version))).rows
        return [BankVersion(*row) for row in rows]

    async def publish(self, path: str, body: str, now: float, by: str | None) -> int:
        """Record a bank file's new text as the next version (joins the caller's transaction).
        Two workers publishing at once: one of them fails on the primary key and its turn rolls
        back (the admin is told to try again)."""
        async with self.db.transaction():
            version = await self.latest_version() + 1
            await self.db.run(bank_versions.insert().values(version=version, path=path, body=body, created_at=now,
                                                            created_by=by))
            if self.dialect == "postgresql":
                await self.db.run(select(func.pg_notify(BANK_CHANNEL, str(version))))
        return version
