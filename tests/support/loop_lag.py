"""A probe of how late the running event loop wakes while some work is under way."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


@asynccontextmanager
async def loop_lag(tick: float) -> AsyncIterator[list[float]]:
    """Within the block, a task sleeps `tick` seconds over and over and appends to the yielded list
    how late (in seconds) each wake-up came; a long stall of the loop shows as one large value."""
    late: list[float] = []

    async def ticker() -> None:
        while True:
            due = time.perf_counter() + tick
            await asyncio.sleep(tick)
            late.append(time.perf_counter() - due)

    ticking = asyncio.create_task(ticker())
    try:
        yield late
    finally:
        ticking.cancel()
        await asyncio.gather(ticking, return_exceptions=True)
