"""Per-user ordering for every channel: one user's turns run one at a time and in arrival order
(a double tap cannot overtake itself), different users' turns run concurrently."""

from __future__ import annotations

import asyncio
from collections.abc import Hashable
from types import TracebackType


class KeyedLocks:
    """One asyncio.Lock per key while that key has turns running or waiting; no entry outlives
    them, so the map holds only users with work in flight.

        async with locks.hold(user):
            ...  # this user's turn; the next one waits here
    """

    __slots__ = ("_locks",)

    def __init__(self) -> None:
        self._locks: dict[Hashable, tuple[asyncio.Lock, int]] = {}  # key -> (lock, holders + waiters)

    def hold(self, key: Hashable) -> _Hold:
        return _Hold(self, key)

    def __len__(self) -> int:
        return len(self._locks)


class _Hold:
    """`async with` for one key (a plain class: cheaper per update than a generator-based one)."""

    __slots__ = ("_key", "_lock", "_owner")

    def __init__(self, owner: KeyedLocks, key: Hashable) -> None:
        self._owner, self._key = owner, key
        self._lock: asyncio.Lock | None = None

    async def __aenter__(self) -> None:
        locks = self._owner._locks
        lock, users = locks.get(self._key, (None, 0))
        if lock is None:
            lock = asyncio.Lock()
        locks[self._key] = (lock, users + 1)
        self._lock = lock
        try:
            await lock.acquire()
        except BaseException:  # cancelled while waiting: give the place up
            self._release_entry()
            raise

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        assert self._lock is not None
        self._lock.release()
        self._release_entry()

    def _release_entry(self) -> None:
        locks = self._owner._locks
        lock, users = locks[self._key]
        if users <= 1:
            del locks[self._key]
        else:
            locks[self._key] = (lock, users - 1)
