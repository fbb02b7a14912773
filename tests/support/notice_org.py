"""A small organisation for the 通知 tests: a console app at noon in Beijing with a super admin, a
unit admin over 甲局, a roster whose members bound their chat accounts, and one resident who wrote
to the bot without being on the roster.

    app = await org_app(tmp_path, [("A1", "张三", "a1", "zhang"), ("B1", "李四", "b", "li")])
    yield app  # in a fixture
    await app.close()
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from bot.bootstrap import App
from bot.clock import ManualClock
from bot.domain.units import RosterEntry, Unit
from tests.support.transcript import Chat, make_app

ROOT = "cli:root"  # the super admin
UNIT_ADMIN = "cli:unit-a"  # admin of 甲局 (unit "a") and so of 甲局一科 below it
NOON = 1_767_240_000.0  # 2026-01-01T04:00Z = 12:00 in Beijing
HOUR = 3600
UNITS = (Unit("city", "市"), Unit("a", "甲局", "city"), Unit("a1", "甲局一科", "a"), Unit("b", "乙局", "city"))


async def org_app(tmp_path: Path, people: Iterable[tuple[str, str, str, str | None]], *,
                  extra_units: Iterable[Unit] = ()) -> App:
    """The app (tests/support/transcript.make_app, clock at NOON, ROOT as super admin) with UNITS
    and `extra_units`, the roster `people` as (staff no, name, unit, user) where each user binds to
    that entry by /bind in the given order (None: the entry is never bound), UNIT_ADMIN over 甲局,
    and "resident" who sent /start with no roster entry. The caller closes the app."""
    people = list(people)
    app = await make_app(tmp_path, clock=ManualClock(NOON), admin={"super_admins": [ROOT]})
    store = app.storage
    await store.roster.upsert_units([*UNITS, *extra_units])
    await store.roster.upsert_roster([RosterEntry(no, name, unit) for no, name, unit, _user in people], 1.0)
    await store.admins.set_admin(UNIT_ADMIN, "a", ROOT, 1.0)
    for no, name, _unit, user in people:
        if user is not None:
            assert "绑定成功" in await Chat(app, user).say(f"/bind {no} {name}")
    await Chat(app, "resident").say("/start")  # on no roster
    return app
