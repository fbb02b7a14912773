"""人员名册 in a real browser: an upload with one bad row shows that row and imports no one until
the file is fixed; search by name and 工号; moving a person; a bind code from the page binds a
console-channel user; the erasure flow (a wrong 工号 refused, then confirmed) removes the name,
工号 and chat account from every table and every page while the roster still counts the entry; a
unit admin gets 403 for a person of another unit."""

from __future__ import annotations

import re
import uuid

import pytest
from sqlalchemy import String, Text, select

from bot.domain.units import RosterEntry, Unit
from bot.storage.tables import metadata
from tests.support.transcript import Chat


@pytest.fixture
def units(console):
    """名册测试处 (under the city) > 一科, 二科, and 外单位 under 乙局 (not the unit admin's)."""
    tag = uuid.uuid4().hex[:6]
    ids = {"root": f"rb{tag}", "a": f"rb{tag}a", "b": f"rb{tag}b", "other": f"rb{tag}x"}

    async def setup():
        await console.deps.storage.roster.upsert_units([
            Unit(ids["root"], f"名册测试处{tag}", console.CITY, 60), Unit(ids["a"], f"名册一科{tag}", ids["root"], 1),
            Unit(ids["b"], f"名册二科{tag}", ids["root"], 2), Unit(ids["other"], f"外单位{tag}", console.UNIT_B, 9)])

    console.run(setup())
    return tag, ids


def _csv(rows: list[str]) -> dict:
    body = "工号,姓名,单位,身份\n" + "\n".join(rows) + "\n"
    return {"name": "名册.csv", "mimeType": "text/csv", "buffer": body.encode("utf-8")}


def _entry(console, staff_no):
    return console.run(console.deps.storage.roster.roster_by_staff_no(staff_no))


def _upload(console, page, rows, name):
    console.visit(page, "/admin/roster", f"{name}-form")
    page.set_input_files("#roster-upload input[type=file]", _csv(rows))
    page.click("#roster-upload button[type=submit]")
    page.wait_for_selector("h1")
    console.shots.take(page, name)


def test_upload_with_a_bad_row_imports_nothing_until_fixed_then_search_and_move(console, page, units):
    tag, ids = units
    staff = [f"RB{tag}{i}" for i in range(1, 4)]
    console.login(page)
    bad = [f"{staff[0]},名册甲{tag},{ids['a']},公务员", f"{staff[1]},,{ids['a']},公务员",
           f"{staff[2]},名册丙{tag},没有这个单位,公务员"]
    _upload(console, page, bad, "preview-bad")
    refused = page.locator("#roster-refused")
    assert refused.is_visible() and "2" in refused.inner_text()
    rows = page.locator("table.roster-errors tbody tr")
    assert rows.count() == 2
    assert rows.nth(0).locator("td").nth(0).inner_text() == "3"  # the spreadsheet's row number
    assert "没有这个单位" in rows.nth(1).inner_text() and rows.nth(1).locator("td").nth(0).inner_text() == "4"
    assert page.locator("#roster-import").count() == 0  # no way to import it
    assert all(_entry(console, s) is None for s in staff)  # nothing imported

    fixed = [bad[0], f"{staff[1]},名册乙{tag},{ids['a']},公务员", f"{staff[2]},名册丙{tag},{ids['b']},事业编"]
    _upload(console, page, fixed, "preview-fixed")
    assert page.locator("table.roster-preview tbody tr").count() == 3
    page.click("#roster-import button[type=submit]")
    page.wait_for_selector("#message")
    console.shots.take(page, "imported")
    assert "新增 3 人" in page.inner_text("#message")
    assert _entry(console, staff[1]).name == f"名册乙{tag}"

    console.visit(page, f"/admin/roster?q=名册乙{tag}", "search-name")
    table = page.locator("table.roster tbody tr")
    assert table.count() == 1 and staff[1] in table.inner_text()
    console.visit(page, f"/admin/roster?q=RB{tag}", "search-staff-no")
    assert page.locator("table.roster tbody tr").count() == 3
    console.visit(page, f"/admin/roster?unit={ids['b']}", "search-unit")
    assert page.locator("table.roster tbody tr").count() == 1

    person = _entry(console, staff[0])
    console.visit(page, f"/admin/roster/person/{person.id}", "person")
    page.select_option("#move-form select[name=unit]", ids["b"])
    page.click("#move-form button[type=submit]")
    page.wait_for_selector("#notice")
    console.shots.take(page, "moved")
    assert f"名册二科{tag}" in page.inner_text("#person-unit")
    assert _entry(console, staff[0]).unit_id == ids["b"]


