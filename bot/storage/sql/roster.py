"""Units, roster, bindings and one-time bind codes, admins, official exam windows, study credit."""

from __future__ import annotations

from sqlalchemy import bindparam, case, delete, func, insert, literal, literal_column, select, text, union_all, update

from bot.domain.official_exam import WindowOverride
from bot.domain.study import ActivityRule
from bot.domain.units import RosterEntry, Unit
from bot.storage.ports import StudyDay
from bot.storage.sql.base import Repo
from bot.storage.sql.database import Prepared
from bot.storage.sql.dialect import dialect_insert, insert_ignore, local_day, upsert
from bot.storage.tables import (
    activity_log,
    admin_log,
    admins,
    answer_log,
    bind_codes,
    bindings,
    exam_windows,
    roster,
    study_daily,
    study_marks,
    units,
    users,
)

R = roster.c
FOLD_LOCKS = 7115  # advisory lock key space of the folds (turn_lock.py's TURN_LOCKS is 7114)
STUDY_FOLD = 1
ROSTER_COLS = (R.id, R.staff_no, R.name, R.unit_id, R.role, R.phone_tail, R.active)


def _entry(row: tuple) -> RosterEntry:
    return RosterEntry(id=row[0], staff_no=row[1], name=row[2], unit_id=row[3], role=row[4],
                       phone_tail=row[5], active=bool(row[6]))


class SqlRoster(Repo):
    def __init__(self, db):
        super().__init__(db)
        self._units = upsert(self.dialect, units, ["id"], ["name", "parent_id", "sort"])
        self._roster = upsert(self.dialect, roster, ["staff_no"],
                              ["name", "unit_id", "role", "phone_tail", "active", "updated_at"])
        self._deactivate = (update(roster).where(R.staff_no == bindparam("b_staff"), R.active == 1)
                            .values(active=0, updated_at=bindparam("b_now")))
        self._bind = insert_ignore(self.dialect, bindings)
        self._roster_of = Prepared(select(*ROSTER_COLS).select_from(bindings.join(roster, R.id == bindings.c.roster_id))
                                   .where(bindings.c.user_key == bindparam("k"), R.active == 1))
        self._code = insert_ignore(self.dialect, bind_codes, ["code"])

    async def upsert_units(self, items: list[Unit]) -> int:
        await self.db.run_many(self._units, [{"id": u.id, "name": u.name, "parent_id": u.parent, "sort": u.sort}
                                             for u in items])
        return len(items)

    async def all_units(self) -> list[Unit]:
        c = units.c
        return [Unit(*row) for row in (await self.db.run(select(c.id, c.name, c.parent_id, c.sort))).rows]

    async def upsert_roster(self, entries: list[RosterEntry], now: float, replace: bool = False) -> tuple[int, int, int]:
        """Insert or update by staff number; replace=True deactivates entries not in the list.
        Returns (added, updated, deactivated)."""
        async with self.db.transaction():
            known = {r[0] for r in (await self.db.run(select(R.staff_no))).rows}
            await self.db.run_many(self._roster, [
                {"staff_no": e.staff_no, "name": e.name, "unit_id": e.unit_id, "role": e.role,
                 "phone_tail": e.phone_tail, "active": 1, "updated_at": now} for e in entries])
            deactivated = 0
            if replace:
                gone = known - {e.staff_no for e in entries}
                await self.db.run_many(self._deactivate, [{"b_staff": s, "b_now": now} for s in sorted(gone)])
                deactivated = len(gone)
        added = sum(1 for e in entries if e.staff_no not in known)
        return added, len(entries) - added, deactivated

    async def roster_entry(self, roster_id: int) -> RosterEntry | None:
        row = (await self.db.run(select(*ROSTER_COLS).where(R.id == roster_id))).first()
        return _entry(row) if row else None

    async def roster_by_staff_no(self, staff_no: str) -> RosterEntry | None:
        row = (await self.db.run(select(*ROSTER_COLS).where(R.staff_no == staff_no, R.active == 1))).first()
        return _entry(row) if row else None

    async def roster_of(self, user: str) -> RosterEntry | None:
        row = (await self.db.run(self._roster_of, {"k": user})).first()
        return _entry(row) if row else None

    async def roster_count(self) -> int:
        return (await self.db.run(select(func.count()).select_from(roster).where(R.active == 1))).scalar()

    async def bind(self, roster_id: int, platform: str, user: str, now: float, by: str = "") -> bool:
        """False when this chat account or this entry's slot on the platform is taken."""
        done = await self.db.run(self._bind, {"roster_id": roster_id, "platform": platform, "user_key": user,
                                              "bound_at": now, "bound_by": by})
        return done.rowcount == 1

    async def binding_of(self, roster_id: int, platform: str) -> str | None:
        return (await self.db.run(select(bindings.c.user_key).where(
            bindings.c.roster_id == roster_id, bindings.c.platform == platform))).scalar()

    async def unbind(self, roster_id: int, platform: str | None = None) -> int:
        stmt = delete(bindings).where(bindings.c.roster_id == roster_id)
        if platform is not None:
            stmt = stmt.where(bindings.c.platform == platform)
        return (await self.db.run(stmt)).rowcount

    async def users_of(self, roster_id: int) -> list[str]:
        rows = await self.db.run(select(bindings.c.user_key).where(bindings.c.roster_id == roster_id))
        return [r[0] for r in rows.rows]

    async def reach_by_unit(self, unit_ids: list[str] | None = None) -> dict[str | None, int]:
        """Reachable chat accounts (not blocked) per unit of the active roster entry they are bound
        to, in one grouped query. unit_ids None: every known account (a super admin's broadcast),
        None the bucket of accounts on no active roster entry; else the accounts bound to active
        entries of those units (a unit admin's broadcast)."""
        B, U = bindings.c, users.c
        if unit_ids is None:
            joined = users.outerjoin(bindings, B.user_key == U.key).outerjoin(
                roster, (R.id == B.roster_id) & (R.active == 1))
            query = select(R.unit_id, func.count()).select_from(joined).where(U.blocked == 0).group_by(R.unit_id)
        else:
            if not unit_ids:
                return {}
            joined = bindings.join(roster, (R.id == B.roster_id) & (R.active == 1)).outerjoin(users, U.key == B.user_key)
            query = (select(R.unit_id, func.count()).select_from(joined)
                     .where(R.unit_id.in_(sorted(set(unit_ids))), func.coalesce(U.blocked, 0) == 0).group_by(R.unit_id))
        return {row[0]: int(row[1]) for row in (await self.db.run(query)).rows}

    async def create_bind_code(self, code: str, roster_id: int, by: str, now: float, expires_at: float) -> bool:
        done = await self.db.run(self._code, {"code": code, "roster_id": roster_id, "issued_by": by,
                                              "created_at": now, "expires_at": expires_at})
        return done.rowcount == 1

    async def use_bind_code(self, code: str, user: str, now: float) -> int | None:
        """The roster id of an unused, unexpired code, marking it used (atomically, so a code
        used by two workers at once binds one of them); else None."""
        c = bind_codes.c
        return (await self.db.run(update(bind_codes).where(c.code == code, c.used_at.is_(None), c.expires_at > now)
                                  .values(used_by=user, used_at=now).returning(c.roster_id))).scalar()


