"""Statistics use cases (bot.services.stats) on the hand-worked fixture of tests/app/test_stats_fixture.py:
rights (a unit admin sees their subtree only), the overview, the drill-down person list with its
filters, sorting and paging, the workbook of a view and the SVG charts."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from bot.services import stats as svc
from bot.services.org import AdminRole, Org
from bot.services.rights import Actor, Forbidden
from tests.app.test_stats_fixture import EXAM, _setup


@pytest.fixture
async def fixture(app):
    await _setup(app)
    tree = await Org(app.service.deps).tree()
    return app, Actor(AdminRole("cli:root", None), tree), Actor(AdminRole("cli:gaj", "shili-gaj"), tree)


async def _staff(app, actor, unit=None, which="all", **kw):
    page = await svc.people(app.service.deps, actor, svc.PeopleQuery(EXAM, unit, which, **kw), app.clock.now())
    return page, [p.staff_no for p in page.items]


async def test_overview_ranks_children_with_breadcrumbs(fixture):
    app, root, _ = fixture
    deps, now = app.service.deps, app.clock.now()
    assert [e.id for e in svc.official_exams(deps, root)] == [EXAM]
    view = await svc.overview(deps, root, svc.ViewQuery(EXAM), now)
    assert view.unit_id == "shili" and [c.unit_id for c in view.crumbs] == ["shili"]
    t = view.total
    assert (t.roster, t.studied, t.sat, t.passed) == (10, 3, 4, 3)
    assert [(r.rank, r.stats.unit_id, r.drillable) for r in view.rows] == [
        (1, "shili-sfj", True), (2, "shili-gaj", True), (3, "shili-dx", True), (4, "shili-xx", True)]
    assert view.counts == {"all": 10, "not_studied": 7, "not_sat": 6, "not_passed": 1}
    drill = await svc.overview(deps, root, svc.ViewQuery(EXAM, "shili-sfj-pfk"), now)
    assert [c.name for c in drill.crumbs] == ["示例市", "示例市司法局", "示例市司法局普法科"]


async def test_a_unit_admin_sees_their_subtree_only(fixture):
    app, _, gaj = fixture
    deps, now = app.service.deps, app.clock.now()
    view = await svc.overview(deps, gaj, svc.ViewQuery(EXAM), now)  # defaults to their own unit
    assert view.unit_id == "shili-gaj" and [c.unit_id for c in view.crumbs] == ["shili-gaj"]
    assert (view.total.roster, view.total.sat) == (3, 2)
    for call in (svc.overview(deps, gaj, svc.ViewQuery(EXAM, "shili"), now),
                 svc.overview(deps, gaj, svc.ViewQuery(EXAM, "shili-sfj"), now),
                 svc.people(deps, gaj, svc.PeopleQuery(EXAM, "shili-dx", "not_sat"), now),
                 svc.workbook(deps, gaj, svc.ViewQuery(EXAM, "shili"), now),
                 svc.chart(deps, gaj, svc.ViewQuery(EXAM, "shili-sfj"), "rates", now, "svg")):
        with pytest.raises(Forbidden):
            await call
    with pytest.raises(svc.NotFound):
        await svc.overview(deps, gaj, svc.ViewQuery(EXAM, "nowhere"), now)
    with pytest.raises(svc.NotFound):
        await svc.overview(deps, gaj, svc.ViewQuery("kemu1"), now)  # a mock exam has no statistics
    _, staff = await _staff(app, gaj)
    assert staff == ["SL0005", "SL0006", "SL0007"]  # SL0007 moved here after sitting


async def test_person_list_filters_sort_and_page(fixture):
    app, root, _ = fixture
    page, staff = await _staff(app, root, which="not_sat")
    assert staff == ["SL0002", "SL0004", "SL0006", "SL0008", "SL0009", "SL0010"] and page.total == 6
    page, staff = await _staff(app, root, which="not_passed")
    assert staff == ["SL0005"] and page.total == 1 and page.items[0].score == 55
    page, staff = await _staff(app, root, which="not_studied")
    assert page.total == 7 and "SL0001" not in staff and "SL0003" in staff
    page, staff = await _staff(app, root, "shili-sfj", "all", sort="score", descending=True)
    assert staff == ["SL0001", "SL0003", "SL0002", "SL0004"] and page.items[0].score == 80  # best of 80 and 50
    first = page.items[0]
    assert (first.unit_name, first.registered, first.studied, first.attempts, first.passed) == \
        ("示例市司法局办公室", True, True, 2, True)
    page, staff = await _staff(app, root, which="all", page=2, size=4)
    assert staff == ["SL0005", "SL0006", "SL0007", "SL0008"] and page.pages == 3 and page.total == 10
    with pytest.raises(svc.NotFound):
        await _staff(app, root, which="everyone")
    with pytest.raises(svc.NotFound):
        await _staff(app, root, sort="phone_tail")


async def test_workbook_of_a_view_and_too_big(fixture):
    app, root, gaj = fixture
    deps, now = app.service.deps, app.clock.now()
    file = await svc.workbook(deps, gaj, svc.ViewQuery(EXAM), now)
    assert file.filename == f"stats-{EXAM}-shili-gaj.xlsx"
    book = load_workbook(io.BytesIO(file.data))
    summary = book["单位汇总"]
    total = [c.value for c in summary[summary.max_row]]
    assert total[:7] == ["合计", "示例市公安局", 3, 2, 1, 2, 1]
    assert sorted(r[0] for r in book["人员成绩"].iter_rows(min_row=2, values_only=True)) == ["SL0005", "SL0006", "SL0007"]
    config = deps.config
    deps.config = config.model_copy(update={"admin": config.admin.model_copy(update={"export_max_rows": 5})})
    try:
        with pytest.raises(svc.TooBig) as too_big:
            await svc.workbook(deps, root, svc.ViewQuery(EXAM), now)
        assert too_big.value.n == 10
    finally:
        deps.config = config


async def test_svg_charts_need_no_request(fixture):
    app, root, _ = fixture
    for kind in svc.CHARTS:
        data = await svc.chart(app.service.deps, root, svc.ViewQuery(EXAM), kind, app.clock.now(), "svg")
        text = data.decode()
        assert text.lstrip().startswith("<?xml") and "<svg" in text
        assert "href=\"http" not in text and "@import" not in text and "<script" not in text
    with pytest.raises(svc.NotFound):
        await svc.chart(app.service.deps, root, svc.ViewQuery(EXAM), "pie", app.clock.now())


async def test_a_chart_is_drawn_again_only_when_its_figures_change(fixture, monkeypatch):
    app, root, _ = fixture
    deps, now = app.service.deps, app.clock.now()
    monkeypatch.setenv("LAWBOT_REPORT_PROCESS", "0")  # drawn in this process, where the drawing is counted
    drawn = []
    real = svc.stats_files.rates_chart
    monkeypatch.setattr(svc.stats_files, "rates_chart", lambda *a: drawn.append(1) or real(*a))
    first = await svc.chart(deps, root, svc.ViewQuery(EXAM), "rates", now, "svg")
    assert await svc.chart(deps, root, svc.ViewQuery(EXAM), "rates", now, "svg") == first and len(drawn) == 1
    await svc.chart(deps, root, svc.ViewQuery(EXAM, "shili-sfj"), "rates", now, "svg")  # another view
    assert len(drawn) == 2
    entry = await app.storage.roster.roster_by_staff_no("SL0008")  # the figures change: drawn again
    await app.storage.roster.bind(entry.id, "cli", "cli:SL0008", now)
    await svc.chart(deps, root, svc.ViewQuery(EXAM), "rates", now, "svg")
    assert len(drawn) == 3
