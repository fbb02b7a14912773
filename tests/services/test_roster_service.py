"""Roster use cases (bot/services/roster.py): rights by subtree, the import that refuses a file
with any bad row, moving, unbinding, bind codes and the erasure of a person's personal data."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from bot.domain.units import RosterEntry, Unit
from bot.services import roster as svc
from bot.services.rights import Forbidden, actor_for
from bot.storage.tables import answer_log, audit_log, bindings, certificates, sessions, users
from tests.support.transcript import make_app

ROOT = "cli:root"
UNIT_ADMIN = "cli:unit-a"
HEADER = "工号,姓名,单位\n"


@pytest.fixture
async def app(tmp_path):
    app = await make_app(tmp_path, admin={"super_admins": [ROOT]})
    store = app.storage
    await store.roster.upsert_units([Unit("city", "市"), Unit("a", "甲局", "city"), Unit("a1", "甲局一科", "a"),
                                     Unit("b", "乙局", "city")])
    await store.roster.upsert_roster([RosterEntry(staff_no="A1", name="张三", unit_id="a1"),
                                      RosterEntry(staff_no="B1", name="李四", unit_id="b")], 1.0)
    await store.admins.set_admin(UNIT_ADMIN, "a", ROOT, 1.0)
    yield app
    await app.close()


async def _actors(app):
    deps = app.service.deps
    return deps, await actor_for(deps, ROOT), await actor_for(deps, UNIT_ADMIN)


async def test_search_is_scoped_and_paged(app):
    deps, root, unit = await _actors(app)
    everyone = await svc.search_people(deps, root, svc.SearchPeople())
    assert everyone.total == 2
    mine = await svc.search_people(deps, unit, svc.SearchPeople())
    assert [p.staff_no for p in mine.people] == ["A1"] and mine.people[0].unit_name == "甲局一科"
    assert (await svc.search_people(deps, unit, svc.SearchPeople(text="李"))).total == 0
    with pytest.raises(Forbidden):
        await svc.search_people(deps, unit, svc.SearchPeople(unit="b"))
    b1 = (await svc.search_people(deps, root, svc.SearchPeople(text="B1"))).people[0]
    with pytest.raises(Forbidden):
        await svc.get_person(deps, unit, b1.id)


async def test_import_refuses_any_bad_row_then_imports_the_fixed_file(app):
    deps, root, unit = await _actors(app)
    bad = (HEADER + "A2,王五,a1\nA3,,a1\nB9,赵六,b\n").encode()
    preview = await svc.preview_roster(deps, unit, "名册.csv", bad)
    assert not preview.ok and preview.upload_id is None
    reasons = {e.row: e.reason for e in preview.errors}
    assert set(reasons) == {3, 4} and "outside the units you manage" in reasons[4]
    assert await deps.storage.roster.roster_by_staff_no("A2") is None  # nothing imported
    good = (HEADER + "A2,王五,a1\nA3,钱七,a\nA1,张三丰,a1\n").encode()
    preview = await svc.preview_roster(deps, unit, "名册.csv", good)
    assert preview.ok and (preview.added, preview.updated) == (2, 1)
    done = await svc.import_roster(deps, unit, preview.upload_id)
    assert (done.added, done.updated) == (2, 1)
    assert (await deps.storage.roster.roster_by_staff_no("A1")).name == "张三丰"
    with pytest.raises(svc.RosterError):  # used once
        await svc.import_roster(deps, unit, preview.upload_id)
    with pytest.raises(Forbidden):  # only a super admin deactivates everyone not in a file
        await svc.import_roster(deps, unit, preview.upload_id, replace=True)
    page = await svc.search_people(deps, root, svc.SearchPeople(text="A"))
    assert page.total == 3
    entries = await deps.storage.audit.audit_entries(units=None, offset=0, limit=10, action="roster.import",
                                                     newest_first=True)
    assert entries[1] == 1


async def test_a_unit_admin_cannot_take_over_another_units_staff_number(app):
    deps, root, unit = await _actors(app)
    preview = await svc.preview_roster(deps, unit, "x.csv", (HEADER + "B1,李四,a1\n").encode())
    assert not preview.ok and "belongs to a unit outside" in preview.errors[0].reason
    preview = await svc.preview_roster(deps, root, "x.csv", (HEADER + "B1,李四,a1\n").encode())
    assert preview.ok


async def test_move_unbind_and_code_check_both_units(app):
    deps, root, unit = await _actors(app)
    a1 = await svc.person_by_staff_no(deps, unit, "A1")
    assert await svc.person_by_staff_no(deps, unit, "B1") is None  # not theirs: same as no one
    with pytest.raises(Forbidden):
        await svc.move_person(deps, unit, a1.id, "b")
    moved = await svc.move_person(deps, unit, a1.id, "a")
    assert moved.unit_id == "a"
    with pytest.raises(svc.RosterError):
        await svc.move_person(deps, root, a1.id, "nowhere")
    code = await svc.issue_bind_code(deps, unit, a1.id)
    assert len(code.code) == 8 and code.hours == deps.config.registration.code_ttl_hours
    assert await deps.storage.roster.use_bind_code(code.code, "tg:7", deps.clock.now()) == a1.id
    await deps.storage.roster.bind(a1.id, "tg", "tg:7", deps.clock.now())
    person, removed = await svc.unbind_person(deps, unit, a1.id)
    assert removed == 1 and person.staff_no == "A1"
    assert await deps.storage.roster.roster_of("tg:7") is None


async def test_erase_needs_the_staff_number_and_removes_the_person_everywhere(app):
    deps, root, unit = await _actors(app)
    store = deps.storage
    a1 = await svc.person_by_staff_no(deps, unit, "A1")
    await store.users.ensure_user("tg:7", 1.0)
    await store.roster.bind(a1.id, "tg", "tg:7", 1.0)
    await store.sessions.set_state("tg:7", {"locale": "zh"}, 1.0)
    await store.practice.log_answer("tg:7", "q1", True, 800, "practice", 2.0)
    await svc.move_person(deps, unit, a1.id, "a")  # an audit entry that names the person
    with pytest.raises(svc.RosterError) as refused:
        await svc.erase_person(deps, unit, a1.id, "A2")
    assert refused.value.key == "roster_erase_confirm_mismatch"
    done = await svc.erase_person(deps, unit, a1.id, "A1")
    assert done.accounts == 1
    db = store.db
    dump = []
    for table in (users, sessions, bindings, answer_log, certificates, audit_log):
        dump += [json.dumps([str(v) for v in row], ensure_ascii=False) for row in (await db.run(select(table))).rows]
    text = "\n".join(dump)
    assert "张三" not in text and "tg:7" not in text and '"A1"' not in text
    assert (await db.run(select(answer_log.c.user_key))).rows == [(f"erased:{a1.id}:tg",)]
    with pytest.raises(svc.RosterError):
        await svc.get_person(deps, root, a1.id)
    assert (await svc.search_people(deps, root, svc.SearchPeople())).total == 1  # 李四 only
    assert await store.roster.roster_count() == 2  # still counted, anonymously


async def test_roster_files_are_parsed_off_the_event_loop(app, tmp_path, monkeypatch):
    """Reading a roster file (the console upload's preview and import, `lawbot roster import`) runs
    in a worker thread: a city's xlsx takes seconds of CPU and must not stall the users' turns."""
    import threading

    from bot.catalog import roster as catalog_roster

    loop_thread = threading.current_thread()
    readers: list[tuple[str, bool]] = []

    def watched(name, fn):
        def call(*args, **kwargs):
            readers.append((name, threading.current_thread() is loop_thread))
            return fn(*args, **kwargs)
        return call

    monkeypatch.setattr(catalog_roster, "read_table", watched("read_table", catalog_roster.read_table))
    monkeypatch.setattr(catalog_roster, "load_roster", watched("load_roster", catalog_roster.load_roster))
    monkeypatch.setattr(svc, "load_roster", watched("load_roster", svc.load_roster))
    deps, root, _unit = await _actors(app)
    data = (HEADER + "A2,王五,a1\nA3,钱七,a\n").encode()
    preview = await svc.preview_roster(deps, root, "名册.csv", data)
    assert preview.ok
    await svc.import_roster(deps, root, preview.upload_id)
    path = tmp_path / "名册.csv"
    path.write_bytes((HEADER + "A4,孙八,b\n").encode())
    done, errors = await svc.import_roster_file(deps, root, path)
    assert done is not None and done.added == 1 and not errors
    assert {name for name, _ in readers} == {"read_table", "load_roster"}
    assert not [name for name, on_loop in readers if on_loop], readers


@pytest.mark.parametrize(("name", "content"), [("名册.csv", HEADER), ("名册.csv", "姓名,备注\n张三,x\n"),
                                               ("名册.yaml", "roster: []\n"), ("名册.csv", HEADER + "Z1,,a1\n")],
                         ids=["header-only", "not-a-roster", "empty-yaml", "only-bad-rows"])
async def test_a_replace_import_with_no_one_to_import_deactivates_no_one(app, tmp_path, name, content):
    """`lawbot roster import FILE --replace --skip-errors` with a header and no rows, a table that
    is not a roster, an empty list or only bad rows: refused, and everyone stays on the roster."""
    deps, root, _unit = await _actors(app)
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    done, errors = await svc.import_roster_file(deps, root, path, replace=True, skip_errors=True)
    assert done is None and len(errors) == 1
    assert await deps.storage.roster.roster_count() == 2
