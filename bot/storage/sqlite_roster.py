"""Units, roster, registration (bindings, one-time codes), admins, official exam windows and
study credit: the SqliteStorage mixin for issue 4 (uses the base helpers of sqlite.py)."""

from __future__ import annotations

from bot.domain.official_exam import WindowOverride
from bot.domain.study import ActivityRule
from bot.domain.units import RosterEntry, Unit

_ROSTER_COLS = "id, staff_no, name, unit_id, role, phone_tail, active"


def _entry(row: tuple) -> RosterEntry:
    return RosterEntry(id=row[0], staff_no=row[1], name=row[2], unit_id=row[3], role=row[4],
                       phone_tail=row[5], active=bool(row[6]))


class SqliteRosterMixin:
    # --- units -----------------------------------------------------------------------
    async def upsert_units(self, units: list[Unit]) -> int:
        async with self.atomic():
            await self._conn.executemany(
                "INSERT INTO units(id, name, parent_id, sort) VALUES (?,?,?,?) ON CONFLICT(id) DO UPDATE SET "
                "name = excluded.name, parent_id = excluded.parent_id, sort = excluded.sort",
                [(u.id, u.name, u.parent, u.sort) for u in units])
        return len(units)

    async def all_units(self) -> list[Unit]:
        rows = await self._all("SELECT id, name, parent_id, sort FROM units")
        return [Unit(*row) for row in rows]

    # --- roster ----------------------------------------------------------------------
    async def upsert_roster(self, entries: list[RosterEntry], now: float, replace: bool = False) -> tuple[int, int, int]:
        """Insert or update by staff number; replace=True deactivates entries not in the list.
        Returns (added, updated, deactivated)."""
        async with self.atomic():
            known = {r[0] for r in await self._all("SELECT staff_no FROM roster")}
            await self._conn.executemany(
                "INSERT INTO roster(staff_no, name, unit_id, role, phone_tail, active, updated_at) "
                "VALUES (?,?,?,?,?,1,?) ON CONFLICT(staff_no) DO UPDATE SET name = excluded.name, "
                "unit_id = excluded.unit_id, role = excluded.role, phone_tail = excluded.phone_tail, "
                "active = 1, updated_at = excluded.updated_at",
                [(e.staff_no, e.name, e.unit_id, e.role, e.phone_tail, now) for e in entries])
            deactivated = 0
            if replace:
                keep = {e.staff_no for e in entries}
                gone = [(now, s) for s in known - keep]
                await self._conn.executemany("UPDATE roster SET active = 0, updated_at = ? WHERE staff_no = ? "
                                             "AND active = 1", gone)
                deactivated = len(gone)
        added = sum(1 for e in entries if e.staff_no not in known)
        return added, len(entries) - added, deactivated

    async def roster_entry(self, roster_id: int) -> RosterEntry | None:
        row = await self._one(f"SELECT {_ROSTER_COLS} FROM roster WHERE id = ?", (roster_id,))
        return _entry(row) if row else None

    async def roster_by_staff_no(self, staff_no: str) -> RosterEntry | None:
        row = await self._one(f"SELECT {_ROSTER_COLS} FROM roster WHERE staff_no = ? AND active = 1", (staff_no,))
        return _entry(row) if row else None

    async def roster_of(self, user: str) -> RosterEntry | None:
        row = await self._one(f"SELECT {', '.join('r.' + c.strip() for c in _ROSTER_COLS.split(','))} "
                              "FROM bindings b JOIN roster r ON r.id = b.roster_id WHERE b.user_key = ? "
                              "AND r.active = 1", (user,))
        return _entry(row) if row else None

    async def roster_count(self) -> int:
        return (await self._one("SELECT COUNT(*) FROM roster WHERE active = 1"))[0]

    # --- bindings and one-time codes ---------------------------------------------------
    async def bind(self, roster_id: int, platform: str, user: str, now: float, by: str = "") -> bool:
        """False when this chat account or this entry's slot on the platform is taken."""
        cur = await self._write("INSERT OR IGNORE INTO bindings(roster_id, platform, user_key, bound_at, bound_by) "
                                "VALUES (?,?,?,?,?)", (roster_id, platform, user, now, by))
        return cur.rowcount == 1

    async def binding_of(self, roster_id: int, platform: str) -> str | None:
        row = await self._one("SELECT user_key FROM bindings WHERE roster_id = ? AND platform = ?",
                              (roster_id, platform))
        return row[0] if row else None

    async def unbind(self, roster_id: int, platform: str | None = None) -> int:
        if platform is None:
            cur = await self._write("DELETE FROM bindings WHERE roster_id = ?", (roster_id,))
        else:
            cur = await self._write("DELETE FROM bindings WHERE roster_id = ? AND platform = ?", (roster_id, platform))
        return cur.rowcount

    async def create_bind_code(self, code: str, roster_id: int, by: str, now: float, expires_at: float) -> bool:
        cur = await self._write("INSERT OR IGNORE INTO bind_codes(code, roster_id, issued_by, created_at, expires_at) "
                                "VALUES (?,?,?,?,?)", (code, roster_id, by, now, expires_at))
        return cur.rowcount == 1

    async def use_bind_code(self, code: str, user: str, now: float) -> int | None:
        """The roster id of an unused, unexpired code, marking it used; else None."""
        row = await self._one("SELECT roster_id FROM bind_codes WHERE code = ? AND used_at IS NULL AND expires_at > ?",
                              (code, now))
        if row is None:
            return None
        await self._write("UPDATE bind_codes SET used_by = ?, used_at = ? WHERE code = ?", (user, now, code))
        return row[0]

    # --- admins ----------------------------------------------------------------------
    async def admin_scope(self, user: str) -> tuple[bool, str | None]:
        """(is an admin granted in chat, unit id or None for a super admin)."""
        row = await self._one("SELECT unit_id FROM admins WHERE user_key = ?", (user,))
        return (True, row[0]) if row else (False, None)

    async def set_admin(self, user: str, unit_id: str | None, by: str, now: float) -> None:
        await self._write("INSERT INTO admins(user_key, unit_id, granted_by, granted_at) VALUES (?,?,?,?) "
                          "ON CONFLICT(user_key) DO UPDATE SET unit_id = excluded.unit_id, "
                          "granted_by = excluded.granted_by, granted_at = excluded.granted_at", (user, unit_id, by, now))

    async def remove_admin(self, user: str) -> bool:
        return (await self._write("DELETE FROM admins WHERE user_key = ?", (user,))).rowcount == 1

    async def list_admins(self) -> list[tuple[str, str | None]]:
        return await self._all("SELECT user_key, unit_id FROM admins ORDER BY user_key")

    async def log_admin(self, user: str, action: str, detail: str, now: float) -> None:
        await self._write("INSERT INTO admin_log(user_key, action, detail, at) VALUES (?,?,?,?)",
                          (user, action, detail[:500], now))

    # --- official exams --------------------------------------------------------------
    async def window_override(self, exam_id: str) -> WindowOverride | None:
        row = await self._one("SELECT opens, closes, makeup_opens, makeup_closes FROM exam_windows WHERE exam_id = ?",
                              (exam_id,))
        return WindowOverride(*row) if row else None

    async def set_window(self, exam_id: str, window: WindowOverride, by: str, now: float) -> None:
        await self._write("INSERT INTO exam_windows(exam_id, opens, closes, makeup_opens, makeup_closes, set_by, set_at) "
                          "VALUES (?,?,?,?,?,?,?) ON CONFLICT(exam_id) DO UPDATE SET "
                          "opens = COALESCE(excluded.opens, opens), closes = COALESCE(excluded.closes, closes), "
                          "makeup_opens = COALESCE(excluded.makeup_opens, makeup_opens), "
                          "makeup_closes = COALESCE(excluded.makeup_closes, makeup_closes), "
                          "set_by = excluded.set_by, set_at = excluded.set_at",
                          (exam_id, window.opens, window.closes, window.makeup_opens, window.makeup_closes, by, now))

    async def tag_attempt(self, attempt_id: int, roster_id: int, unit_id: str, phase: str) -> None:
        await self._write("UPDATE attempts SET roster_id = ?, unit_id = ?, phase = ? WHERE id = ?",
                          (roster_id, unit_id, phase, attempt_id))

    async def official_attempts(self, roster_id: int, exam_id: str) -> list[tuple[int, str, str, float | None, int | None]]:
        """(id, phase, status, score, passed) of one roster entry on one exam, oldest first."""
        return await self._all("SELECT id, phase, status, score, passed FROM attempts WHERE roster_id = ? "
                               "AND exam_id = ? ORDER BY id", (roster_id, exam_id))

    async def official_record(self, roster_id: int) -> list[tuple[str, int | None]]:
        """(exam_id, passed) of every closed official attempt of a roster entry."""
        return await self._all("SELECT exam_id, passed FROM attempts WHERE roster_id = ? AND status != 'open'",
                               (roster_id,))

    # --- study credit ----------------------------------------------------------------
    async def refresh_study(self, utc_offset: int, rules: dict[str, ActivityRule]) -> None:
        """Fold new answer_log / activity_log rows into study_daily (per user, local day and
        activity), then recompute capped points of the days touched. A change of rules or
        offset rebuilds from scratch."""
        key = f"{utc_offset}|" + "|".join(f"{a}:{r.points}:{r.daily_cap}" for a, r in sorted(rules.items()))
        async with self.atomic():
            marks = {s: (i, k) for s, i, k in await self._all(
                "SELECT source, last_id, rules FROM study_marks WHERE source IN ('answer_log', 'activity_log')")}
            if any(k != key for _, k in marks.values()):
                await self._write("DELETE FROM study_daily")
                marks = {}
            low_day = None
            sources = (
                ("answer_log", "CASE WHEN mode = 'daily' THEN 'daily' ELSE 'practice' END", "mode != 'exam'"),
                ("activity_log", "'case_read'", "kind = 'case_read'"),
            )
            for table, activity, where in sources:
                last = marks.get(table, (0, key))[0]
                top = (await self._one(f"SELECT COALESCE(MAX(id), 0) FROM {table}"))[0]
                if top <= last:
                    if table not in marks:
                        await self._write("INSERT OR REPLACE INTO study_marks(source, last_id, rules) VALUES (?,?,?)",
                                          (table, top, key))
                    continue
                first = (await self._one(f"SELECT MIN(at) FROM {table} WHERE id > ? AND id <= ?", (last, top)))[0]
                if first is not None:
                    day = int((first + utc_offset) // 86400)
                    low_day = day if low_day is None else min(low_day, day)
                await self._write(
                    f"INSERT INTO study_daily(user_key, day, activity, count, points) "
                    f"SELECT user_key, CAST((at + ?) / 86400 AS INTEGER), {activity}, COUNT(*), 0 FROM {table} "
                    f"WHERE id > ? AND id <= ? AND {where} GROUP BY 1, 2, 3 "
                    f"ON CONFLICT(user_key, day, activity) DO UPDATE SET count = count + excluded.count",
                    (utc_offset, last, top))
                await self._write("INSERT OR REPLACE INTO study_marks(source, last_id, rules) VALUES (?,?,?)",
                                  (table, top, key))
            if low_day is not None:
                for activity, rule in rules.items():
                    cap = rule.daily_cap or 1 << 40
                    await self._write("UPDATE study_daily SET points = MIN(count * ?, ?) WHERE day >= ? "
                                      "AND activity = ?", (rule.points, cap, low_day, activity))

    async def study_days_of(self, users: list[str], since_day: int = 0) -> list[tuple[int, str, int, int]]:
        """(day, activity, count, points) of these chat accounts (one person's bindings)."""
        if not users:
            return []
        marks = ",".join("?" * len(users))
        return await self._all(f"SELECT day, activity, SUM(count), SUM(points) FROM study_daily "
                               f"WHERE user_key IN ({marks}) AND day >= ? GROUP BY day, activity ORDER BY day",
                               (*users, since_day))

    async def users_of(self, roster_id: int) -> list[str]:
        return [r[0] for r in await self._all("SELECT user_key FROM bindings WHERE roster_id = ?", (roster_id,))]
