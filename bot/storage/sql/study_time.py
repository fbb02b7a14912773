"""学时 per account and day, the last study action of each account, and the leaderboard
queries (study, 学时 and official scores per unit and per person over a span of days)."""

from __future__ import annotations

from sqlalchemy import and_, bindparam, case, delete, func, select

from bot.domain.ranking import UnitFigures
from bot.storage.ports import PersonStanding
from bot.storage.sql.base import Repo, chunks
from bot.storage.sql.database import Prepared
from bot.storage.sql.dialect import insert_ignore, upsert
from bot.storage.tables import attempts, bindings, rank_optouts, roster, study_daily, study_presence, study_time

B, R, S, T, A = bindings.c, roster.c, study_daily.c, study_time.c, attempts.c

class SqlStudyTime(Repo):
    def __init__(self, db):
        super().__init__(db)
        self._last = Prepared(select(study_presence.c.last_at).where(study_presence.c.user_key == bindparam("k")))
        self._presence = Prepared(upsert(self.dialect, study_presence, ["user_key"], ["last_at"]),
                                  "user_key", "last_at")
        self._add = Prepared(upsert(self.dialect, study_time, ["user_key", "day"],
                                    seconds=lambda t, ex: t.c.seconds + ex.seconds), "user_key", "day", "seconds")

    async def last_active(self, user: str) -> float | None:
        return (await self.db.run(self._last, {"k": user})).scalar()

    async def add_time(self, user: str, day: int, seconds: float, now: float) -> None:
        """Credit `seconds` to the user's local `day` and remember `now` as their last action."""
        if seconds > 0:  # writes whose outcome is not read: queued to go with the turn's other writes
            await self.db.write(self._add, {"user_key": user, "day": day, "seconds": seconds})
        await self.db.write(self._presence, {"user_key": user, "last_at": now})

    async def seconds_of(self, users: list[str], first_day: int, last_day: int) -> list[tuple[int, float]]:
        """(day, seconds) of these accounts (one person's bindings), oldest first."""
        if not users:
            return []
        rows = await self.db.run(select(T.day, func.sum(T.seconds))
                                 .where(T.user_key.in_(users), T.day >= first_day, T.day <= last_day)
                                 .group_by(T.day).order_by(T.day))
        return [(day, float(seconds)) for day, seconds in rows.rows]

    async def seconds_by_roster(self, first_day: int, last_day: int) -> dict[int, float]:
        """学时 seconds per roster entry (summed over its bindings) in a span of days."""
        rows = await self.db.run(select(B.roster_id, func.sum(T.seconds))
                                 .select_from(study_time.join(bindings, B.user_key == T.user_key))
                                 .where(T.day >= first_day, T.day <= last_day).group_by(B.roster_id))
        return {int(rid): float(seconds) for rid, seconds in rows.rows}

class SqlRanking(Repo):
    """Leaderboard reads; names stay in SQL rows only as far as the service that masks them."""

    def __init__(self, db):
        super().__init__(db)
        self._optin = Prepared(insert_ignore(self.dialect, rank_optouts, ["roster_id"]), "roster_id", "at")

    async def set_opt_out(self, roster_id: int, out: bool, now: float) -> None:
        if out:
            await self.db.run(self._optin, {"roster_id": roster_id, "at": now})
        else:
            await self.db.run(delete(rank_optouts).where(rank_optouts.c.roster_id == roster_id))

    async def is_opted_out(self, roster_id: int) -> bool:
        return (await self.db.run(select(rank_optouts.c.roster_id)
                                  .where(rank_optouts.c.roster_id == roster_id))).first() is not None

    async def unit_figures(self, first_day: int, last_day: int, since: float, until: float,
                           min_points: int) -> tuple[list[UnitFigures], list[tuple[str, str, float, int]]]:
        """Per unit of the active roster over local days [first_day, last_day]: people, people
        with at least `min_points` study points, points and 学时 seconds; and the official exam
        scores submitted in [since, until) as (unit, exam, score sum, attempts), so the caller
        can put every exam on one scale."""
        points = (select(B.roster_id.label("rid"), func.sum(S.points).label("p"))
                  .select_from(study_daily.join(bindings, B.user_key == S.user_key))
                  .where(S.day >= first_day, S.day <= last_day).group_by(B.roster_id).subquery("pts"))
        seconds = (select(B.roster_id.label("rid"), func.sum(T.seconds).label("s"))
                   .select_from(study_time.join(bindings, B.user_key == T.user_key))
                   .where(T.day >= first_day, T.day <= last_day).group_by(B.roster_id).subquery("sec"))
        studied = case((points.c.p >= min_points, 1), else_=0)
        async with self.db.transaction():
            people = (await self.db.run(
                select(R.unit_id, func.count(), func.coalesce(func.sum(studied), 0),
                       func.coalesce(func.sum(points.c.p), 0), func.coalesce(func.sum(seconds.c.s), 0.0))
                .select_from(roster.outerjoin(points, points.c.rid == R.id).outerjoin(seconds, seconds.c.rid == R.id))
                .where(R.active == 1).group_by(R.unit_id))).rows
            scores = (await self.db.run(
                select(R.unit_id, A.exam_id, func.sum(A.score), func.count())
                .select_from(attempts.join(roster, R.id == A.roster_id))
                .where(A.roster_id.is_not(None), A.submitted_at >= since, A.submitted_at < until,
                       A.status != "open", A.score.is_not(None), R.active == 1)
                .group_by(R.unit_id, A.exam_id))).rows
        figures = [UnitFigures(unit, int(n), int(st), int(p), float(s)) for unit, n, st, p, s in people]
        return figures, [(unit, exam, float(total), int(n)) for unit, exam, total, n in scores]

    async def people_in_units(self, unit_ids: list[str], first_day: int, last_day: int) -> list[PersonStanding]:
        """Every active roster entry of these units with its study points and 学时 over the
        days and whether it opted out of leaderboards."""
        out: list[PersonStanding] = []
        for chunk in chunks(unit_ids):
            points = (select(R.id.label("rid"), func.sum(S.points).label("p"))
                      .select_from(roster.join(bindings, B.roster_id == R.id)
                                   .join(study_daily, and_(S.user_key == B.user_key, S.day >= first_day,
                                                           S.day <= last_day)))
                      .where(R.unit_id.in_(chunk)).group_by(R.id).subquery("pts"))
            seconds = (select(R.id.label("rid"), func.sum(T.seconds).label("s"))
                       .select_from(roster.join(bindings, B.roster_id == R.id)
                                    .join(study_time, and_(T.user_key == B.user_key, T.day >= first_day,
                                                           T.day <= last_day)))
                       .where(R.unit_id.in_(chunk)).group_by(R.id).subquery("sec"))
            rows = await self.db.run(
                select(R.id, R.name, R.unit_id, func.coalesce(points.c.p, 0), func.coalesce(seconds.c.s, 0.0),
                       rank_optouts.c.roster_id.is_not(None))
                .select_from(roster.outerjoin(points, points.c.rid == R.id).outerjoin(seconds, seconds.c.rid == R.id)
                             .outerjoin(rank_optouts, rank_optouts.c.roster_id == R.id))
                .where(R.unit_id.in_(chunk), R.active == 1).order_by(R.id))
            out += [PersonStanding(int(rid), name, unit, int(p), float(s), bool(off))
                    for rid, name, unit, p, s, off in rows.rows]
        return out
