"""Who is who: the unit tree, a user's roster entry, admin roles and study credit, for the
official-exam, registration, /me and admin flows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from bot.deps import Deps
from bot.domain import study
from bot.domain.official_exam import StudyProgress
from bot.domain.units import RosterEntry, UnitTree


@dataclass(frozen=True, slots=True)
class AdminRole:
    user: str
    unit: str | None  # None: super admin (every unit)

    @property
    def is_super(self) -> bool:
        return self.unit is None

    def covers(self, tree: UnitTree, unit_id: str | None) -> bool:
        """May this admin act on unit_id (None = the whole tree)?"""
        if self.unit is None:
            return True
        return unit_id is not None and tree.within(unit_id, self.unit)


@dataclass(frozen=True, slots=True)
class StudySummary:
    total: int
    today: dict[str, int]  # activity -> points today (capped)
    streak: int
    practice_answers: int
    study_days: int

    def progress(self) -> StudyProgress:
        return StudyProgress(self.total, self.practice_answers, self.study_days)


class Org:
    def __init__(self, deps: Deps):
        self.deps = deps
        self.store = deps.storage

    async def tree(self) -> UnitTree:
        return UnitTree(await self.store.roster.all_units())

    async def role(self, user: str) -> AdminRole | None:
        if user in self.deps.config.admin.super_admins:
            return AdminRole(user, None)
        granted, unit = await self.store.admins.admin_scope(user)
        return AdminRole(user, unit) if granted else None

    async def entry(self, user: str) -> RosterEntry | None:
        return await self.store.roster.roster_of(user)

    # --- study credit ----------------------------------------------------------------
    def rules(self) -> dict[str, study.ActivityRule]:
        cfg = self.deps.config.study
        return {name: study.ActivityRule(getattr(cfg, name).points, getattr(cfg, name).daily_cap)
                for name in study.ACTIVITIES}

    def utc_offset(self, now: float) -> int:
        zone = ZoneInfo(self.deps.config.timezone)
        offset = datetime.fromtimestamp(now, UTC).astimezone(zone).utcoffset()
        return int(offset.total_seconds()) if offset else 0

    def day(self, ts: float) -> int:
        return study.day_number(ts, self.utc_offset(ts))

    async def refresh_study(self, now: float) -> None:
        await self.store.study.refresh_study(self.utc_offset(now), self.rules())

    async def study_summary(self, users: list[str], now: float, since: float | None = None) -> StudySummary:
        await self.refresh_study(now)
        since_day = self.day(since) if since else 0
        rows = await self.store.study.study_days_of(users, since_day)
        today = self.day(now)
        total = sum(points for _day, _act, _count, points in rows)
        today_points = {act: points for day, act, _count, points in rows if day == today}
        practice = sum(count for _day, act, count, _p in rows if act == "practice")
        days = {day for day, _act, _count, points in rows if points > 0}
        return StudySummary(total, today_points, study.streak(days, today), practice, len(days))
