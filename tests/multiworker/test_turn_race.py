"""Many turns of one user at once on three workers (three stores, each its own connection pool, on
one PostgreSQL database), each doing what a chat turn does on the hot path: the duplicate check
(first_seen), the locked state read (get_turn_with_exams), a read of another table, and the new
state queued with write() so it goes out with COMMIT. Every turn must see the state the turn
before it committed: no two turns see the same counter and none is lost. The same for a user whose
first messages arrive together (no session row yet)."""

from __future__ import annotations

import asyncio
import random
import time

from bot.storage.sql.store import open_store
from tests.support import pg

TURNS = 60


async def _turn(store, user: str, n: int, seen: list[int]) -> None:
    async with store.atomic():
        assert await store.updates.first_seen(f"race:{user}:{n}", time.time())
        state, _blocked, _exams = await store.sessions.get_turn_with_exams(user)
        count = int(state.get("n", 0))
        seen.append(count)
        await store.attempts.open_attempt_for(user)  # another statement, a fresh snapshot
        if n % 3 == 0:
            await asyncio.sleep(random.random() * 0.01)  # hold the lock across a loop turn sometimes
        await store.sessions.set_state(user, {**state, "n": count + 1, f"t{n}": 1}, time.time())


async def test_concurrent_turns_of_one_user_each_see_the_previous_state():
    pg.require()
    url = pg.create_database()
    stores = [await open_store(url) for _ in range(3)]
    try:
        await stores[0].sessions.set_state("wx:known", {"n": 0}, time.time())
        for user in ("wx:known", "wx:new"):
            seen: list[int] = []
            await asyncio.gather(*(_turn(stores[n % 3], user, n, seen) for n in range(TURNS)))
            state = await stores[1].sessions.get_state(user)
            assert sorted(seen) == list(range(TURNS)), (user, sorted(seen))  # none saw a stale state
            assert state["n"] == TURNS and all(state.get(f"t{n}") for n in range(TURNS)), user
    finally:
        for store in stores:
            await store.close()
        pg.drop_database(url)
