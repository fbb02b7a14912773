"""Two saves of one question or one console exam at the same instant, both from forms opened on
the same version: one is stored and the other refused (409 / EditConflict), never both, on a real
database. The checks of c5ac378 compared the form's base with what was saved and then wrote, with
nothing in between to stop the other save, so both passed and the later one undid the earlier
unseen. The interleaving is forced with events, no sleeps: both saves have passed every check
made before the write before either writes."""

from __future__ import annotations

import asyncio
import dataclasses
import random
import re
import shutil

import aiohttp
import pytest

from bot.bootstrap import build, load_checked_catalog, own_catalog
from bot.clock import ManualClock
from bot.domain.models import QType
from bot.domain.units import Unit
from bot.httpserver import HttpServer
from bot.services import accounts
from bot.services import bank as bank_service
from bot.services import exams as exam_service
from bot.services.rights import actor_for
from bot.web.app import install
from bot.web.pages import bank as bank_page
from bot.web.pages import exams as exam_pages
from tests.support.transcript import REPO, config_for

ROOT = "cli:root"
START = 1_767_225_600.0  # 2026-01-01T00:00Z


class MeetingLock(asyncio.Lock):
    """The bank's lock: its first holder waits, holding it, until a second save asks for it (so the
    second has done everything a save does before the lock: the old code's check)."""

    def __init__(self) -> None:
        super().__init__()
        self.second = asyncio.Event()
        self.held_once = False

    async def acquire(self) -> bool:
        if self.locked():
            self.second.set()
        await super().acquire()
        if not self.held_once:
            self.held_once = True
            await self.second.wait()
        return True


class MeetingReads:
    """A worker's real console-exam repository whose reads of one exam wait until two saves have
    read it: both compare their base with the same stored exam before either writes."""

    def __init__(self, repo, met: asyncio.Event, readers: list[str], name: str) -> None:
        self._repo, self._met, self._readers, self._name = repo, met, readers, name

    def __getattr__(self, attr: str):
        return getattr(self._repo, attr)

    async def console_exam(self, exam_id: str):
        row = await self._repo.console_exam(exam_id)
        if self._name not in self._readers:
            self._readers.append(self._name)
        if len(self._readers) == 2:
            self._met.set()
        await self._met.wait()
        return row


async def _app(tmp_path, catalog, database):
    config = config_for(tmp_path, admin={"super_admins": [ROOT]})
    return await build(config, clock=ManualClock(START), rng=random.Random(1), database=database, catalog=catalog)


async def test_two_saves_of_one_question_at_once_store_one_and_refuse_the_other(tmp_path):
    root = tmp_path / "content-root"  # an edit writes its bank file: a copy, never the repository's
    shutil.copytree(REPO / "quizzes" / "bank", root / "quizzes" / "bank")
    catalog = dataclasses.replace(own_catalog(load_checked_catalog(REPO)), root=root)
    app = await _app(tmp_path, catalog, tmp_path / "db.sqlite3")
    deps = app.service.deps
    q = next(q for q in catalog.questions.values() if q.type is QType.SINGLE and not q.parent
             and q.origin.startswith("quizzes/bank/"))
    server = HttpServer("127.0.0.1", 0, app.config.http.max_body_bytes, 5, [])
    install(server.web_app, deps)
    port = await server.start()
    sessions = [aiohttp.ClientSession(f"http://127.0.0.1:{port}", cookie_jar=aiohttp.CookieJar(unsafe=True))
                for _ in range(2)]  # two admins (or two devices), each with the question's form open
    lock = bank_service._locks[asyncio.get_running_loop()] = MeetingLock()
    try:
        forms = []
        for n, session in enumerate(sessions):
            csrf = await _log_in(deps, session)
            async with session.get(f"/admin/bank/q/{q.id}") as response:
                base = re.search(r'name="base" value="([^"]+)"', await response.text()).group(1)
            values = {k: v for k, v in bank_page._form_values(q, "zh").items() if k != "subs"}
            forms.append({**values, "stem": f"{q.stem}（第{n + 1}位管理员的修改）", "csrf": csrf, "base": base})

        async def save(n: int) -> tuple[int, str]:
            async with sessions[n].post(f"/admin/bank/q/{q.id}/edit", data=forms[n],
                                        allow_redirects=False) as response:
                return response.status, await response.text()

        (first, first_body), (second, second_body) = await asyncio.wait_for(asyncio.gather(save(0), save(1)), 30)
        assert lock.second.is_set()  # the saves met at the lock: both had passed what came before it
        assert sorted((first, second)) == [303, 409], (first, second)  # were 303 and 303: the earlier save undone
        winner, loser, page = (0, 1, second_body) if first == 303 else (1, 0, first_body)
        stored = catalog.questions[q.id].stem
        assert stored == forms[winner]["stem"]
        assert "其他管理员已保存了修改" in page and forms[loser]["stem"] in page  # the typed text is kept
        assert (root / q.origin.rpartition(":")[0]).read_text(encoding="utf-8").count(forms[winner]["stem"]) == 1
    finally:
        for session in sessions:
            await session.close()
        await server.stop()
        await app.close()
        bank_service._locks.pop(asyncio.get_running_loop(), None)


