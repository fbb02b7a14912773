"""The statistics workbook streamed from the database (bot.services.stats.write_workbook): the
people are read a chunk at a time (Stats.people_chunks over a SQLite cursor or a PostgreSQL
server-side cursor) and written as they come, so the same workbook as the one built from every
person at once (stats_files.workbook after Stats.load_people), cell for cell, in memory that
does not grow with the organisation. The hand-worked fixture runs on PostgreSQL too
(LAWBOT_TEST_BACKEND=postgresql); the generated cities are written into SQLite by bench/stats.py."""

from __future__ import annotations

import dataclasses
import importlib.util
import io
import tracemalloc
from pathlib import Path

import openpyxl
import pytest

from bot.bootstrap import build
from bot.clock import ManualClock
from bot.config import load_config
from bot.domain import study_time
from bot.services import stats as svc
from bot.services import stats_files
from bot.services.org import AdminRole, Org
from bot.services.rights import Actor
from bot.services.stats_report import Stats
from tests.app.test_stats_fixture import EXAM, _setup
from tests.support.transcript import REPO

_spec = importlib.util.spec_from_file_location("bench_stats", REPO / "bench" / "stats.py")
assert _spec is not None and _spec.loader is not None
bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench)


def _cells(data: bytes) -> dict[str, list[list[tuple]]]:
    book = openpyxl.load_workbook(io.BytesIO(data))
    return {ws.title: [[(c.value, c.number_format, c.font.b) for c in row] for row in ws.iter_rows()]
            for ws in book.worksheets}


async def _both(deps, exam_id: str, unit: str | None, now: float, chunk: int) -> tuple[bytes, bytes]:
    """(streamed `chunk` roster rows at a time, built from every person at once)."""
    stats = Stats(deps)
    report = await stats.report(exam_id, unit, now)
    found = await stats.items(exam_id)
    out = io.BytesIO()
    await svc.write_workbook(stats, report, found, deps.catalog, "zh", out, now, chunk=chunk)
    assert report.people is None, "streaming does not load every person into the report"
    await stats.load_people(report, now)
    return out.getvalue(), stats_files.workbook(report, found, deps.catalog, "zh")


async def test_the_streamed_workbook_is_the_one_built_at_once(app):
    """The hand-worked fixture (results, a makeup, a mover, 学时 before and within the study
    period), three roster rows per chunk: chunk boundaries fall inside units."""
    await _setup(app)
    store, now, zone = app.storage, app.clock.now(), app.config.timezone
    today = study_time.local_day(now, zone)
    for user, day, seconds in (("cli:SL0001", today, 1800.0), ("cli:SL0001", today - 40, 7200.0),
                               ("cli:SL0003", today - 1, 4000.0), ("cli:SL0005", today, 360.0)):
        await store.study_time.add_time(user, day, seconds, now)
    deps = app.service.deps
    for unit, people in ((None, 10), ("shili-xx", 0), ("shili-sfj", 4)):
        streamed, at_once = await _both(deps, EXAM, unit, now, chunk=3)
        assert _cells(streamed) == _cells(at_once), unit
        assert len(list(_cells(streamed).values())[1]) == 1 + people  # the header and the people

    spec = deps.catalog.exams[EXAM].official
    deps.catalog.exams[EXAM] = dataclasses.replace(deps.catalog.exams[EXAM], official=dataclasses.replace(
        spec, study_from=now - 10 * 86_400))  # 学时 40 days ago is outside the study period
    try:
        streamed, at_once = await _both(deps, EXAM, None, now, chunk=4)
    finally:
        deps.catalog.exams[EXAM] = dataclasses.replace(deps.catalog.exams[EXAM], official=spec)
    got = _cells(streamed)
    assert got == _cells(at_once)
    hours = {row[0][0]: row[7][0] for row in list(got.values())[1][1:]}
    assert hours["SL0001"] == 0.5 and hours["SL0003"] == 1.1 and hours["SL0005"] == 0.1


async def _city(folder: Path, people: int):
    """A generated city of `people` (bench/stats.py) opened as the bench opens it."""
    folder.mkdir()
    path = folder / "bench.sqlite3"
    config = load_config(None, data_dir=str(folder), admin={"super_admins": ["cli:bench"]})
    catalog = bench.bench_catalog(config, "city")
    spec = catalog.exams["bench-b"].official  # one exam with a study period: 学时 before it is left out
    catalog.exams["bench-b"] = dataclasses.replace(catalog.exams["bench-b"],
                                                   official=dataclasses.replace(spec, study_from=bench.NOW - 2 * 86_400))
    clock = ManualClock(bench.NOW)
    app = await build(config, clock=clock, database=path, catalog=catalog)
    await app.service.org.refresh_study(bench.NOW)
    await app.close()
    bench.generate(path, people, 2, 7)
    app = await build(config, clock=clock, database=path, catalog=catalog)
    await app.service.org.refresh_study(bench.NOW)
    await app.storage.stats.fold_item_sums()
    return app


@pytest.mark.sqlite_only
async def test_a_generated_city_streams_to_the_same_workbook(tmp_path):
    app = await _city(tmp_path / "city", 3000)
    try:
        for exam, unit in (("bench-a", None), ("bench-b", None), ("bench-a", "c03")):
            streamed, at_once = await _both(app.service.deps, exam, unit, bench.NOW, chunk=700)
            got = _cells(streamed)
            assert got == _cells(at_once), (exam, unit)
        assert len(list(_cells(streamed).values())[1]) > 1
    finally:
        await app.close()


async def _export_peak(app, folder: Path) -> int:
    """Bytes of Python memory the export of the whole city allocated at its peak (the report
    process's job: bot.services.stats._workbook_to_file), after one export has warmed the caches."""
    deps = app.service.deps
    actor = Actor(AdminRole("cli:bench", None), await Org(deps).tree())
    query = svc.ViewQuery("bench-a")
    await svc._workbook_to_file(deps, actor, query, bench.NOW, str(folder / "warm.xlsx"))
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        await svc._workbook_to_file(deps, actor, query, bench.NOW, str(folder / "stats.xlsx"))
        peak = tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()
    book = openpyxl.load_workbook(folder / "stats.xlsx", read_only=True)
    try:
        assert sum(1 for _ in book.worksheets[1].iter_rows()) > 1
    finally:
        book.close()
    return peak


@pytest.mark.sqlite_only
async def test_export_memory_does_not_grow_with_the_organisation(tmp_path, monkeypatch):
    """Five times the people, chunks of 500: the export's peak stays where it was (measured 2.88
    -> 2.93 MB). Built from every person at once it grew by 2.8 KB a person (1.3 -> 12.6 MB)."""
    monkeypatch.setattr(svc, "EXPORT_CHUNK", 500)
    peaks = {}
    for people in (1000, 5000):
        app = await _city(tmp_path / f"city{people}", people)
        try:
            peaks[people] = await _export_peak(app, tmp_path / f"city{people}")
        finally:
            await app.close()
    growth = peaks[5000] - peaks[1000]
    assert growth < 1_000_000, f"peak {peaks[1000] / 1e6:.1f} MB -> {peaks[5000] / 1e6:.1f} MB"