class SqlAdmins(Repo):
    def __init__(self, db):
        super().__init__(db)
        self._set = upsert(self.dialect, admins, ["user_key"], ["unit_id", "granted_by", "granted_at"])

    async def admin_scope(self, user: str) -> tuple[bool, str | None]:
        """(is an admin granted in chat, unit id or None for a super admin)."""
        row = (await self.db.run(select(admins.c.unit_id).where(admins.c.user_key == user))).first()
        return (True, row[0]) if row else (False, None)

    async def set_admin(self, user: str, unit_id: str | None, by: str, now: float) -> None:
        await self.db.run(self._set, {"user_key": user, "unit_id": unit_id, "granted_by": by, "granted_at": now})

    async def remove_admin(self, user: str) -> bool:
        return (await self.db.run(delete(admins).where(admins.c.user_key == user))).rowcount == 1

    async def list_admins(self) -> list[tuple[str, str | None]]:
        return (await self.db.run(select(admins.c.user_key, admins.c.unit_id).order_by(admins.c.user_key))).rows

    async def log_admin(self, user: str, action: str, detail: str, now: float) -> None:
        await self.db.run(insert(admin_log), {"user_key": user, "action": action, "detail": detail[:500], "at": now})


class SqlWindows(Repo):
    def __init__(self, db):
        super().__init__(db)
        keep = {c: (lambda col: lambda t, ex: func.coalesce(ex[col], t.c[col]))(c)
                for c in ("opens", "closes", "makeup_opens", "makeup_closes")}
        self._set = upsert(self.dialect, exam_windows, ["exam_id"], ["set_by", "set_at"], **keep)
        w = exam_windows.c
        self._window = Prepared(select(w.opens, w.closes, w.makeup_opens, w.makeup_closes)
                                .where(w.exam_id == bindparam("e")))

    async def window_override(self, exam_id: str) -> WindowOverride | None:
        row = (await self.db.run(self._window, {"e": exam_id})).first()
        return WindowOverride(*row) if row else None

    async def set_window(self, exam_id: str, window: WindowOverride, by: str, now: float) -> None:
        await self.db.run(self._set, {"exam_id": exam_id, "opens": window.opens, "closes": window.closes,
                                      "makeup_opens": window.makeup_opens, "makeup_closes": window.makeup_closes,
                                      "set_by": by, "set_at": now})