async def test_two_workers_saving_one_console_exam_at_once_store_one_and_refuse_the_other(tmp_path):
    """Two `lawbot run` workers on one database (two apps and servers here), each saving the exam's
    edit form opened on the same version: both read the stored exam and pass the base check before
    either writes; the write is conditional on the revision read, so the second is refused (409,
    the form reloaded with the first's values) and leaves nothing, not even an audit entry."""
    database = tmp_path / "db.sqlite3"
    apps = [await _app(tmp_path, own_catalog(load_checked_catalog(REPO)), database) for _ in range(2)]
    servers, sessions = [], []
    try:
        deps = [a.service.deps for a in apps]
        await apps[0].storage.roster.upsert_units([Unit("city", "市"), Unit("a", "甲局", "city")])
        form = exam_service.ExamForm(
            id="q1-2026", title_zh="一季度学法考试", title_en="Q1 law exam",
            blueprint=(exam_service.BlueprintLine(QType.SINGLE, 5, 4.0),), time_limit_minutes=30, pass_mark=12,
            opens=_local(1), closes=_local(8), units=("a",), attempts_allowed=2)
        await exam_service.create_exam(deps[0], await actor_for(deps[0], ROOT), form, START)
        forms = []
        for n, app in enumerate(apps):
            server = HttpServer("127.0.0.1", 0, app.config.http.max_body_bytes, 5, [])
            install(server.web_app, deps[n])
            servers.append(server)
            session = aiohttp.ClientSession(f"http://127.0.0.1:{await server.start()}",
                                            cookie_jar=aiohttp.CookieJar(unsafe=True))
            sessions.append(session)
            csrf = await _log_in(deps[n], session)
            async with session.get(f"/admin/exams/{form.id}/edit") as response:
                base = re.search(r'name="base" value="([^"]+)"', await response.text()).group(1)
            values = exam_pages._form_values(dataclasses.replace(form, title_zh=f"一季度学法考试（第{n + 1}位管理员的修改）"))
            data = [(k, str(values[k])) for k in exam_pages.FIELDS] + [("units", u) for u in values["units"]]
            for i, line in enumerate(values["bp"]):
                data += [(f"bp_{k}_{i}", str(line[k])) for k in ("type", "count", "points", "tag")]
            forms.append(data + [("csrf", csrf), ("base", base)])
        met, readers = asyncio.Event(), []
        for n, app in enumerate(apps):
            app.storage.console_exams = MeetingReads(app.storage.console_exams, met, readers, f"worker{n}")

        async def save(n: int) -> tuple[int, str]:
            async with sessions[n].post(f"/admin/exams/{form.id}/edit", data=forms[n],
                                        allow_redirects=False) as response:
                return response.status, await response.text()

        (first, first_body), (second, second_body) = await asyncio.wait_for(asyncio.gather(save(0), save(1)), 30)
        assert len(readers) == 2  # both read the stored exam before either wrote
        assert sorted((first, second)) == [303, 409], (first, second)  # were 303 and 303: the earlier save undone
        winner, page = (0, second_body) if first == 303 else (1, first_body)
        title = f"一季度学法考试（第{winner + 1}位管理员的修改）"
        row = await apps[0].storage.console_exams.console_exam(form.id)
        assert row.body["title"]["zh"] == title
        assert "其他管理员已保存了修改" in page and f'value="{title}"' in page  # the form reloaded with theirs
        updates = [e for e in await _audit(deps[0]) if e.action == "exam.update"]
        assert len(updates) == 1  # the refused save left no audit entry
    finally:
        for session in sessions:
            await session.close()
        for server in servers:
            await server.stop()
        for app in apps:
            await app.close()


async def _log_in(deps, session) -> str:
    link = await accounts.issue_link(deps, ROOT)
    async with session.post("/admin/login", data={"token": link.url.split("token=", 1)[1]},
                            allow_redirects=False) as response:
        return accounts.csrf_for(response.cookies["lawbot_console"].value)


def _local(days: int):
    from datetime import datetime, timedelta

    return datetime(2026, 1, 1, 8, 0) + timedelta(days=days)


async def _audit(deps):
    from bot.services import audit

    return (await audit.entries(deps, await actor_for(deps, ROOT), limit=50)).entries


@pytest.fixture(autouse=True)
def _no_lock_left():
    yield
    assert not any(isinstance(lock, MeetingLock) for lock in bank_service._locks.values())
