"""Statistics maths against hand-worked numbers."""

from __future__ import annotations

import math

import pytest

from bot.domain.statistics import (
    ItemSums,
    PersonFacts,
    aggregate,
    analyse,
    median,
    percent,
    point_biserial,
    ranked,
    rate,
    upper_lower_index,
)


def test_rate_median_and_percent():
    assert rate(1, 3) == pytest.approx(1 / 3)
    assert rate(0, 0) is None and percent(None) == "—"
    assert median([]) is None and median([3]) == 3 and median([4, 1, 3]) == 3 and median([1, 2, 3, 10]) == 2.5
    assert percent(0.99975) == "100.0%" and percent(0.5) == "50.0%"


def _people():
    # unit a: 3 people (one sat twice -> one final score), unit b: 1 person, unit c: nobody
    return [
        PersonFacts(1, "a", True, True, 90.0, True),
        PersonFacts(2, "a", True, True, 50.0, False),
        PersonFacts(3, "a", False, False, None),
        PersonFacts(4, "b1", True, True, 70.0, True),  # b1 sits below b
    ]


def test_aggregate_by_bucket_with_zero_roster_unit():
    owner = {"a": "a", "b": "b", "b1": "b", "c": "c"}
    rows, total = aggregate(_people(), owner, {"a": "A", "b": "B", "c": "C"}, "", "all")
    by = {r.unit_id: r for r in rows}
    a, b, c = by["a"], by["b"], by["c"]
    assert (a.roster, a.registered, a.studied, a.sat, a.passed) == (3, 2, 2, 2, 1)
    assert a.study_rate == pytest.approx(2 / 3) and a.sit_rate == pytest.approx(2 / 3)
    assert a.pass_rate == 0.5 and a.pass_rate_roster == pytest.approx(1 / 3)
    assert a.average == 70 and a.median == 70
    assert (b.roster, b.sat, b.passed, b.pass_rate) == (1, 1, 1, 1.0)
    assert c.roster == 0 and c.study_rate is None and c.pass_rate is None and c.average is None
    assert (total.roster, total.sat, total.passed) == (4, 3, 2)
    assert total.median == 70 and total.average == 70


def test_ranking_ties_and_empty_units_last():
    owner = {"a": "a", "b": "b", "b1": "b", "c": "c"}
    rows, _ = aggregate(_people(), owner, {}, "", "")
    order = [(rank, r.unit_id) for rank, r in ranked(rows)]
    assert order == [(1, "b"), (2, "a"), (3, "c")]
    rows[0].passed = 3  # a: 3/3 ties with b: 1/1
    assert [(rank, r.unit_id) for rank, r in ranked(rows)][:2] == [(1, "a"), (1, "b")]


def test_point_biserial_matches_the_textbook_formula():
    # totals 10, 8, 6, 4; the two best got the item right
    totals, right = [10, 8, 6, 4], [1, 1, 0, 0]
    sums = ItemSums("q", 4, 2, sum(totals), sum(t * t for t in totals), 18)
    m1, m0, sd = 9, 5, math.sqrt(5)  # population sd of 10, 8, 6, 4
    assert point_biserial(sums) == pytest.approx((m1 - m0) / sd * math.sqrt(0.25))
    item = analyse(sums)
    assert item.correct_rate == 0.5 and item.discrimination == pytest.approx(0.894, abs=1e-3)
    assert point_biserial(ItemSums("q", 4, 4, 28, 216, 28)) is None  # everyone right
    assert point_biserial(ItemSums("q", 3, 1, 15, 75, 5)) is None  # equal totals
    assert upper_lower_index(list(zip(totals, map(bool, right), strict=True)), 0.27) == 1.0
    assert upper_lower_index([(1, True)], 0.27) is None


def test_weighted_median_and_merged_units_match_the_plain_ones():
    from collections import Counter

    from bot.domain.statistics import UnitStats, aggregate_units, weighted_median

    values = [55, 60, 60, 72.5, 90, 100]
    assert weighted_median(Counter(values)) == median(values) == 66.25
    assert weighted_median(Counter([3, 1, 2])) == 2 and weighted_median({}) is None
    a, b = UnitStats("a", "A"), UnitStats("b", "B")
    for person in _people()[:3]:
        a.add(person)
    b.add(_people()[3])
    rows, total = aggregate_units({"a": a, "b1": b}, {"a": "a", "b1": "b"}, {"a": "A", "b": "B"})
    assert [(r.unit_id, r.roster, r.sat) for r in rows] == [("a", 3, 2), ("b", 1, 1)]
    assert total.median == 70 and total.average == 70 and total.scores == [50, 70, 90]
