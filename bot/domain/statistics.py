"""Statistics maths for admins: rates (参学率, 参考率, 通过率), averages and medians per unit,
rankings, and item analysis (correct rate, discrimination). Pure functions over plain data."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field


def rate(part: int, whole: int) -> float | None:
    """part/whole, None when whole is 0 (shown as "—", never as 0% or 100%)."""
    return part / whole if whole else None


def mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def median(values: Sequence[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def weighted_median(counts: Mapping[float, int]) -> float | None:
    """The median of values given as value -> how many times (scores repeat a lot)."""
    n = sum(counts.values())
    if not n:
        return None
    ordered = sorted(counts.items())

    def nth(k: int) -> float:  # the k-th smallest value, 0-based
        seen = 0
        for value, count in ordered:
            seen += count
            if k < seen:
                return value
        return ordered[-1][0]

    return nth(n // 2) if n % 2 else (nth(n // 2 - 1) + nth(n // 2)) / 2


@dataclass(frozen=True, slots=True)
class PersonFacts:
    """One roster entry for one exam: its unit now, and what it has done."""

    roster_id: int
    unit_id: str
    registered: bool
    studied: bool
    score: float | None  # final score (best or last); None = has not sat
    passed: bool = False


@dataclass(slots=True)
class UnitStats:
    unit_id: str
    name: str
    roster: int = 0
    registered: int = 0
    studied: int = 0
    sat: int = 0
    passed: int = 0
    score_counts: Counter[float] = field(default_factory=Counter, repr=False)  # final score -> people

    def add(self, person: PersonFacts) -> None:
        self.roster += 1
        self.registered += person.registered
        self.studied += person.studied
        if person.score is not None:
            self.sat += 1
            self.passed += person.passed
            self.score_counts[person.score] += 1

    def merge(self, other: UnitStats) -> None:
        self.roster += other.roster
        self.registered += other.registered
        self.studied += other.studied
        self.sat += other.sat
        self.passed += other.passed
        self.score_counts.update(other.score_counts)

    @property
    def scores(self) -> list[float]:
        return sorted(self.score_counts.elements())

    @property
    def study_rate(self) -> float | None:  # 参学率
        return rate(self.studied, self.roster)

    @property
    def sit_rate(self) -> float | None:  # 参考率
        return rate(self.sat, self.roster)

    @property
    def pass_rate(self) -> float | None:  # 通过率 = passed / sat
        return rate(self.passed, self.sat)

    @property
    def pass_rate_roster(self) -> float | None:  # passed / roster
        return rate(self.passed, self.roster)

    @property
    def register_rate(self) -> float | None:
        return rate(self.registered, self.roster)

    @property
    def average(self) -> float | None:
        return sum(v * c for v, c in self.score_counts.items()) / self.sat if self.sat else None

    @property
    def median(self) -> float | None:
        return weighted_median(self.score_counts)


def aggregate(people: Iterable[PersonFacts], owner: Mapping[str, str], names: Mapping[str, str],
              total_id: str = "", total_name: str = "") -> tuple[list[UnitStats], UnitStats]:
    """Group people into buckets (owner maps a person's unit to its bucket; people outside every
    bucket are skipped). Returns the bucket rows in the owner's order and the total row."""
    rows: dict[str, UnitStats] = {}
    for bucket in dict.fromkeys(owner.values()):
        rows[bucket] = UnitStats(bucket, names.get(bucket, bucket))
    total = UnitStats(total_id, total_name)
    for person in people:
        row = rows.get(owner.get(person.unit_id, ""))
        if row is None:
            continue
        row.add(person)
        total.add(person)
    return list(rows.values()), total


def aggregate_units(per_unit: Mapping[str, UnitStats], owner: Mapping[str, str], names: Mapping[str, str],
                    total_id: str = "", total_name: str = "") -> tuple[list[UnitStats], UnitStats]:
    """Like aggregate, from counts already summed per unit (the fast path for big rosters)."""
    rows: dict[str, UnitStats] = {b: UnitStats(b, names.get(b, b)) for b in dict.fromkeys(owner.values())}
    total = UnitStats(total_id, total_name)
    for unit_id, stats in per_unit.items():
        bucket = owner.get(unit_id)
        if bucket is None:
            continue
        rows[bucket].merge(stats)
        total.merge(stats)
    return list(rows.values()), total


def ranked(rows: Sequence[UnitStats], key: str = "pass_rate_roster") -> list[tuple[int, UnitStats]]:
    """Competition ranking (1, 2, 2, 4) by a rate, best first; units with no roster go last."""
    def value(row: UnitStats) -> float:
        v = getattr(row, key)
        return -1.0 if v is None else v

    ordered = sorted(rows, key=lambda r: (-value(r), r.unit_id))
    out, last_value, last_rank = [], None, 0
    for i, row in enumerate(ordered, start=1):
        v = value(row)
        if v != last_value:
            last_rank, last_value = i, v
        out.append((last_rank, row))
    return out


# --- item analysis ---------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class ItemSums:
    """Sufficient statistics of one question over the attempts that had it."""

    question_id: str
    n: int  # answers
    n_correct: int
    sum_score: float  # the attempts' total scores
    sum_sq_score: float
    sum_score_correct: float  # total scores of the attempts that got it right


@dataclass(frozen=True, slots=True)
class ItemAnalysis:
    question_id: str
    n: int
    correct_rate: float | None  # difficulty index p
    discrimination: float | None  # point-biserial correlation with the total score


def point_biserial(s: ItemSums) -> float | None:
    """r_pb = (M1 - M0) / sd * sqrt(p q), population sd. None when undefined (everyone right,
    everyone wrong, or all totals equal)."""
    n, n1 = s.n, s.n_correct
    if n < 2 or n1 == 0 or n1 == n:
        return None
    mean_all = s.sum_score / n
    variance = s.sum_sq_score / n - mean_all ** 2
    if variance <= 1e-12:
        return None
    m1 = s.sum_score_correct / n1
    m0 = (s.sum_score - s.sum_score_correct) / (n - n1)
    p = n1 / n
    return (m1 - m0) / math.sqrt(variance) * math.sqrt(p * (1 - p))


def analyse(sums: ItemSums) -> ItemAnalysis:
    return ItemAnalysis(sums.question_id, sums.n, rate(sums.n_correct, sums.n), point_biserial(sums))


def upper_lower_index(results: Sequence[tuple[float, bool]], fraction: float = 0.27) -> float | None:
    """Classical discrimination D = p(upper 27%) - p(lower 27%) by total score, for one
    question: results are (total score, answered right) per examinee."""
    k = round(len(results) * fraction)
    if k < 1:
        return None
    ordered = sorted(results, key=lambda r: r[0])
    lower, upper = ordered[:k], ordered[-k:]
    return sum(r[1] for r in upper) / k - sum(r[1] for r in lower) / k


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"
