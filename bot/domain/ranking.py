"""Leaderboard rules: competition ranking (1, 2, 2, 4), masked names, and unit figures
(参学率, average score, points per person)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")
UNIT_METRICS = ("rate", "score", "points")


def mask_name(name: str) -> str:
    """张三明 -> 张*明, 欧阳晓明 -> 欧**明, 张三 -> 张*, 张 -> *."""
    name = name.strip()
    if len(name) <= 1:
        return "*"
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def competition_ranks(items: Sequence[T], key: Callable[[T], tuple[object, ...]]) -> list[tuple[int, T]]:
    """Sort by key (highest first) and rank: equal keys share a rank, the next rank skips."""
    ordered = sorted(items, key=key, reverse=True)
    out: list[tuple[int, T]] = []
    previous = None
    for index, item in enumerate(ordered):
        k = key(item)
        rank = out[-1][0] if out and k == previous else index + 1
        out.append((rank, item))
        previous = k
    return out


@dataclass(frozen=True, slots=True)
class UnitFigures:
    """One unit's study in a period: people on the roster, people who studied, their points
    and 学时, and the official exam scores submitted in the period."""

    unit_id: str
    roster: int = 0
    studied: int = 0
    points: int = 0
    seconds: float = 0.0
    score_sum: float = 0.0
    scores: int = 0

    def merged(self, other: UnitFigures) -> UnitFigures:
        return UnitFigures(self.unit_id, self.roster + other.roster, self.studied + other.studied,
                           self.points + other.points, self.seconds + other.seconds,
                           self.score_sum + other.score_sum, self.scores + other.scores)

    @property
    def study_rate(self) -> float | None:
        return self.studied / self.roster if self.roster else None

    @property
    def average_score(self) -> float | None:
        return self.score_sum / self.scores if self.scores else None

    @property
    def points_per_person(self) -> float | None:
        return self.points / self.roster if self.roster else None

    def sort_key(self, metric: str) -> tuple[object, ...]:
        """Highest first; a unit without a figure (no roster, no scores) comes last."""
        main = {"rate": self.study_rate, "score": self.average_score, "points": self.points_per_person}[metric]
        second = self.points_per_person if metric != "points" else self.study_rate
        return (main is not None, main or 0.0, second or 0.0)
