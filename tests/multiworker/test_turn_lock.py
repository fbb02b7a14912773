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
