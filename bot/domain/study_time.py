"""学时 (active study time): how much of the time between two study actions counts, with an
idle cutoff, and the local-day spans of 本周 / 本月 / 本年."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

DAY = 86_400
HOUR = 3_600
PERIODS = ("week", "month", "year")


def credit(last_at: float | None, now: float, cutoff: float) -> float:
    """Seconds of study credited for an action at `now` after the previous one at `last_at`:
    the gap, but at most `cutoff` (an idle gap counts as the cutoff); the first action of all
    counts nothing, and a clock that went back counts nothing."""
    if last_at is None or now <= last_at:
        return 0.0
    return min(now - last_at, cutoff)


def hours(seconds: float) -> float:
    """学时 from seconds, rounded down to a tenth (never shows more than was studied)."""
    return int(seconds / HOUR * 10) / 10


def format_hours(seconds: float) -> str:
    return f"{hours(seconds):.1f}"


def _day_number(d: date) -> int:
    return (d - date(1970, 1, 1)).days


def local_day(ts: float, zone: str) -> int:
    """Days since 1970-01-01 in the zone's local calendar."""
    return _day_number(datetime.fromtimestamp(ts, ZoneInfo(zone)).date())


def period_days(period: str, now: float, zone: str) -> tuple[int, int]:
    """(first, last) local day numbers of the current week (Monday first), month or year."""
    today = datetime.fromtimestamp(now, ZoneInfo(zone)).date()
    if period == "week":
        first = today - timedelta(days=today.weekday())
    elif period == "month":
        first = today.replace(day=1)
    elif period == "year":
        first = today.replace(month=1, day=1)
    else:
        raise ValueError(f"unknown period {period!r}")
    return _day_number(first), _day_number(today)


def day_start(day: int, zone: str) -> float:
    """Epoch seconds at local midnight opening `day`."""
    d = date(1970, 1, 1) + timedelta(days=day)
    return datetime(d.year, d.month, d.day, tzinfo=ZoneInfo(zone)).timestamp()
