"""One turn at a time per user across workers. On PostgreSQL a turn locks the user's session row
as it reads the state (SqlSessions.get_turn: SELECT … FOR UPDATE, no extra round trip); a user
without a session row yet, or a caller that only wants the lock, takes a transaction-level
advisory lock on the user (`pg_advisory_xact_lock(TURN_LOCKS, hashtext(user))`, the two-key form,
so it never meets the single-key leader and migration locks). get_turn holds both once the row
exists, so the two kinds of lock never let two turns of one user run at once; a second message of
the same user on another worker waits until the first turn commits and then reads its state.
On SQLite every turn is already a write transaction begun with BEGIN IMMEDIATE: one at a time."""

from __future__ import annotations

from sqlalchemy import bindparam, func, literal, select

from bot.storage.sql.base import Repo
from bot.storage.sql.database import Prepared

TURN_LOCKS = 7114  # the key space of these locks


class SqlTurnLock(Repo):
    def __init__(self, db):
        super().__init__(db)
        self._lock = Prepared(select(func.pg_advisory_xact_lock(literal(TURN_LOCKS),
                                                                func.hashtext(bindparam("user")))))

    async def lock_user(self, user: str) -> None:
        """Inside the caller's transaction: wait for any other turn of this user to end."""
        if self.dialect == "postgresql":
            await self.db.run(self._lock, {"user": user})
