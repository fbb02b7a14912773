"""One WeChat user's quick messages handled by two workers (two Apps, each with its own store and
channel, on one database: a SQLite file, and a PostgreSQL database). A typed number picks from the
numbered menu of the reply before it, whichever worker produced that reply, and the stored menu is
always the newest turn's. The interleavings are forced with events, not sleeps: worker A's turn is
held at a chosen point while worker B takes the user's next message."""

from __future__ import annotations

import asyncio
import itertools
import random
from contextlib import asynccontextmanager

import pytest

from bot.app.messages import Incoming, Reply
from bot.bootstrap import build, load_checked_catalog, own_catalog
from bot.channels.wechat.adapter import WeChatChannel, wechat_channels
from bot.channels.wechat.inbound import Callback
from tests.support import pg
from tests.support.templates import migrated_sqlite
from tests.support.transcript import REPO, config_for
from tests.support.wechat_peer import APP_ID, TOKEN

USER = "oUser_openid_000000000042"
KEY = f"wx:{USER}"


@asynccontextmanager
async def two_workers(tmp_path, clock, backend: str, **overrides):
    if backend == "postgresql":
        pg.require()
        target = pg.create_database(migrated=True)
    else:
        target = str(migrated_sqlite(tmp_path / "shared.sqlite3"))
    catalog = load_checked_catalog(REPO)
    apps = []
    try:
        for name in ("a", "b"):
            config = config_for(tmp_path / name, wechat={"enabled": True, "token": TOKEN, "app_id": APP_ID},
                                **overrides)
            apps.append(await build(config, clock=clock, rng=random.Random(7), database=target,
                                    catalog=own_catalog(catalog)))
        channels = [wechat_channels(app)[0] for app in apps]
        yield channels
        for channel in channels:
            await channel.close()
    finally:
        for app in apps:
            await app.close()
        if backend == "postgresql":
            pg.drop_database(target)


def shown(replies: list[Reply]) -> list[str]:
    """The actions of the numbered menu these replies show: the last reply with choices."""
    with_choices = [r for r in replies if r.flat_choices()]
    return [c.action for c in with_choices[-1].flat_choices()] if with_choices else []


class Worker:
    """A channel with spies on its core: the replies of each turn and the actions it took."""

    def __init__(self, channel: WeChatChannel, monkeypatch, msg_ids):
        self.channel = channel
        self.service = channel.service
        self.msg_ids = msg_ids  # shared by the workers: MsgIds are unique per account
        self.replies: list[list[Reply]] = []
        self.actions: list[str] = []
        self.entered = asyncio.Event()  # a turn has reached the core
        self.answered = asyncio.Event()  # a turn's core has answered
        self.hold_after: asyncio.Event | None = None  # set: the turn waits after the core answered
        handle, on_action = self.service.handle, self.service._on_action

        async def spy_handle(incoming: Incoming) -> list[Reply]:
            self.entered.set()
            replies = await handle(incoming)
            self.replies.append(replies)
            self.answered.set()
            if self.hold_after is not None:
                await self.hold_after.wait()
            return replies

        async def spy_action(turn, action: str) -> list[Reply]:
            self.actions.append(action)
            return await on_action(turn, action)

        monkeypatch.setattr(self.service, "handle", spy_handle)
        monkeypatch.setattr(self.service, "_on_action", spy_action)

    async def say(self, text: str, user: str = USER) -> list[str]:
        msg_id = next(self.msg_ids)
        return await self.channel._turn(Callback(user, "gh_lawbot", "text", text=text, msg_id=msg_id,
                                                 create_time=msg_id))


def workers(channels, monkeypatch) -> tuple[Worker, Worker]:
    msg_ids = itertools.count(1)
    return Worker(channels[0], monkeypatch, msg_ids), Worker(channels[1], monkeypatch, msg_ids)


