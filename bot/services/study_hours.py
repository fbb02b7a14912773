"""学时 (active study time): which turns count as study, crediting the time since the user's
previous study action (at most the idle cutoff), and the totals /me, /stats, exports and
official exam prerequisites read."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.deps import Deps
from bot.domain import study_time as st

# Turns that are not study: menus, settings, registration, admin work, the leaderboard.
_NOT_STUDY_COMMANDS = {"start", "menu", "help", "me", "lang", "bind", "remind", "broadcast", "bank", "cancel",
                       "rank", "stats", "export", "flags", "cert", "upload"}
_STUDY_ACTIONS = {"p", "x", "c", "g", "l", "k"}  # practice, exams, cases, guides, law, lookup answers
_NOT_STUDY_FLOWS = {"bind", "broadcast", "remind"}
STATE_KEY = "study_at"  # the session state's copy of the user's last study action (see record)


def counts_as_study(action: str | None, command: str | None, flow_before: str | None, admin_command: bool) -> bool:
    """Whether a turn is a study action: a button of a study flow, a study command, or typed
    text that answers a question or asks the bot about the law (not registration, settings or
    admin work)."""
    if action is not None:
        return action.split(":", 1)[0] in _STUDY_ACTIONS
    if command is not None:
        return not admin_command and command not in _NOT_STUDY_COMMANDS
    return flow_before not in _NOT_STUDY_FLOWS


@dataclass(frozen=True, slots=True)
class HoursSummary:
    today: float  # seconds
    week: float
    year: float


class StudyHours:
    def __init__(self, deps: Deps):
        self.deps = deps
        self.repo = deps.storage.study_time

    @property
    def zone(self) -> str:
        return self.deps.config.timezone

    async def record(self, user: str, now: float, state: dict[str, Any] | None = None) -> float:
        """Credit the time since the user's previous study action; returns the seconds credited.
        With the turn's session `state`, the previous action's time is carried there too
        (STATE_KEY, written with the state in the same transaction as the 学时 rows), so a turn
        reads it from the state it already has instead of asking the database; a state without
        it (a new session, a flow that cleared it) falls back to the stored last action."""
        cutoff = self.deps.config.study_hours.idle_cutoff_seconds
        last = state.get(STATE_KEY) if state is not None else None
        if not isinstance(last, (int, float)):
            last = await self.repo.last_active(user)
        seconds = st.credit(last, now, cutoff)
        await self.repo.add_time(user, st.local_day(now, self.zone), seconds, now)
        if state is not None:
            state[STATE_KEY] = now
        return seconds

    async def summary(self, users: list[str], now: float) -> HoursSummary:
        today = st.local_day(now, self.zone)
        year_start, _ = st.period_days("year", now, self.zone)
        week_start, _ = st.period_days("week", now, self.zone)
        rows = await self.repo.seconds_of(users, min(year_start, week_start), today)
        return HoursSummary(sum(s for d, s in rows if d == today), sum(s for d, s in rows if d >= week_start),
                            sum(s for d, s in rows if d >= year_start))

    async def seconds_since(self, users: list[str], since: float | None, now: float) -> float:
        """学时 seconds of these accounts from the local day of `since` (all time when None)."""
        first = st.local_day(since, self.zone) if since else 0
        return sum(s for _d, s in await self.repo.seconds_of(users, first, st.local_day(now, self.zone)))

    async def by_roster(self, since: float | None, now: float) -> dict[int, float]:
        first = st.local_day(since, self.zone) if since else 0
        return await self.repo.seconds_by_roster(first, st.local_day(now, self.zone))
