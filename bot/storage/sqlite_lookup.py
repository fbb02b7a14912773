"""The content-gap log of the lookup (issue 6): the SqliteStorage mixin."""

from __future__ import annotations

from bot.storage.ports import GapRow


class SqliteLookupGaps:
    async def log_gap(self, user: str, query: str, reason: str, top_ref: str, now: float) -> None:
        await self._write("INSERT INTO lookup_gaps(user_key, query, reason, top_ref, at) VALUES (?, ?, ?, ?, ?)",
                          (user, query[:200], reason, top_ref[:100], now))

    async def top_gaps(self, since: float = 0.0, limit: int = 20) -> list[GapRow]:
        rows = await self._all(
            "SELECT query, COUNT(*), COUNT(DISTINCT user_key), SUM(reason = 'none_of_these'), MAX(at) "
            "FROM lookup_gaps WHERE at >= ? GROUP BY query ORDER BY COUNT(*) DESC, MAX(at) DESC LIMIT ?",
            (since, limit))
        return [GapRow(query=q, count=n, users=u, rejected=int(r or 0), last_at=at) for q, n, u, r, at in rows]
