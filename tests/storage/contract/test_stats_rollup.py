"""The statistics rollups (stats_people, stats_finals) kept by triggers: after answers, study
folds, 学时, bindings, roster moves and person erasure, the per-unit counts and 学时 read from
them equal a recomputation from the base tables. The same tests on SQLite and PostgreSQL."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import and_, func, select, update

from bot.domain.study import ActivityRule
from bot.storage import stats_rollup
from bot.storage.sql.stats import final_results
from bot.storage.tables import attempts, bindings, roster, stats_finals, stats_people, study_daily, study_time
from tests.support.six_people import AT, DAY, sit, sit_the_exams, six_people

RULES = {"practice": ActivityRule(1, 0), "case_read": ActivityRule(2, 0), "daily": ActivityRule(5, 0)}
R, B, S, T = roster.c, bindings.c, study_daily.c, study_time.c


async def recount(store, exam_id: str, final_score: str, since_day: int, min_points: int) -> dict[str, Counter]:
    """The per-unit counts straight from roster, bindings, study_daily and attempts."""
    run = store.db.run
    reg = select(B.roster_id).distinct().subquery("b")
    studied = (select(B.roster_id).select_from(bindings.join(study_daily, and_(S.user_key == B.user_key,
                                                                               S.day >= since_day)))
               .group_by(B.roster_id).having(func.sum(S.points) >= min_points).subquery("x"))
    fin = final_results(exam_id, final_score)
    by = (R.unit_id, R.role)
    rows = {
        "roster": (await run(select(*by, func.count()).where(R.active == 1).group_by(*by))).rows,
        "registered": (await run(select(*by, func.count()).select_from(reg.join(roster, R.id == reg.c.roster_id))
                                 .where(R.active == 1).group_by(*by))).rows,
        "studied": (await run(select(*by, func.count()).select_from(studied.join(roster, R.id == studied.c.roster_id))
                              .where(R.active == 1).group_by(*by))).rows,
        "results": (await run(select(*by, fin.c.score, fin.c.passed, func.count())
                              .select_from(fin.join(roster, R.id == fin.c.roster_id)).where(R.active == 1)
                              .group_by(*by, fin.c.score, fin.c.passed))).rows,
    }
    return {k: _counter(v) for k, v in rows.items()}


def _counter(rows) -> Counter:
    out: Counter = Counter()
    for *key, n in rows:
        if n:
            out[tuple(None if v is None else float(v) if isinstance(v, float) else v for v in key)] += int(n)
    return out


async def reseconds(store, first: int, last: int) -> dict[str, tuple[int, float]]:
    per = (select(B.roster_id.label("rid"), func.sum(T.seconds).label("s"))
           .select_from(study_time.join(bindings, B.user_key == T.user_key))
           .where(T.day >= first, T.day <= last).group_by(B.roster_id).subquery("sec"))
    rows = (await store.db.run(select(R.unit_id, func.count(), func.coalesce(func.sum(per.c.s), 0.0))
                               .select_from(roster.outerjoin(per, per.c.rid == R.id))
                               .where(R.active == 1).group_by(R.unit_id))).rows
    return {u: (int(n), float(s)) for u, n, s in rows}


async def check(store) -> None:
    """Every combination of rules the report uses: rollup == recomputation."""
    for exam in ("xf", "other"):
        for final in ("best", "last"):
            for since in (0, DAY, DAY + 1):
                for need in (1, 5):
                    got = await store.stats.unit_counts(exam, final, since, need)
                    assert {k: _counter(v) for k, v in got.items()} == \
                        await recount(store, exam, final, since, need), (exam, final, since, need)
            # the per-person rows of the workbook, against the drill-down's reads of the base tables
            rows = sorted(await store.stats.person_rows(exam, final, since), key=lambda p: p.staff_no)
            assert rows == await store.person_list.person_page(exam, final, since, 1, limit=1000), (exam, final, since)
    for first, last in ((0, DAY + 10), (DAY, DAY), (DAY + 1, DAY + 10)):
        got = {u: (n, s) for u, n, s in await store.person_list.unit_seconds(first, last)}
        want = await reseconds(store, first, last)
        assert got.keys() == want.keys()
        for unit, (n, s) in want.items():
            assert got[unit][0] == n and got[unit][1] == pytest.approx(s, abs=1e-6), (unit, first, last)


async def _study(store, user, n, at=AT):
    await store.practice.log_answers([(user, f"q{i}", 1, None, "practice", None, at) for i in range(n)])
    await store.study.refresh_study(0, RULES)


@pytest.fixture
async def people(store):
    ids = await six_people(store)
    for staff, user in (("S1", "tg:1"), ("S2", "tg:2"), ("S3", "tg:3"), ("S5", "tg:5"), ("S6", "tg:6")):
        await store.roster.bind(ids[staff], "tg", user, 1.0)
    await store.roster.bind(ids["S1"], "wx", "wx:1", 1.0)  # two accounts, one person
    await _study(store, "tg:1", 3, AT - 86_400)  # the day before DAY
    for user, n in (("tg:1", 6), ("wx:1", 2), ("tg:2", 5), ("tg:3", 1), ("tg:5", 7), ("tg:6", 9)):
        await _study(store, user, n)
    for user, day, seconds in (("tg:1", DAY - 1, 100.0), ("tg:1", DAY, 50.5), ("wx:1", DAY, 20.0),
                               ("tg:2", DAY + 1, 30.0), ("tg:5", DAY, 70.25), ("tg:6", DAY, 9.0)):
        await store.study_time.add_time(user, day, seconds, AT)
    await sit_the_exams(store, ids)
    await store.db.run(update(roster).where(R.staff_no == "S6").values(active=0))
    return ids


async def test_the_rollup_equals_a_recount_as_things_change(store, people):
    ids = people
    await check(store)
    counts = await store.stats.unit_counts("xf", "best", 0, 1)
    assert sorted(counts["roster"]) == [("a", "公务员", 3), ("a", "教师", 1), ("b", "公务员", 1)]  # S6 inactive
    assert sorted(counts["results"]) == [("a", "公务员", 30.0, 0, 1), ("a", "公务员", 90.0, 1, 1),
                                         ("b", "公务员", 70.0, 1, 1)]
    # an open attempt is submitted, a second one for S5 is expired with a low score
    open_id = (await store.db.run(select(attempts.c.id).where(attempts.c.status == "open"))).scalar()
    await store.attempts.finish_attempt(open_id, "submitted", AT + 90, 55.0, False)
    await sit(store, "tg:5", ids["S5"], "b", 20.0, False, status="expired")
    await check(store)
    # S4 binds an account that already has study credit and 学时; S2 unbinds
    await _study(store, "tg:4", 4)
    await store.study_time.add_time("tg:4", DAY, 12.0, AT)
    await store.roster.bind(ids["S4"], "tg", "tg:4", 2.0)
    await store.roster.unbind(ids["S2"], "tg")
    await check(store)
    # more study after binding, 学时 for a bound account, an answer for the unbound one
    await _study(store, "tg:4", 3)
    await _study(store, "tg:2", 3)
    await store.study_time.add_time("tg:4", DAY + 1, 8.0, AT)
    await store.study_time.add_time("wx:1", DAY, 5.0, AT)
    await check(store)
    # roster moves and a role change, one entry deactivated and one brought back
    assert await store.roster_admin.move(ids["S1"], "b", 3.0)
    await store.db.run(update(roster).where(R.id == ids["S3"]).values(role="教师", active=0))
    await store.db.run(update(roster).where(R.id == ids["S6"]).values(active=1))
    await check(store)
    # a change of study rules refolds study_daily from scratch
    await store.study.refresh_study(0, {**RULES, "practice": ActivityRule(2, 6)})
    await check(store)
    # erasure: S5's accounts renamed or deleted everywhere
    assert await store.roster_admin.erase(ids["S5"], 4.0) is not None
    assert await store.roster_admin.erase(ids["S1"], 4.0) is not None
    await check(store)
    await sit(store, "tg:6", ids["S6"], "a", 80.0, True)
    await check(store)


async def test_rebuild_gives_what_the_triggers_kept(store, people):
    await store.roster.unbind(people["S2"], "tg")
    assert await store.roster_admin.move(people["S1"], "b", 3.0)
    await store.roster_admin.erase(people["S5"], 4.0)
    P, F = stats_people.c, stats_finals.c
    people_q = select(P.roster_id, P.unit_id, P.role, P.active, P.bound, P.points).order_by(P.roster_id)
    seconds_q = select(P.roster_id, P.seconds).order_by(P.roster_id)
    finals_q = select(F.exam_id, F.roster_id, F.unit_id, F.role, F.active, F.n, F.best, F.best_passed,
                      F.last_score, F.last_passed).order_by(F.exam_id, F.roster_id)
    kept = [(await store.db.run(q)).rows for q in (people_q, seconds_q, finals_q)]
    assert len(kept[0]) == 6 and len(kept[2]) == 4
    async with store.db.transaction():
        for statement in stats_rollup.rebuild_statements():
            await store.db.run(statement)
    rebuilt = [(await store.db.run(q)).rows for q in (people_q, seconds_q, finals_q)]
    assert [list(map(tuple, r)) for r in rebuilt[0::2]] == [list(map(tuple, r)) for r in kept[0::2]]
    assert [(r, pytest.approx(s)) for r, s in rebuilt[1]] == [(r, s) for r, s in kept[1]]
