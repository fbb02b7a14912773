"""Exam window changes at the same instant (bot/services/exams.py move_window): the windows are
read, checked against the admin's `base` and written in one transaction holding the exam's window
lock. Two presses of one console button (the same base) move the window once and the second is
refused in Chinese; two changes without a base both apply, the second from the first's result.

The database's reads are made to yield to the event loop (as a PostgreSQL round trip does), so
the two calls interleave wherever the code lets them."""

from __future__ import annotations

import asyncio
import random

import pytest

from bot.bootstrap import build, load_checked_catalog, own_catalog
from bot.clock import ManualClock
from bot.services import audit
from bot.services import exams as svc
from bot.services.rights import actor_for
from tests.support.templates import migrated_sqlite
from tests.support.transcript import REPO, config_for

ROOT = "cli:root"
OTHER = "cli:root-2"
EXAM = "xuefa2026-shili"
DAY = 86_400


@pytest.fixture
async def app(tmp_path):
    config = config_for(tmp_path, admin={"super_admins": [ROOT, OTHER]})
    app = await build(config, clock=ManualClock(), rng=random.Random(1),
                      database=migrated_sqlite(tmp_path / "db.sqlite3"),
                      catalog=own_catalog(load_checked_catalog(REPO)))
    windows = app.storage.windows
    real = windows.window_override

    async def slow_read(exam_id):  # the real read, its answer arriving after the loop ran whatever else was ready
        found = await real(exam_id)
        for _ in range(3):
            await asyncio.sleep(0)
        return found

    windows.window_override = slow_read
    yield app
    await app.close()


async def _setup(app):
    deps = app.service.deps
    spec = await svc.spec_of(deps, deps.catalog.exams[EXAM])
    now = spec.opens - DAY  # before the window: extend moves its end
    return deps, spec, now, await actor_for(deps, ROOT), await actor_for(deps, OTHER)


async def _extends(deps, actor) -> list:
    return [e for e in (await audit.entries(deps, actor, action="exam.")).entries if e.action == "exam.extend"]


async def test_one_button_pressed_twice_moves_the_window_once(app):
    deps, spec, now, root, other = await _setup(app)
    base = svc.window_stamp(spec)
    results = await asyncio.gather(svc.move_window(deps, root, EXAM, "extend", now, 5, base=base),
                                   svc.move_window(deps, other, EXAM, "extend", now, 5, base=base),
                                   return_exceptions=True)
    moved = [r for r in results if isinstance(r, svc.WindowChange)]
    refused = [r for r in results if isinstance(r, svc.ExamError)]
    assert len(moved) == 1 and len(refused) == 1, results
    assert refused[0].key == "web_window_changed"
    assert "刚刚已被修改" in svc.text_of(deps, "zh", refused[0])
    after = await svc.spec_of(deps, deps.catalog.exams[EXAM])
    assert after.closes == spec.closes + 5 * DAY
    assert len(await _extends(deps, root)) == 1
    # the refused admin reloads the list and presses again with what is shown now: applied
    again = await svc.move_window(deps, other, EXAM, "extend", now, 1, base=svc.window_stamp(after))
    assert again.after.closes == spec.closes + 6 * DAY


async def test_two_changes_without_a_base_both_apply(app):
    """Chat commands (/exam_open …) carry no base: the second change starts from the first's
    windows instead of both starting from the same ones and the second undoing the first."""
    deps, spec, now, root, other = await _setup(app)
    first, second = await asyncio.gather(svc.move_window(deps, root, EXAM, "extend", now, 5),
                                         svc.move_window(deps, other, EXAM, "extend", now, 6))
    after = await svc.spec_of(deps, deps.catalog.exams[EXAM])
    assert after.closes == spec.closes + 11 * DAY
    assert sorted([first.before.closes, second.before.closes]) == [spec.closes, spec.closes + 5 * DAY]
    assert len(await _extends(deps, root)) == 2
