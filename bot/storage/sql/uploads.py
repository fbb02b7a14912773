"""Pending question bank uploads (previewed, waiting for 导入) and the lookup's content-gap log."""

from __future__ import annotations

from sqlalchemy import case, delete, distinct, func, insert, or_, select

from bot.storage.ports import GapRow, PendingUpload
from bot.storage.sql.base import Repo
from bot.storage.tables import lookup_gaps, pending_uploads

P, G = pending_uploads.c, lookup_gaps.c


class SqlUploads(Repo):
    async def save_upload(self, user: str, filename: str, data: bytes, now: float, expire_before: float) -> int:
        """Store a user's upload, replacing their earlier one and dropping everyone's expired ones."""
        async with self.db.transaction():
            await self.db.run(delete(pending_uploads).where(or_(P.user_key == user, P.created_at < expire_before)))
            return int((await self.db.run(insert(pending_uploads).returning(P.id), {
                "user_key": user, "filename": filename, "data": bytes(data), "created_at": now})).scalar())

    async def get_upload(self, upload_id: int, user: str) -> PendingUpload | None:
        row = (await self.db.run(select(P.id, P.user_key, P.filename, P.data, P.created_at)
                                 .where(P.id == upload_id, P.user_key == user))).first()
        return None if row is None else PendingUpload(row[0], row[1], row[2], bytes(row[3]), row[4])

    async def drop_upload(self, upload_id: int) -> bool:
        return (await self.db.run(delete(pending_uploads).where(P.id == upload_id))).rowcount > 0


class SqlGaps(Repo):
    async def log_gap(self, user: str, query: str, reason: str, top_ref: str, now: float) -> None:
        await self.db.run(insert(lookup_gaps), {"user_key": user, "query": query[:200], "reason": reason,
                                                "top_ref": top_ref[:100], "at": now})

    async def top_gaps(self, since: float = 0.0, limit: int = 20) -> list[GapRow]:
        n, last = func.count(), func.max(G.at)
        rows = await self.db.run(
            select(G.query, n, func.count(distinct(G.user_key)),
                   func.sum(case((G.reason == "none_of_these", 1), else_=0)), last)
            .where(G.at >= since).group_by(G.query).order_by(n.desc(), last.desc()).limit(limit))
        return [GapRow(query=q, count=c, users=u, rejected=int(r or 0), last_at=at) for q, c, u, r, at in rows.rows]
