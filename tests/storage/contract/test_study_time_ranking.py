"""学时 and leaderboard repositories, the same tests on SQLite and on PostgreSQL."""

from __future__ import annotations

from bot.domain.models import PaperItem
from bot.domain.study import ActivityRule
from bot.domain.units import RosterEntry, Unit


async def _people(store):
    await store.roster.upsert_units([Unit("city", "市"), Unit("a", "甲局", "city", 1), Unit("b", "乙局", "city", 2)])
    await store.roster.upsert_roster([RosterEntry(id=0, staff_no=s, name=n, unit_id=u) for s, n, u in
                                      (("S1", "张三明", "a"), ("S2", "李四", "a"), ("S3", "王五", "b"),
                                       ("S4", "赵六", "b"))], 1.0)
    ids = {}
    for staff, user in (("S1", "tg:1"), ("S2", "wx:2"), ("S3", "tg:3")):
        entry = await store.roster.roster_by_staff_no(staff)
        await store.roster.bind(entry.id, user.split(":")[0], user, 1.0)
        ids[staff] = entry.id
    ids["S4"] = (await store.roster.roster_by_staff_no("S4")).id
    return ids


async def test_study_time_adds_per_day_and_sums_per_roster_entry(store):
    ids = await _people(store)
    assert await store.study_time.last_active("tg:1") is None
    await store.study_time.add_time("tg:1", 100, 0.0, 10.0)  # first action: presence only
    assert await store.study_time.last_active("tg:1") == 10.0
    await store.study_time.add_time("tg:1", 100, 120.5, 130.5)
    await store.study_time.add_time("tg:1", 100, 300.0, 900.0)
    await store.study_time.add_time("tg:1", 101, 60.0, 90_000.0)
    await store.study_time.add_time("wx:2", 101, 30.0, 90_010.0)
    assert await store.study_time.last_active("tg:1") == 90_000.0
    assert await store.study_time.seconds_of(["tg:1"], 0, 1000) == [(100, 420.5), (101, 60.0)]
    assert await store.study_time.seconds_of(["tg:1", "wx:2"], 101, 101) == [(101, 90.0)]
    assert await store.study_time.seconds_of([], 0, 1000) == []
    assert await store.study_time.seconds_by_roster(101, 200) == {ids["S1"]: 60.0, ids["S2"]: 30.0}


async def test_ranking_figures_people_and_opt_out(store):
    ids = await _people(store)
    day = 20_000  # study_daily is folded from the answer log by local day
    at = day * 86_400 + 3_600.0
    for user, n in (("tg:1", 3), ("wx:2", 1)):
        await store.practice.log_answers([(user, f"q{i}", 1, None, "practice", None, at) for i in range(n)])
    await store.study.refresh_study(0, {"practice": ActivityRule(1, 0), "case_read": ActivityRule(2, 0),
                                        "daily": ActivityRule(5, 0)})
    await store.study_time.add_time("tg:1", day, 200.0, at)
    await store.study_time.add_time("tg:3", day, 50.0, at)
    attempt = await store.attempts.create_attempt("tg:3", "xf", "official", at, at + 600,
                                                  [PaperItem("q1", (0, 1), 10.0)])
    await store.attempts.tag_attempt(attempt.id, ids["S3"], "b", "regular")
    await store.attempts.finish_attempt(attempt.id, "submitted", at + 60, 80.0, True)

    figures, scores = await store.ranking.unit_figures(day, day, at - 3_600, at + 86_400, 2)
    by_unit = {f.unit_id: f for f in figures}
    a, b = by_unit["a"], by_unit["b"]
    assert (a.roster, a.studied, a.points, a.seconds) == (2, 1, 4, 200.0)  # 李四 has 1 point < 2
    assert (b.roster, b.studied, b.points, b.seconds) == (2, 0, 0, 50.0)
    assert scores == [("b", "xf", 80.0, 1)]
    figures, scores = await store.ranking.unit_figures(day + 1, day + 2, at + 86_400, at + 2 * 86_400, 1)
    assert {f.unit_id: f.points for f in figures} == {"a": 0, "b": 0} and scores == []

    people = await store.ranking.people_in_units(["a"], day, day)
    assert [(p.name, p.points, p.seconds, p.opted_out) for p in people] == [
        ("张三明", 3, 200.0, False), ("李四", 1, 0.0, False)]
    await store.ranking.set_opt_out(ids["S2"], True, 5.0)
    await store.ranking.set_opt_out(ids["S2"], True, 6.0)  # twice is fine
    assert await store.ranking.is_opted_out(ids["S2"])
    people = await store.ranking.people_in_units(["a", "b"], day, day)
    assert {p.name: p.opted_out for p in people} == {"张三明": False, "李四": True, "王五": False, "赵六": False}
    await store.ranking.set_opt_out(ids["S2"], False, 7.0)
    assert not await store.ranking.is_opted_out(ids["S2"])
