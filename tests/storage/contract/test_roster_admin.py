"""The console's roster queries (search, move, erase) and retired questions (issue 12): on SQLite
and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import select

from bot.domain.units import RosterEntry, Unit
from bot.storage.tables import answer_log, bindings, sessions, users


async def _people(store):
    await store.roster.upsert_units([Unit("city", "市"), Unit("a", "甲局", "city"), Unit("b", "乙局", "city")])
    entries = [RosterEntry(staff_no=f"A{i:03d}", name=f"张{i}", unit_id="a") for i in range(30)]
    entries += [RosterEntry(staff_no="B001", name="李四", unit_id="b", phone_tail="1234"),
                RosterEntry(staff_no="B_02", name="王%五", unit_id="b")]
    await store.roster.upsert_roster(entries, 1.0)


async def test_search_pages_in_sql_within_scope(store):
    await _people(store)
    repo = store.roster_admin
    page, total = await repo.search(None, "", 0, 10)
    assert total == 32 and [p.staff_no for p in page][:2] == ["A000", "A001"] and len(page) == 10
    page, total = await repo.search({"b"}, "", 0, 10)
    assert total == 2 and {p.unit_id for p in page} == {"b"}
    page, total = await repo.search(None, "李", 0, 10)
    assert [p.staff_no for p in page] == ["B001"]
    page, total = await repo.search(None, "A01", 0, 5, sort="staff_no", desc=True)
    assert total == 10 and page[0].staff_no == "A019"
    page, total = await repo.search(None, "%", 0, 5)  # a wildcard typed is a character, not "anything"
    assert [p.staff_no for p in page] == ["B_02"]
    page, total = await repo.search(None, "B_", 0, 5)
    assert [p.staff_no for p in page] == ["B_02"]
    page, total = await repo.search(set(), "", 0, 5)
    assert total == 0


async def test_move_and_erase(store):
    await _people(store)
    repo = store.roster_admin
    person = await store.roster.roster_by_staff_no("B001")
    assert await repo.move(person.id, "a", 2.0)
    assert (await repo.person(person.id)).unit_id == "a"
    await store.users.ensure_user("tg:42", 1.0)
    await store.roster.bind(person.id, "tg", "tg:42", 1.0)
    await store.sessions.set_state("tg:42", {"flow": "x"}, 1.0)
    await store.practice.log_answer("tg:42", "q1", True, 900, "practice", 3.0)
    await store.roster.create_bind_code("CODE1234", person.id, "cli:root", 1.0, 99.0)
    await store.admins.log_admin("cli:root", "code", "B001", 1.0)
    done = await repo.erase(person.id, 5.0)
    assert done.accounts == 1 and done.changed["roster"] == 1
    after = await repo.person(person.id)
    assert after.name == "" and after.staff_no == f"erased-{person.id}" and after.erased
    assert after.unit_id == "a" and after.active  # still counted, anonymously
    assert after.bindings[0][1] == f"erased:{person.id}:tg"
    db = store.db
    assert (await db.run(select(users.c.key).where(users.c.key == "tg:42"))).rows == []
    assert (await db.run(select(sessions.c.user_key).where(sessions.c.user_key == "tg:42"))).rows == []
    assert (await db.run(select(answer_log.c.user_key))).rows == [(f"erased:{person.id}:tg",)]
    assert (await db.run(select(bindings.c.user_key).where(bindings.c.user_key == "tg:42"))).rows == []
    assert await store.roster.roster_by_staff_no("B001") is None
    assert await store.ranking.is_opted_out(person.id)
    page, total = await repo.search(None, "", 0, 50)
    assert total == 31 and person.id not in {p.id for p in page}
    assert await repo.erase(10**9, 5.0) is None


async def test_retired_questions(store):
    repo = store.retired_questions
    assert await repo.retired_ids() == frozenset()
    await repo.retire("q1", "cli:root", 3.0, "过时")
    await repo.retire("q1", "cli:root", 4.0, "过时了")
    assert await repo.retired_ids() == frozenset({"q1"})
    assert await repo.retired_info("q1") == (4.0, "cli:root", "过时了")
    assert await repo.restore("q1") and not await repo.restore("q1")
    assert await repo.retired_info("q1") is None
