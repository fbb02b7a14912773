"""SQL aggregation for admin statistics: per-person facts of one exam, item sums, daily
snapshots. The SqliteStorage mixin for issue 4; the maths is in bot/domain/statistics.py."""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.statistics import ItemSums


@dataclass(frozen=True, slots=True)
class PersonRow:
    roster_id: int
    staff_no: str
    name: str
    unit_id: str
    role: str
    registered: bool
    study_points: int
    attempts: int
    score: float | None
    passed: bool | None


class SqliteStatsMixin:
    async def person_rows(self, exam_id: str, final_score: str = "best", since_day: int = 0) -> list[PersonRow]:
        """Every active roster entry with its registration, study points since a day and its
        final result on the exam (best or last closed attempt, regular and makeup)."""
        pick = "MAX(id)" if final_score == "last" else "MAX(score)"
        rows = await self._all(
            f"WITH fin AS (SELECT roster_id, {pick} AS pick, score, passed, COUNT(*) AS n FROM attempts "
            f"  WHERE exam_id = ? AND status != 'open' AND roster_id IS NOT NULL GROUP BY roster_id), "
            f"reg AS (SELECT DISTINCT roster_id FROM bindings), "
            f"st AS (SELECT b.roster_id, SUM(s.points) AS pts FROM bindings b "
            f"  JOIN study_daily s ON s.user_key = b.user_key WHERE s.day >= ? GROUP BY b.roster_id) "
            f"SELECT r.id, r.staff_no, r.name, r.unit_id, r.role, reg.roster_id IS NOT NULL, COALESCE(st.pts, 0), "
            f"COALESCE(fin.n, 0), fin.score, fin.passed FROM roster r "
            f"LEFT JOIN fin ON fin.roster_id = r.id LEFT JOIN reg ON reg.roster_id = r.id "
            f"LEFT JOIN st ON st.roster_id = r.id WHERE r.active = 1 ORDER BY r.unit_id, r.staff_no",
            (exam_id, since_day))
        return [PersonRow(r[0], r[1], r[2], r[3], r[4], bool(r[5]), r[6], r[7], r[8],
                          None if r[9] is None else bool(r[9])) for r in rows]

    async def item_sums(self, exam_id: str) -> list[ItemSums]:
        rows = await self._all(
            "SELECT l.question_id, COUNT(*), SUM(l.correct), SUM(a.score), SUM(a.score * a.score), "
            "SUM(CASE WHEN l.correct THEN a.score ELSE 0 END) FROM attempts a "
            "JOIN answer_log l ON l.attempt_id = a.id AND l.mode = 'exam' "
            "WHERE a.exam_id = ? AND a.status != 'open' GROUP BY l.question_id ORDER BY l.question_id", (exam_id,))
        return [ItemSums(r[0], r[1], r[2] or 0, r[3] or 0.0, r[4] or 0.0, r[5] or 0.0) for r in rows]

    async def save_snapshot(self, day: str, exam_id: str, rows: list[tuple[str, int, int, int, int, int]],
                            now: float) -> None:
        """rows: (unit_id, roster, registered, studied, sat, passed); a day's snapshot is replaced."""
        async with self.atomic():
            await self._conn.executemany(
                "INSERT OR REPLACE INTO stats_snapshots(day, exam_id, unit_id, roster, registered, studied, sat, "
                "passed, taken_at) VALUES (?,?,?,?,?,?,?,?,?)", [(day, exam_id, *row, now) for row in rows])

    async def snapshots(self, exam_id: str, unit_id: str) -> list[tuple[str, int, int, int, int, int]]:
        """(day, roster, registered, studied, sat, passed), oldest first."""
        return await self._all("SELECT day, roster, registered, studied, sat, passed FROM stats_snapshots "
                               "WHERE exam_id = ? AND unit_id = ? ORDER BY day", (exam_id, unit_id))