class SqlStudy(Repo):
    def __init__(self, db):
        super().__init__(db)
        self._mark = upsert(self.dialect, study_marks, ["source"], ["last_id", "rules"])
        self._lock = Prepared(select(func.pg_advisory_xact_lock(literal(FOLD_LOCKS), literal(STUDY_FOLD))))

    def _sources(self):
        a, v = answer_log.c, activity_log.c
        return (
            ("answer_log", answer_log, case((a.mode == "daily", literal_column("'daily'")), else_=literal_column("'practice'")),
             a.mode != "exam"),
            ("activity_log", activity_log,
             case((v.kind == "pk_win", literal_column("'pk'")), else_=literal_column("'case_read'")),
             v.kind.in_(["case_read", "pk_win"])),
        )

    async def refresh_study(self, utc_offset: int, rules: dict[str, ActivityRule]) -> None:
        """Fold new answer_log / activity_log rows into study_daily (per user, local day and
        activity), then recompute capped points of the days touched. A change of rules or
        offset rebuilds from scratch. One fold at a time: on PostgreSQL a transaction-level
        advisory lock is taken before the marks are read, so a second worker folding at the same
        moment waits and then reads the first one's marks (READ COMMITTED: each statement sees
        what committed before it); on SQLite the transaction (BEGIN IMMEDIATE) is the only writer."""
        key = f"{utc_offset}|" + "|".join(f"{a}:{r.points}:{r.daily_cap}" for a, r in sorted(rules.items()))
        m = study_marks.c
        async with self.db.transaction():
            if self.dialect == "postgresql":
                await self.db.run(self._lock)
            marks = {s: (i, k) for s, i, k in (await self.db.run(
                select(m.source, m.last_id, m.rules).where(m.source.in_(["answer_log", "activity_log"])))).rows}
            if any(k != key for _, k in marks.values()):
                await self.db.run(delete(study_daily))
                marks = {}
            low_day = None
            touched = []  # who has new log rows: only their days need their points capped again
            for name, table, activity, where in self._sources():
                last = marks.get(name, (0, key))[0]
                top = (await self.db.run(select(func.coalesce(func.max(table.c.id), 0)))).scalar()
                if top <= last:
                    if name not in marks:
                        await self.db.run(self._mark, {"source": name, "last_id": top, "rules": key})
                    continue
                in_range = (table.c.id > last, table.c.id <= top)
                touched.append(select(table.c.user_key).where(*in_range, where))
                first = (await self.db.run(select(func.min(table.c.at)).where(*in_range))).scalar()
                if first is not None:
                    day = int((first + utc_offset) // 86400)
                    low_day = day if low_day is None else min(low_day, day)
                day_expr = local_day(self.dialect, table.c.at, literal_column(str(int(utc_offset))))
                folded = (select(table.c.user_key, day_expr, activity, func.count(), literal_column("0"))
                          .where(*in_range, where).group_by(text("1, 2, 3")))  # by position: same on both
                await self.db.run(self._fold(folded))
                await self.db.run(self._mark, {"source": name, "last_id": top, "rules": key})
            if low_day is not None:
                s = study_daily.c
                for activity, rule in rules.items():
                    raw = s.count * rule.points
                    capped = case((raw > rule.daily_cap, rule.daily_cap), else_=raw) if rule.daily_cap else raw
                    await self.db.run(update(study_daily).where(s.day >= low_day, s.activity == activity,
                                                                s.user_key.in_(union_all(*touched)))
                                      .values(points=capped))

    def _fold(self, folded):
        ins = dialect_insert(self.dialect)(study_daily).from_select(
            ["user_key", "day", "activity", "count", "points"], folded)
        return ins.on_conflict_do_update(index_elements=["user_key", "day", "activity"],
                                         set_={"count": study_daily.c.count + ins.excluded.count})

    async def study_days_of(self, keys: list[str], since_day: int = 0) -> list[StudyDay]:
        """These chat accounts' (one person's bindings) credit per day and activity, oldest first."""
        if not keys:
            return []
        s = study_daily.c
        rows = await self.db.run(select(s.day, s.activity, func.sum(s.count), func.sum(s.points))
                                 .where(s.user_key.in_(keys), s.day >= since_day)
                                 .group_by(s.day, s.activity).order_by(s.day))
        return [StudyDay(day, activity, int(count), int(points)) for day, activity, count, points in rows.rows]
