"""The drill-down person list (filtered, sorted, paged in SQL), the same tests on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from bot.domain.study import ActivityRule
from tests.support.six_people import AT, DAY, sit, sit_the_exams, six_people


@pytest.fixture
async def people(store):
    """S1 studied and passed (after a fail); S2 studied, failed; S3 bound, no study, open attempt
    only; S4 not bound; S5 in unit b passed; S6 inactive."""
    ids = await six_people(store)
    for staff, user in (("S1", "tg:1"), ("S2", "tg:2"), ("S3", "tg:3"), ("S5", "tg:5")):
        await store.roster.bind(ids[staff], "tg", user, 1.0)
    for user, n in (("tg:1", 6), ("tg:2", 5), ("tg:3", 1), ("tg:5", 7)):
        await store.practice.log_answers([(user, f"q{i}", 1, None, "practice", None, AT) for i in range(n)])
    await store.study.refresh_study(0, {"practice": ActivityRule(1, 0), "case_read": ActivityRule(2, 0),
                                        "daily": ActivityRule(5, 0)})
    await sit_the_exams(store, ids)
    from sqlalchemy import update

    from bot.storage.tables import roster
    await store.db.run(update(roster).where(roster.c.staff_no == "S6").values(active=0))
    return ids


async def _staff(store, since_day=0, **kw):
    return [p.staff_no for p in await store.person_list.person_page("xf", "best", since_day, 5, **kw)]


async def test_filters_follow_the_statistics_definitions(store, people):
    assert await _staff(store) == ["S1", "S2", "S3", "S4", "S5"]  # S6 is inactive
    assert await _staff(store, which="not_studied") == ["S3", "S4"]  # 1 point, no binding
    assert await _staff(store, which="not_sat") == ["S3", "S4"]  # an open attempt is not a result
    assert await _staff(store, which="not_passed") == ["S2"]  # S1's best passed
    assert await _staff(store, units=["a"], which="all") == ["S1", "S2", "S3", "S4"]
    assert await _staff(store, units=["b"], which="not_passed") == []  # the other exam does not count
    assert await _staff(store, units=[]) == []
    assert await _staff(store, roles=["教师"]) == ["S4"]
    rows = {p.staff_no: p for p in await store.person_list.person_page("xf", "best", 0, 5)}
    s1 = rows["S1"]
    assert (s1.name, s1.unit_id, s1.registered, s1.study_points, s1.attempts, s1.score, s1.passed) == \
        ("张三", "a", True, 6, 2, 90.0, True)
    assert (rows["S4"].registered, rows["S4"].study_points, rows["S4"].score, rows["S4"].passed) == (False, 0, None, None)
    assert rows["S3"].attempts == 0
    await sit(store, "tg:5", people["S5"], "b", 20.0, False)  # S5 passed with 70, then sat again
    best = {p.staff_no: p for p in await store.person_list.person_page("xf", "best", 0, 5)}
    assert (best["S5"].score, best["S5"].passed, best["S5"].attempts) == (70.0, True, 2)
    last = {p.staff_no: p for p in await store.person_list.person_page("xf", "last", 0, 5)}
    assert (last["S1"].score, last["S1"].passed) == (90.0, True)
    assert (last["S5"].score, last["S5"].passed) == (20.0, False)
    assert [p.staff_no for p in await store.person_list.person_page("xf", "last", 0, 5, which="not_passed")] == \
        ["S2", "S5"]
    assert await _staff(store, since_day=DAY + 1, which="not_studied") == ["S1", "S2", "S3", "S4", "S5"]


async def test_sort_and_page(store, people):
    assert await _staff(store, sort="score", descending=True) == ["S1", "S5", "S2", "S3", "S4"]  # no score last
    assert await _staff(store, sort="score") == ["S2", "S5", "S1", "S3", "S4"]
    assert await _staff(store, sort="points", descending=True) == ["S5", "S1", "S2", "S3", "S4"]
    assert await _staff(store, sort="unit", descending=True) == ["S5", "S1", "S2", "S3", "S4"]
    assert await _staff(store, sort="attempts", descending=True) == ["S1", "S2", "S5", "S3", "S4"]
    assert await _staff(store, offset=2, limit=2) == ["S3", "S4"]
    assert await _staff(store, offset=4, limit=2) == ["S5"]
    assert await _staff(store, offset=10, limit=2) == []
    with pytest.raises(ValueError):
        await _staff(store, sort="name; DROP TABLE roster")


async def test_unit_seconds_sum_study_time_of_the_active_roster(store, people):
    await store.study_time.add_time("tg:1", DAY, 120.0, AT)
    await store.study_time.add_time("tg:2", DAY, 30.0, AT)
    await store.study_time.add_time("tg:2", DAY + 5, 45.0, AT)  # outside the days asked for
    await store.study_time.add_time("tg:5", DAY - 1, 60.0, AT)
    await store.study_time.add_time("tg:9", DAY, 999.0, AT)  # an account with no roster entry
    figures = {u: (n, s) for u, n, s in await store.person_list.unit_seconds(DAY - 1, DAY + 1)}
    assert figures == {"a": (4, 150.0), "b": (1, 60.0)}  # S6 is inactive
    assert {u: s for u, _, s in await store.person_list.unit_seconds(DAY + 2, DAY + 9)} == {"a": 45.0, "b": 0.0}
