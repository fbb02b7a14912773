"""排行榜 in the console: the same leaderboards as /rank in chat. Units ranked for a period and
metric; a unit's people with full names for an admin of that unit; another unit's people are
refused with 403."""

from __future__ import annotations

import uuid

from bot.domain.units import RosterEntry


def _people(console) -> tuple[str, str]:
    tag = uuid.uuid4().hex[:6]
    mine, other = f"榜甲{tag}", f"榜乙{tag}"

    async def setup():
        await console.deps.storage.roster.upsert_roster(
            [RosterEntry(f"RK{tag}1", mine, console.UNIT_A1, "公务员"),
             RosterEntry(f"RK{tag}2", other, console.UNIT_B, "公务员")], console.clock.now())

    console.run(setup())
    return mine, other


def test_units_and_people_ranked_with_full_names_in_scope(console, page, shot):
    mine, other = _people(console)
    console.login(page, console.SUPER)
    assert console.visit(page, "/admin/rank", "rank-city").status == 200
    assert page.locator("table.rank-units tbody tr").count() >= 2
    page.select_option("select[name=period]", "year")
    page.select_option("select[name=metric]", "points")
    page.click("#rank-form button")
    page.wait_for_url("**period=year**")
    shot("rank-year-points")
    assert "本年" in page.locator("select[name=period] option[selected]").inner_text()
    console.visit(page, f"/admin/rank?unit={console.UNIT_A1}", "rank-unit")
    names = page.locator("table.rank-people").inner_text()
    assert mine in names and other not in names  # full name: the super admin covers every unit


def test_a_unit_admin_sees_their_people_and_gets_403_elsewhere(console, page, shot):
    mine, other = _people(console)
    console.login(page, console.UNIT_ADMIN)
    assert console.visit(page, "/admin/rank", "rank-unit-admin").status == 200
    assert mine in page.locator("table.rank-people").inner_text()  # their own subtree, in full
    response = console.visit(page, f"/admin/rank?unit={console.UNIT_B}", "rank-other-unit")
    assert response.status == 403 and other not in page.content()
    assert console.visit(page, "/admin/rank?period=decade", "rank-bad").status == 400
