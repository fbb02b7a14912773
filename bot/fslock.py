"""An advisory lock across processes on one machine: an flock on a folder. It writes nothing, and
the kernel releases it when the descriptor is closed or the process dies."""

from __future__ import annotations

import asyncio
import fcntl
import os
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path

WAIT_FIRST = 0.005  # seconds between tries of a busy lock in held(), doubling up to WAIT_MAX
WAIT_MAX = 0.05


@contextmanager
def folder_lock(folder: Path) -> Iterator[None]:
    """Hold the folder's flock (blocking until it is free) for the `with` body."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


@asynccontextmanager
async def held(folder: Path) -> AsyncIterator[None]:
    """folder_lock for a coroutine: the flock is tried without blocking and, while another process
    holds it, tried again after a short wait that leaves the event loop free (a cancelled wait
    leaves nothing behind)."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        wait = WAIT_FIRST
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                await asyncio.sleep(wait)
                wait = min(wait * 2, WAIT_MAX)
        yield
    finally:
        os.close(fd)  # releases the lock
