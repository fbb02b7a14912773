"""One page of an official exam's target roster for the admin drill-down (未参学 / 未参考 / 未通过 /
all), filtered, sorted and paged in SQL so a city of 150,000 people never crosses into Python.

Each person's facts are correlated subqueries on indexed columns (bindings by roster_id,
study_daily by user_key and day, attempts by exam_id and roster_id), so a page sorted by
staff number reads only as many people as it shows; the definitions are those of
SqlStats.unit_counts and final_results (best or last closed attempt; sat = a final score)."""

from __future__ import annotations

from sqlalchemy import exists, func, or_, select

from bot.storage.ports import PersonRow
from bot.storage.sql.base import Repo
from bot.storage.tables import attempts, bindings, roster, stats_people, study_daily, study_time

A, R, B, S, T = attempts.c, roster.c, bindings.c, study_daily.c, study_time.c

FILTERS = ("all", "not_studied", "not_sat", "not_passed")
SORTS = ("staff_no", "name", "unit", "points", "score", "attempts")


def _facts(exam_id: str, final_score: str, since_day: int):
    """Correlated subqueries on the index attempts_exam_roster (exam_id, roster_id, status, score,
    passed, id), each a probe of the person's few attempts. "best": the highest score (MAX, three
    times faster than ORDER BY … LIMIT 1 on 150,000 rows) and passed if any closed attempt passed —
    the best attempt's verdict under one pass mark. "last": the score and verdict of the highest id."""
    closed = (A.roster_id == R.id, A.exam_id == exam_id, A.status != "open")
    if final_score == "last":
        last_id = select(func.max(A.id)).where(*closed).correlate(roster).scalar_subquery()
        L = attempts.alias("last_attempt")
        score = select(L.c.score).where(L.c.id == last_id).scalar_subquery()
        passed = select(L.c.passed).where(L.c.id == last_id).scalar_subquery()
    else:
        score = select(func.max(A.score)).where(*closed).correlate(roster).scalar_subquery()
        passed = select(func.max(A.passed)).where(*closed).correlate(roster).scalar_subquery()
    points = (select(func.coalesce(func.sum(S.points), 0))
              .select_from(bindings.join(study_daily, S.user_key == B.user_key))
              .where(B.roster_id == R.id, S.day >= since_day).correlate(roster).scalar_subquery())
    count = select(func.count()).select_from(attempts).where(*closed).correlate(roster).scalar_subquery()
    registered = exists().where(B.roster_id == R.id).correlate(roster)
    return registered, points, count, score, passed


class SqlPersonList(Repo):
    async def person_page(self, exam_id: str, final_score: str, since_day: int, min_points: int, *,
                          units: list[str] | None = None, roles: list[str] | None = None, which: str = "all",
                          sort: str = "staff_no", descending: bool = False, offset: int = 0,
                          limit: int = 50) -> list[PersonRow]:
        """Active roster entries in `units` (None: every unit) with a role in `roles` (None: any),
        keeping those `which` names: all, not_studied (points since the day below min_points),
        not_sat (no final score) or not_passed (a final score that did not pass). Sorted by
        `sort` (ties by staff number), `limit` rows from `offset`."""
        if which not in FILTERS or sort not in SORTS:
            raise ValueError(f"unknown filter {which!r} or sort {sort!r}")
        registered, points, count, score, passed = _facts(exam_id, final_score, since_day)
        query = select(R.id, R.staff_no, R.name, R.unit_id, R.role, registered, points, count, score, passed
                       ).where(R.active == 1)
        if units is not None:
            query = query.where(R.unit_id.in_(units) if units else R.id.is_(None))
        if roles:
            query = query.where(R.role.in_(roles))
        if which == "not_studied":
            query = query.where(points < min_points)
        elif which == "not_sat":
            query = query.where(score.is_(None))
        elif which == "not_passed":
            query = query.where(func.coalesce(passed, 0) == 0, score.is_not(None))  # most sitters passed: one probe
        key = {"staff_no": R.staff_no, "name": R.name, "unit": R.unit_id, "points": points, "score": score,
               "attempts": count}[sort]
        primary = key.desc() if descending else key.asc()
        if sort == "score":
            primary = primary.nulls_last()
        order = [primary] if sort == "staff_no" else [primary, R.staff_no]
        query = query.order_by(*order).offset(max(0, offset)).limit(max(1, limit))
        rows = (await self.db.run(query)).rows
        return [PersonRow(r[0], r[1], r[2], r[3], r[4], bool(r[5]), int(r[6]), int(r[7]), r[8],
                          None if r[9] is None else bool(r[9])) for r in rows]

    async def unit_seconds(self, first_day: int, last_day: int) -> list[tuple[str, int, float]]:
        """Per unit of the active roster: (unit, people, 学时 seconds of their chat accounts over
        local days [first_day, last_day]) — the figures of 人均学时, without the study points and
        exam scores RankingRepository.unit_figures also sums. Read from the rollup stats_people
        (each person's seconds over all days), less the seconds outside the span read from
        study_time (days before the exam's study period or after last_day: usually few)."""
        P = stats_people.c
        totals = (await self.db.run(select(P.unit_id, func.count(), func.coalesce(func.sum(P.seconds), 0.0))
                                    .where(P.active == 1).group_by(P.unit_id))).rows
        outside = (select(T.user_key, func.sum(T.seconds).label("s"))  # by account first: a day range
                   .where(or_(T.day < first_day, T.day > last_day)).group_by(T.user_key).subquery("out"))
        less = dict((await self.db.run(
            select(R.unit_id, func.sum(outside.c.s))
            .select_from(outside.join(bindings, B.user_key == outside.c.user_key).join(roster, R.id == B.roster_id))
            .where(R.active == 1).group_by(R.unit_id))).rows)
        return [(unit, int(n), max(0.0, float(s) - float(less.get(unit) or 0.0))) for unit, n, s in totals]
