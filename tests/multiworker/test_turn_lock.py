"""Two turns of one user on two workers (two connections to one PostgreSQL database) run one
after the other; turns of different users do not wait for each other."""

from __future__ import annotations

import asyncio
import time

from bot.storage.sql.store import open_store
from tests.support import pg


async def test_turns_of_one_user_wait_for_each_other_across_workers():
    pg.require()
    url = pg.create_database()
    a, b = await open_store(url), await open_store(url)
    try:
        events: list[tuple[str, float]] = []
        start = time.monotonic()

        async def turn(store, user: str, name: str, hold: float):
            async with store.atomic():
                await store.turns.lock_user(user)
                events.append((f"{name} in", time.monotonic() - start))
                await store.sessions.set_state(user, {"by": name}, time.time())
                await asyncio.sleep(hold)
            events.append((f"{name} out", time.monotonic() - start))

        async def later(coro, delay):
            await asyncio.sleep(delay)
            await coro

        await asyncio.gather(turn(a, "wx:u", "first", 0.6), later(turn(b, "wx:u", "second", 0), 0.2),
                             later(turn(b, "wx:v", "other", 0), 0.2))
        at = dict(events)
        assert at["second in"] >= at["first out"] - 0.05  # waited for the first turn to commit
        assert at["other in"] < at["first out"] - 0.2  # another user did not wait
        assert await b.sessions.get_state("wx:u") == {"by": "second"}
    finally:
        await a.close()
        await b.close()
        pg.drop_database(url)


async def test_reading_the_turn_takes_the_lock_for_new_and_known_users():
    """get_turn is the turn lock (the session row FOR UPDATE; the advisory lock while the user has
    no row): a second turn of the user waits and reads the first turn's state, for a user seen
    before and for one whose first two messages arrive together."""
    pg.require()
    url = pg.create_database()
    a, b = await open_store(url), await open_store(url)
    try:
        await a.sessions.set_state("wx:known", {"n": 0}, time.time())
        for user in ("wx:known", "wx:new"):
            events: list[str] = []

            async def turn(store, name: str, hold: float, user: str = user, events: list[str] = events):
                async with store.atomic():
                    state, _blocked = await store.sessions.get_turn(user)
                    events.append(f"{name} in")
                    await asyncio.sleep(hold)
                    await store.sessions.set_state(user, {"n": state.get("n", 0) + 1}, time.time())
                    events.append(f"{name} done")  # COMMIT follows; only then may the other turn go in

            async def later(coro, delay):
                await asyncio.sleep(delay)
                await coro

            await asyncio.gather(turn(a, "first", 0.15), later(turn(b, "second", 0), 0.05))
            assert events == ["first in", "first done", "second in", "second done"], (user, events)
            assert (await b.sessions.get_state(user))["n"] == 2, user  # each turn saw the one before
    finally:
        await a.close()
        await b.close()
        pg.drop_database(url)
