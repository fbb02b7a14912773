"""Rates against a hand-worked fixture: a unit with no roster, a person who sat twice, a makeup,
a person who moved unit after sitting, best vs last final score, snapshots and item analysis."""

from __future__ import annotations

import dataclasses

import pytest

from bot.catalog.roster import load_roster, load_units
from bot.domain.models import PaperItem
from bot.domain.units import RosterEntry
from bot.services.stats_report import Stats, StatsError
from tests.support.sql import sql_one, sql_write
from tests.support.transcript import REPO

EXAM = "xuefa2026-shili"


async def _setup(app):
    store, now = app.storage, app.clock.now()
    units, _ = load_units(REPO / "content/org/units.yaml")
    await store.roster.upsert_units(units)
    people, _ = load_roster(REPO / "content/org/roster.csv", {u.id: u.name for u in units})
    await store.roster.upsert_roster(people, now)
    ids = {}
    for staff_no in ("SL0001", "SL0002", "SL0003", "SL0005", "SL0007"):
        entry = await store.roster.roster_by_staff_no(staff_no)
        ids[staff_no] = entry
        assert await store.roster.bind(entry.id, "cli", f"cli:{staff_no}", now)
    for staff_no in ("SL0001", "SL0002", "SL0005"):  # studied: one practice answer each
        await store.practice.log_answer(f"cli:{staff_no}", "q", True, None, "random", now)

    async def sit(staff_no, score, phase="regular", qs=(("q1", True), ("q2", False))):
        entry = ids[staff_no]
        paper = [PaperItem(q, (0, 1), 50) for q, _ in qs]
        attempt = await store.attempts.create_attempt(f"cli:{staff_no}", EXAM, "official", now, now + 600, paper)
        await store.attempts.tag_attempt(attempt.id, entry.id, entry.unit_id, phase)
        await store.attempts.finish_attempt(attempt.id, "submitted", now, score, score >= 60)
        await store.practice.log_answers([(f"cli:{staff_no}", q, int(ok), None, "exam", attempt.id, now) for q, ok in qs])

    await sit("SL0001", 80, qs=(("q1", True), ("q2", True)))  # sat twice: 80 then 50
    await sit("SL0001", 50)
    await sit("SL0003", 40, qs=(("q1", False), ("q2", False)))  # failed, then passed the makeup
    await sit("SL0003", 70, "makeup")
    await sit("SL0005", 55)
    await sit("SL0007", 90, qs=(("q1", True), ("q2", True)))  # sat in 东县司法局, then moved to 公安局
    moved = dataclasses.replace(ids["SL0007"], unit_id="shili-gaj")
    await store.roster.upsert_roster([moved], now)


def _row(report, unit_id):
    return next(r for r in report.rows if r.unit_id == unit_id)


async def test_per_unit_rates_by_hand(app):
    await _setup(app)
    stats = Stats(app.service.deps)
    report = await stats.report(EXAM, None, app.clock.now())
    assert report.unit_id == "shili"  # a single root is opened directly
    sfj, gaj, dx, xx = (_row(report, u) for u in ("shili-sfj", "shili-gaj", "shili-dx", "shili-xx"))
    assert (sfj.roster, sfj.registered, sfj.studied, sfj.sat, sfj.passed) == (4, 3, 2, 2, 2)
    assert sfj.scores == [70, 80] and sfj.average == 75 and sfj.median == 75
    assert (gaj.roster, gaj.registered, gaj.studied, gaj.sat, gaj.passed) == (3, 2, 1, 2, 1)
    assert gaj.pass_rate == 0.5 and gaj.median == 72.5  # the mover counts where they are now
    assert (dx.roster, dx.sat) == (3, 0) and dx.sit_rate == 0 and dx.pass_rate is None
    assert xx.roster == 0 and xx.study_rate is None and xx.sit_rate is None and xx.pass_rate_roster is None
    total = report.total
    assert (total.roster, total.registered, total.studied, total.sat, total.passed) == (10, 5, 3, 4, 3)
    assert (total.study_rate, total.sit_rate, total.pass_rate, total.pass_rate_roster) == (0.3, 0.4, 0.75, 0.3)
    assert total.average == pytest.approx(73.75) and total.median == 75
    assert [(rank, r.unit_id) for rank, r in report.ranking()] == [
        (1, "shili-sfj"), (2, "shili-gaj"), (3, "shili-dx"), (4, "shili-xx")]

    drill = await stats.report(EXAM, "shili-sfj", app.clock.now())
    assert [r.unit_id for r in drill.rows] == ["shili-sfj-bgs", "shili-sfj-pfk"]  # no empty 本级 row
    assert (_row(drill, "shili-sfj-pfk").sat, _row(drill, "shili-sfj-pfk").passed) == (1, 1)


