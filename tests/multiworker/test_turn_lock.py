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

        first_in, release = asyncio.Event(), asyncio.Event()

        async def turn(store, user: str, name: str, hold: asyncio.Event | None = None):
            async with store.atomic():
                await store.turns.lock_user(user)
                events.append((f"{name} in", time.monotonic() - start))
                await store.sessions.set_state(user, {"by": name}, time.time())
                if hold is not None:  # the first turn holds the lock until the test lets it go
                    first_in.set()
                    await hold.wait()
            events.append((f"{name} out", time.monotonic() - start))

        first = asyncio.create_task(turn(a, "wx:u", "first", release))
        await asyncio.wait_for(first_in.wait(), 10)
        second = asyncio.create_task(turn(b, "wx:u", "second"))
        await asyncio.wait_for(turn(b, "wx:v", "other"), 10)  # another user does not wait for the lock
        await asyncio.sleep(0.1)  # time for the second turn to reach the lock
        assert "second in" not in dict(events)  # the same user's second turn waits...
        release.set()
        await asyncio.wait_for(asyncio.gather(first, second), 10)
        at = dict(events)
        assert at["second in"] >= at["first out"] - 0.05  # ...until the first turn has committed
        assert at["other out"] < at["first out"]
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
