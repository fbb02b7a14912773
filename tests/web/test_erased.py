"""A person whose personal data was deleted in 人员名册 stays counted in the statistics, and the
总览's person list and its Excel workbook show （已删除） for them instead of a blank name."""

from __future__ import annotations

import dataclasses
import io
import uuid
from pathlib import Path

from openpyxl import load_workbook

from bot.domain.units import RosterEntry, Unit
from bot.services import roster as roster_service
from bot.services.rights import actor_for

TEMPLATE = "xuefa2026-shili"
DAY = 86_400


def test_an_erased_person_shows_as_deleted_in_the_list_and_the_workbook(console, page, shot):
    tag = uuid.uuid4().hex[:6]
    unit, exam_id = f"er{tag}", f"er-{tag}"
    staff = [f"ER{tag}1", f"ER{tag}2"]
    deps = console.deps

    async def setup():
        store, now = deps.storage, console.clock.now()
        await store.roster.upsert_units([Unit(unit, f"删除显示测试处{tag}", console.CITY, 80)])
        await store.roster.upsert_roster([RosterEntry(staff[0], "留下的人", unit, "公务员"),
                                          RosterEntry(staff[1], f"将删除{tag}", unit, "公务员")], now)
        template = deps.catalog.exams[TEMPLATE]
        spec = dataclasses.replace(template.official, opens=now - DAY, closes=now + 7 * DAY, makeup_opens=None,
                                   makeup_closes=None, units=(unit,), roles=(), study_from=None)
        deps.catalog.exams[exam_id] = dataclasses.replace(template, id=exam_id, title={"zh": f"删除显示考试{tag}"},
                                                          official=spec)
        gone = await store.roster.roster_by_staff_no(staff[1])
        await roster_service.erase_person(deps, await actor_for(deps, console.SUPER), gone.id, staff[1])
        return gone.id

    gone_id = console.run(setup())
    try:
        console.login(page, console.SUPER)
        console.visit(page, f"/admin/overview/people?exam={exam_id}&unit={unit}&filter=all&sort=name", "people")
        rows = page.locator("tbody tr")
        assert rows.count() == 2  # still counted
        erased = page.locator(f"tr[data-staff='erased-{gone_id}']")
        assert erased.locator("td").nth(1).inner_text() == "（已删除）"
        assert f"将删除{tag}" not in page.inner_text("main")

        with page.expect_download() as info:
            page.evaluate("url => { const a = document.createElement('a'); a.href = url; a.download = ''; "
                          "document.body.appendChild(a); a.click(); }",
                          f"/admin/overview/export?exam={exam_id}&unit={unit}")
        book = load_workbook(io.BytesIO(Path(info.value.path()).read_bytes()))
        sheet = book["人员成绩"]
        names = {row[0]: row[1] for row in sheet.iter_rows(min_row=2, values_only=True) if row[0]}
        assert names == {staff[0]: "留下的人", f"erased-{gone_id}": "（已删除）"}, names
    finally:
        deps.catalog.exams.pop(exam_id, None)