def _text_columns():
    for table in metadata.sorted_tables:
        for column in table.columns:
            if isinstance(column.type, (Text, String)):
                yield table, column


async def _where_found(deps, needles: list[str]) -> list[str]:
    """Every table.column holding any of the needles (a substring), from the database itself."""
    found = []
    for table, column in _text_columns():
        for needle in needles:
            rows = (await deps.storage.db.run(select(column).where(column.contains(needle)).limit(1))).rows
            if rows:
                found.append(f"{table.name}.{column.name} ∋ {needle}")
    return found


def test_erasure_removes_the_person_everywhere_and_statistics_keep_the_count(console, page, units):
    tag, ids = units
    staff_no, name = f"RBE{tag}", f"删除测试{tag}"
    chat = Chat(console.app, f"rbe{tag}")
    user = chat.user  # the console channel's key for it
    deps = console.deps

    async def setup():
        await deps.storage.roster.upsert_roster([RosterEntry(staff_no, name, ids["a"], "公务员", "4321")],
                                                console.clock.now())

    console.run(setup())
    person = _entry(console, staff_no)
    console.login(page)
    console.visit(page, f"/admin/roster/person/{person.id}", "person")
    page.click("#code-form button[type=submit]")
    page.wait_for_selector("#bind-code")
    console.shots.take(page, "bind-code")
    code = re.search(r"[A-Z0-9]{8}", page.inner_text("#bind-code")).group(0)

    async def bind_and_study():
        await chat.say("/bind")
        await chat.say(code)
        bound = await deps.storage.roster.roster_of(user)
        assert bound is not None and name in chat.text, chat.text
        await chat.act("p:r")  # one random practice question, answered
        await chat.say("A")
        return bound

    assert console.run(bind_and_study()).id == person.id
    console.visit(page, f"/admin/roster/person/{person.id}", "person-bound")
    assert user in page.inner_text("main")
    before = console.run(deps.storage.roster_admin.search(None, "", 0, 1))[1]
    assert console.run(_where_found(deps, [name, staff_no, user]))  # the data is there to begin with

    page.click("#erase-link")
    page.wait_for_selector("#erase-form")
    console.shots.take(page, "erase-confirm")
    assert name in page.inner_text("main")
    page.fill("#erase-form input[name=confirm]", staff_no + "X")
    page.click("#erase-form button[type=submit]")
    page.wait_for_selector("#erase-mismatch")
    console.shots.take(page, "erase-mismatch")
    assert _entry(console, staff_no) is not None  # not erased
    page.fill("#erase-form input[name=confirm]", staff_no)
    page.click("#erase-form button[type=submit]")
    page.wait_for_selector("#message")
    console.shots.take(page, "erased")
    assert "已删除" in page.inner_text("#message")

    assert console.run(_where_found(deps, [name, staff_no, user])) == []
    assert _entry(console, staff_no) is None
    assert console.run(deps.storage.roster.roster_count()) >= 1
    assert console.run(deps.storage.roster_admin.person(person.id)).unit_id == ids["a"]  # counted, anonymous
    assert console.run(deps.storage.roster_admin.search(None, "", 0, 1))[1] == before - 1  # off the lists
    for path in (f"/admin/roster?q={name}", f"/admin/roster?q={staff_no}", f"/admin/roster?unit={ids['a']}",
                 "/admin/audit", f"/admin/roster/person/{person.id}"):
        console.visit(page, path)
        body = page.inner_text("body")
        assert name not in body and staff_no not in body and user not in body, path


def test_a_unit_admin_gets_403_for_another_units_person(console, page, units):
    tag, ids = units

    async def setup():
        await console.deps.storage.roster.upsert_roster([RosterEntry(f"RBX{tag}", f"外人{tag}", ids["other"])],
                                                        console.clock.now())

    console.run(setup())
    other = _entry(console, f"RBX{tag}")
    console.login(page, console.UNIT_ADMIN)
    response = console.visit(page, f"/admin/roster/person/{other.id}", "other-unit-person")
    assert response.status == 403
    assert console.visit(page, f"/admin/roster/person/{other.id}/erase").status == 403
    for path in ("/admin/roster/person/999999999", "/admin/roster/person/999999999/erase"):  # no such person
        assert console.visit(page, path).status == 404, path
    response = console.visit(page, f"/admin/roster?unit={ids['other']}", "other-unit-list")
    assert response.status == 403
    console.visit(page, f"/admin/roster?q=RBX{tag}", "search-other")
    assert f"外人{tag}" not in page.inner_text("main")
