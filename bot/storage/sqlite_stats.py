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

    async def stats_fingerprint(self) -> tuple:
        """Changes whenever anything the per-unit counts depend on changes (cheap, indexed)."""
        return await self._one(
            "SELECT (SELECT MAX(id) FROM attempts), (SELECT COUNT(*) FROM attempts WHERE status = 'open'), "
            "(SELECT MAX(rowid) FROM bindings), (SELECT COUNT(*) FROM bindings), (SELECT MAX(updated_at) FROM roster), "
            "(SELECT COUNT(*) FROM roster), (SELECT COUNT(*) FROM units), "
            "(SELECT group_concat(last_id || rules) FROM study_marks), (SELECT MAX(set_at) FROM exam_windows)")

    async def unit_counts(self, exam_id: str, final_score: str, since_day: int,
                          min_points: int) -> dict[str, list[tuple]]:
        """Per (unit, role) of the active roster, summed in SQL so a city-sized roster never
        crosses into Python row by row: roster, registered, studied (points since a day) and
        the final results as (unit, role, score, passed, people)."""
        pick = "MAX(id)" if final_score == "last" else "MAX(score)"
        return {
            "roster": await self._all("SELECT unit_id, role, COUNT(*) FROM roster WHERE active = 1 GROUP BY 1, 2"),
            "registered": await self._all(
                "SELECT r.unit_id, r.role, COUNT(*) FROM (SELECT DISTINCT roster_id FROM bindings) b "
                "JOIN roster r ON r.id = b.roster_id WHERE r.active = 1 GROUP BY 1, 2"),
            "studied": await self._all(
                "SELECT r.unit_id, r.role, COUNT(*) FROM (SELECT b.roster_id FROM bindings b "
                "JOIN study_daily s ON s.user_key = b.user_key AND s.day >= ? GROUP BY b.roster_id "
                "HAVING SUM(s.points) >= ?) x JOIN roster r ON r.id = x.roster_id WHERE r.active = 1 GROUP BY 1, 2",
                (since_day, min_points)),
            "results": await self._all(
                f"SELECT r.unit_id, r.role, f.score, f.passed, COUNT(*) FROM (SELECT roster_id, {pick} AS pick, "
                f"score, passed FROM attempts WHERE exam_id = ? AND status != 'open' AND roster_id IS NOT NULL "
                f"GROUP BY roster_id) f JOIN roster r ON r.id = f.roster_id WHERE r.active = 1 GROUP BY 1, 2, 3, 4",
                (exam_id,)),
        }

    async def fold_item_sums(self) -> None:
        """Fold new exam answers into item_totals (additive sums, so incremental)."""
        async with self.atomic():
            await self._write(
                "CREATE TABLE IF NOT EXISTS item_totals (exam_id TEXT NOT NULL, question_id TEXT NOT NULL, "
                "n INTEGER NOT NULL, n_correct INTEGER NOT NULL, sum_score REAL NOT NULL, sum_sq REAL NOT NULL, "
                "sum_score_correct REAL NOT NULL, PRIMARY KEY (exam_id, question_id)) WITHOUT ROWID")
            row = await self._one("SELECT last_id FROM study_marks WHERE source = 'item_totals'")
            last = row[0] if row else 0
            top = (await self._one("SELECT COALESCE(MAX(id), 0) FROM answer_log"))[0]
            if top <= last:
                return
            await self._write(
                "INSERT INTO item_totals SELECT a.exam_id, l.question_id, COUNT(*), SUM(l.correct), SUM(a.score), "
                "SUM(a.score * a.score), SUM(CASE WHEN l.correct THEN a.score ELSE 0 END) FROM answer_log l "
                "JOIN attempts a ON a.id = l.attempt_id WHERE l.id > ? AND l.id <= ? AND l.mode = 'exam' "
                "AND a.score IS NOT NULL GROUP BY 1, 2 ON CONFLICT(exam_id, question_id) DO UPDATE SET "
                "n = n + excluded.n, n_correct = n_correct + excluded.n_correct, "
                "sum_score = sum_score + excluded.sum_score, sum_sq = sum_sq + excluded.sum_sq, "
                "sum_score_correct = sum_score_correct + excluded.sum_score_correct", (last, top))
            await self._write("INSERT OR REPLACE INTO study_marks(source, last_id, rules) VALUES ('item_totals', ?, '')",
                              (top,))

    async def item_sums(self, exam_id: str) -> list[ItemSums]:
        await self.fold_item_sums()
        rows = await self._all("SELECT question_id, n, n_correct, sum_score, sum_sq, sum_score_correct "
                               "FROM item_totals WHERE exam_id = ? ORDER BY question_id", (exam_id,))
        return [ItemSums(*r) for r in rows]

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