async def test_last_attempt_rule_and_item_analysis(app):
    await _setup(app)
    app.catalog.exams[EXAM] = definition = app.catalog.exams[EXAM]
    spec = dataclasses.replace(definition.official, final_score="last")
    app.catalog.exams[EXAM] = dataclasses.replace(definition, official=spec)
    try:
        report = await Stats(app.service.deps).report(EXAM, None, app.clock.now())
        sfj = _row(report, "shili-sfj")
        assert sfj.scores == [50, 70] and sfj.passed == 1  # SL0001's last was 50
    finally:
        app.catalog.exams[EXAM] = definition
    items = {i.question_id: i for i in await Stats(app.service.deps).items(EXAM)}
    assert items["q1"].n == 6 and items["q1"].correct_rate == pytest.approx(5 / 6)
    assert items["q2"].correct_rate == pytest.approx(2 / 6)
    assert items["q2"].discrimination > 0.5  # only the 80 and 90 papers got q2 right


async def test_snapshot_and_trend(app, clock):
    await _setup(app)
    stats = Stats(app.service.deps)
    assert await stats.take_snapshot(clock.now()) > 0
    clock.advance(86_400)
    await app.storage.roster.bind((await app.storage.roster.roster_by_staff_no("SL0008")).id, "cli", "cli:SL0008", clock.now())
    await app.storage.practice.log_answer("cli:SL0008", "q", True, None, "random", clock.now())
    await stats.take_snapshot(clock.now())
    await stats.take_snapshot(clock.now())  # the same day again replaces, not adds
    trend = await stats.trend(EXAM, "shili")
    assert [(day, study, sit) for day, study, sit, _ in trend] == [
        ("2026-01-01", 0.3, 0.4), ("2026-01-02", 0.4, 0.4)]
    assert (await stats.trend(EXAM, "shili-xx"))[0][1] is None


async def test_trend_ends_with_the_live_figures_of_today(app, clock):
    await _setup(app)
    stats = Stats(app.service.deps)
    await stats.take_snapshot(clock.now())
    clock.advance(86_400)  # no snapshot yet today, and someone studied since
    await app.storage.roster.bind((await app.storage.roster.roster_by_staff_no("SL0008")).id, "cli", "cli:SL0008", clock.now())
    await app.storage.practice.log_answer("cli:SL0008", "q", True, None, "random", clock.now())
    report = await stats.report(EXAM, "shili", clock.now())
    trend = await stats.trend(EXAM, "shili", live=report, now=clock.now())
    assert [day for day, *_ in trend] == ["2026-01-01", "2026-01-02"]
    assert trend[-1][1:] == (report.total.study_rate, report.total.sit_rate, report.total.pass_rate_roster)
    assert trend[-1][1] == 0.4 and trend[0][1] == 0.3
    await stats.take_snapshot(clock.now())  # a snapshot of today is replaced by the live point, not doubled
    assert len(await stats.trend(EXAM, "shili", live=report, now=clock.now())) == 2


async def test_unknown_exam_or_unit(app):
    stats = Stats(app.service.deps)
    with pytest.raises(StatsError):
        await stats.report("kemu1", None, 0)  # a mock exam has no roster statistics
    with pytest.raises(StatsError):
        await stats.report(EXAM, "nowhere", 0)


async def test_roster_replace_deactivates_the_missing(app):
    store = app.storage
    await store.roster.upsert_units(load_units(REPO / "content/org/units.yaml")[0])
    first = [RosterEntry("A1", "甲", "shili-gaj"), RosterEntry("A2", "乙", "shili-gaj")]
    assert await store.roster.upsert_roster(first, 0) == (2, 0, 0)
    assert await store.roster.upsert_roster([RosterEntry("A1", "甲", "shili-sfj")], 1, replace=True) == (0, 1, 1)
    assert await store.roster.roster_count() == 1 and await store.roster.roster_by_staff_no("A2") is None


async def test_item_fold_does_not_reset_study_credit(app):
    await _setup(app)
    stats = Stats(app.service.deps)
    await stats.items(EXAM)
    await sql_write(app.storage, "INSERT INTO study_daily VALUES ('cli:marker', 1, 'practice', 1, 1)")
    await app.service.org.refresh_study(app.clock.now())
    assert await sql_one(app.storage, "SELECT points FROM study_daily WHERE user_key = 'cli:marker'") == (1,)


async def test_cached_counts_follow_every_change(app):
    await _setup(app)
    stats, store, now = Stats(app.service.deps), app.storage, app.clock.now()
    before = (await stats.report(EXAM, None, now)).total
    entry = await store.roster.roster_by_staff_no("SL0009")
    await store.roster.bind(entry.id, "tg", "tg:9", now)
    after = (await stats.report(EXAM, None, now)).total
    assert after.registered == before.registered + 1
    attempt = await store.attempts.create_attempt("tg:9", EXAM, "official", now, now + 60, [PaperItem("q1", (0, 1), 100)])
    await store.attempts.tag_attempt(attempt.id, entry.id, entry.unit_id, "regular")
    assert (await stats.report(EXAM, None, now)).total.sat == after.sat  # still open
    await store.attempts.finish_attempt(attempt.id, "submitted", now, 100, True)
    assert (await stats.report(EXAM, None, now)).total.sat == after.sat + 1
    await store.practice.log_answer("tg:9", "q", True, None, "random", now)
    assert (await stats.report(EXAM, None, now)).total.studied == after.studied + 1
