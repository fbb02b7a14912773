"""Study credit (参学): points per activity per day with a daily cap, as 学习强国 does, and the
streak of study days."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

DAY = 86_400
ACTIVITIES = ("practice", "case_read", "daily", "pk")  # practice answers, explainers read, daily questions, PK wins


@dataclass(frozen=True, slots=True)
class ActivityRule:
    points: int = 1  # per item; 0 = does not count
    daily_cap: int = 0  # at most this many points per day; 0 = no cap


def day_points(count: int, rule: ActivityRule) -> int:
    points = count * rule.points
    return min(points, rule.daily_cap) if rule.daily_cap else points


def day_number(ts: float, utc_offset_seconds: int) -> int:
    """Days since 1970-01-01 in local time (a fixed offset: China has no daylight saving)."""
    return int((ts + utc_offset_seconds) // DAY)


def streak(days: Iterable[int], today: int) -> int:
    """Consecutive study days ending today (or yesterday, when today has no study yet)."""
    have = set(days)
    current = today if today in have else today - 1
    count = 0
    while current in have:
        count += 1
        current -= 1
    return count
