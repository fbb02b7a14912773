"""Pending question bank uploads (previewed, waiting for 导入): the SqliteStorage mixin."""

from __future__ import annotations

from bot.storage.ports import PendingUpload


class SqliteUploads:
    async def save_upload(self, user: str, filename: str, data: bytes, now: float, expire_before: float) -> int:
        """Store a user's upload, replacing their earlier one and dropping everyone's expired ones."""
        await self._write("DELETE FROM pending_uploads WHERE user_key = ? OR created_at < ?", (user, expire_before))
        cur = await self._write("INSERT INTO pending_uploads(user_key, filename, data, created_at) VALUES (?, ?, ?, ?)",
                                (user, filename, data, now))
        return int(cur.lastrowid)

    async def get_upload(self, upload_id: int, user: str) -> PendingUpload | None:
        row = await self._one("SELECT id, user_key, filename, data, created_at FROM pending_uploads "
                              "WHERE id = ? AND user_key = ?", (upload_id, user))
        return None if row is None else PendingUpload(row[0], row[1], row[2], bytes(row[3]), row[4])

    async def drop_upload(self, upload_id: int) -> bool:
        cur = await self._write("DELETE FROM pending_uploads WHERE id = ?", (upload_id,))
        return cur.rowcount > 0
