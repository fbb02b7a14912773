"""The 通知 preview's per-unit audience in one grouped query (RosterRepository.reach_by_unit), on
SQLite and PostgreSQL: reachable accounts by the unit of their active roster entry."""

from __future__ import annotations

from sqlalchemy import update

from bot.domain.units import RosterEntry, Unit
from bot.storage.tables import roster as roster_table
from bot.storage.tables import users


async def test_reach_by_unit_counts_reachable_accounts_per_unit(store):
    roster = store.roster
    await roster.upsert_units([Unit("city", "市"), Unit("a", "甲局", "city"), Unit("a1", "甲局一科", "a"),
                               Unit("b", "乙局", "city")])
    await roster.upsert_roster([RosterEntry("A1", "甲一", "a"), RosterEntry("A2", "甲二", "a1"),
                                RosterEntry("A3", "甲三", "a1"), RosterEntry("B1", "乙一", "b"),
                                RosterEntry("B2", "乙二", "b"), RosterEntry("X1", "离职", "b")], 1.0)
    ids = {no: (await roster.roster_by_staff_no(no)).id for no in ("A1", "A2", "A3", "B1", "B2", "X1")}
    for user in ("tg:1", "tg:2", "wx:2", "tg:3", "tg:4", "tg:5"):
        await store.users.ensure_user(user, 1.0)
    await roster.bind(ids["A1"], "tg", "tg:1", 1.0)
    await roster.bind(ids["A2"], "tg", "tg:2", 1.0)
    await roster.bind(ids["A2"], "wx", "wx:2", 1.0)  # one person, two accounts: two messages
    await roster.bind(ids["B1"], "tg", "tg:3", 1.0)  # blocked the bot
    await roster.bind(ids["X1"], "tg", "tg:4", 1.0)  # entry no longer active: on no roster
    await roster.bind(ids["B2"], "tg", "tg:7", 1.0)  # bound, never wrote (no users row): still reachable
    await store.db.run(update(users).where(users.c.key == "tg:3").values(blocked=1))  # tg:5: on no roster
    await store.db.run(update(roster_table).where(roster_table.c.staff_no == "X1").values(active=0))

    assert await roster.reach_by_unit(None) == {"a": 1, "a1": 2, None: 2}  # every known, unblocked account
    assert await roster.reach_by_unit(["a", "a1"]) == {"a": 1, "a1": 2}
    assert await roster.reach_by_unit(["b"]) == {"b": 1}
    assert await roster.reach_by_unit(["a1", "a1"]) == {"a1": 2}
    assert await roster.reach_by_unit([]) == {}