async def _menu_of(worker: Worker, text: str) -> list[str]:
    """The numbered menu `text` produces, for a user of its own (the control)."""
    await worker.say(text, user="oControl_openid_0000000001")
    return await worker.channel.storage.sessions.get_menu("wx:oControl_openid_0000000001")


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
async def test_number_waits_for_the_turn_holding_the_user(tmp_path, clock, monkeypatch, backend):
    """Worker A's turn ("练习": the practice menu) is held inside its transaction, holding the
    user's turn; the user's next message "1" reaches worker B meanwhile. B must resolve 1 against
    the practice menu A is about to show, not against the main menu shown before."""
    async with two_workers(tmp_path, clock, backend) as channels:
        a, b = workers(channels, monkeypatch)
        practice = await _menu_of(a, "练习")
        await a.say("菜单")
        main = await a.channel.storage.sessions.get_menu(KEY)
        assert main[0] != practice[0]

        sessions = a.channel.storage.sessions
        read_turn = sessions.get_turn_with_exams
        inside, release = asyncio.Event(), asyncio.Event()

        async def held(user: str):
            found = await read_turn(user)
            inside.set()
            await release.wait()  # A holds the user's turn (its transaction is open)
            return found

        monkeypatch.setattr(sessions, "get_turn_with_exams", held)
        began = asyncio.Event()
        if backend == "sqlite":
            db = b.channel.storage.db
            begin = db._begin

            async def spied_begin():  # B begins a transaction: it waits while A holds the write lock
                began.set()
                await begin()

            monkeypatch.setattr(db, "_begin", spied_begin)
        b.entered.clear()
        first = asyncio.create_task(a.say("练习"))
        await asyncio.wait_for(inside.wait(), 10)
        second = asyncio.create_task(b.say("1"))
        # B's turn has reached the core, or (SQLite) waits for A's transaction to end
        waits = [asyncio.create_task(b.entered.wait()), asyncio.create_task(began.wait())]
        done, _ = await asyncio.wait(waits, timeout=10, return_when=asyncio.FIRST_COMPLETED)
        for waiting in waits:
            waiting.cancel()
        assert done, "worker B's turn never started"
        release.set()
        await asyncio.wait_for(asyncio.gather(first, second), 20)

        assert b.actions == [practice[0]]  # not main[0]
        assert await b.channel.storage.sessions.get_menu(KEY) == shown(b.replies[-1])


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
async def test_an_older_turn_never_overwrites_a_newer_menu(tmp_path, clock, monkeypatch, backend):
    """Worker A's turn ("练习") has committed but A has not yet sent its reply when the user's next
    message "1" is handled start to finish by worker B. B picks from A's practice menu, and A,
    finishing last, must not put its (older) menu back over the one B's reply shows."""
    async with two_workers(tmp_path, clock, backend) as channels:
        a, b = workers(channels, monkeypatch)
        practice = await _menu_of(a, "练习")
        await a.say("菜单")

        a.hold_after = release = asyncio.Event()
        a.answered.clear()
        first = asyncio.create_task(a.say("练习"))
        await asyncio.wait_for(a.answered.wait(), 10)  # A's turn has committed; its reply is not out yet
        second_texts = await asyncio.wait_for(b.say("1"), 20)
        release.set()
        await asyncio.wait_for(first, 20)

        assert b.actions == [practice[0]]
        newest = shown(b.replies[-1])
        assert newest and newest != practice
        assert await a.channel.storage.sessions.get_menu(KEY) == newest
        assert second_texts


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
async def test_the_menu_of_a_deferred_reply_is_stored_once_it_is_ready(tmp_path, clock, monkeypatch, backend):
    """/stats is answered after the turn's transaction (deferred work); the numbered menu its
    reply shows is stored then, and a number typed next (on the other worker) picks from it."""
    async with two_workers(tmp_path, clock, backend, admin={"super_admins": [KEY]}) as channels:
        a, b = workers(channels, monkeypatch)
        await a.say("菜单")
        texts = await a.say("/stats")
        stats = shown(a.replies[-1])
        assert stats and all(action.startswith("a:") for action in stats) and "统计" in texts[0]
        assert await b.channel.storage.sessions.get_menu(KEY) == stats
        await b.say(str(stats.index("a:n:0:") + 1))
        assert b.actions == ["a:n:0:"]
