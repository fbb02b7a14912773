"""Reminder rules as pure functions: who gets what and when, quiet hours, opt-outs, backoff and
the missed-run policy. No I/O here; the scheduler's jobs (bot/scheduler/jobs.py) and the chat's
reminder settings (bot/app/reminders.py) apply them to what storage returns."""

from __future__ import annotations

import random
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

_HHMM = re.compile(r"^\s*([01]?\d|2[0-3])\s*[:：.]\s*([0-5]\d)\s*$")
DAY = 24 * 60


def parse_hhmm(text: str) -> int | None:
    """'08:30' / '8:30' / '20：00' / full-width '２０：３０' -> minute of the day; None if it is not a time."""
    match = _HHMM.match(unicodedata.normalize("NFKC", text or ""))
    return int(match.group(1)) * 60 + int(match.group(2)) if match else None


def fmt_hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def minute_of(local: datetime) -> int:
    return local.hour * 60 + local.minute


@dataclass(frozen=True)
class QuietHours:
    """[start, end) in local minutes; wraps midnight when start > end; start == end: none."""
    start: int
    end: int

    def contains(self, minute: int) -> bool:
        if self.start == self.end:
            return False
        if self.start < self.end:
            return self.start <= minute < self.end
        return minute >= self.start or minute < self.end

    def next_end(self, local: datetime) -> datetime:
        """When the quiet hours that contain `local` end (local itself when not quiet)."""
        if not self.contains(minute_of(local)):
            return local
        end = local.replace(hour=self.end // 60, minute=self.end % 60, second=0, microsecond=0)
        return end if end > local else end + timedelta(days=1)

    def next_start(self, local: datetime) -> datetime:
        """The next moment quiet hours begin, at or after `local` (a reminder expires there)."""
        start = local.replace(hour=self.start // 60, minute=self.start % 60, second=0, microsecond=0)
        return start if start >= local else start + timedelta(days=1)


# --- the daily question --------------------------------------------------------------------
def daily_window(now_minute: int, grace_minutes: int) -> tuple[int, int]:
    """Chosen minutes that are due at local minute `now_minute`: those passed at most
    `grace_minutes` ago today. Earlier ones (and yesterday's) are stale and skipped."""
    return max(0, now_minute - grace_minutes), now_minute


def daily_expiry(local_now: datetime, chosen_minute: int, grace_minutes: int, quiet: QuietHours) -> datetime:
    """A daily question still unsent at the end of its grace period (or when quiet hours begin,
    or at midnight) is dropped rather than sent late."""
    chosen = local_now.replace(hour=chosen_minute // 60, minute=chosen_minute % 60, second=0, microsecond=0)
    midnight = local_now.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
    candidates = [chosen + timedelta(minutes=grace_minutes), midnight]
    if quiet.start != quiet.end:
        candidates.append(quiet.next_start(local_now))
    return min(candidates)


def wants_daily(enabled: bool | None) -> bool:
    """The daily question is opt-in."""
    return enabled is True


def wants_reminders(enabled: bool | None) -> bool:
    """Exam-window reminders go to everyone who has not opted out (None = never chose)."""
    return enabled is not False


def reminder_audience(candidates: Iterable[str], prefs: dict[str, bool | None], blocked: set[str]) -> list[str]:
    """Of the users who still have to sit or pass: drop those who opted out or blocked the bot."""
    return [u for u in candidates if u not in blocked and wants_reminders(prefs.get(u))]


# --- exam windows ---------------------------------------------------------------------------
@dataclass(frozen=True)
class ExamWindow:
    exam_id: str
    title: dict[str, str]
    opens: date  # local dates, inclusive
    closes: date

    def title_for(self, locale: str) -> str:
        return self.title.get(locale) or self.title.get("zh") or self.exam_id


def exam_reminder_kind(today: date, window: ExamWindow, days_before: Iterable[int]) -> tuple[str, int] | None:
    """Which reminder (if any) a window calls for today: ('open', 0) on the opening day,
    ('closing', n) n days before the last day, ('last_day', 0) on the last day."""
    if not window.opens <= today <= window.closes:
        return None
    left = (window.closes - today).days
    if left == 0:
        return "last_day", 0
    if today == window.opens:
        return "open", left
    if left in set(days_before):
        return "closing", left
    return None


# --- retries and missed runs ----------------------------------------------------------------
def backoff(tries: int, base: float, cap: float, rng: random.Random | None = None) -> float:
    """Exponential backoff with jitter: base * 2^(tries-1), capped, times 0.5..1."""
    delay = min(cap, base * (2 ** max(0, tries - 1)))
    return float(delay * (0.5 + 0.5 * (rng or random).random()))


def missed_run(last_fire: float | None, latest_due: float | None, now: float, catch_up_seconds: float) -> str:
    """What to do at start (or on a tick) about a job whose most recent scheduled fire time is
    `latest_due` (None: never due yet), given the last fire time that ran.

    'run' when a fire time was missed and is still meaningful (at most catch_up_seconds old),
    'skip' when it is stale (recorded as skipped, never sent late), 'idle' when nothing is owed.
    Several missed fire times coalesce into one decision about the latest: never a burst."""
    if latest_due is None or (last_fire is not None and latest_due <= last_fire):
        return "idle"
    return "run" if now - latest_due <= catch_up_seconds else "skip"
