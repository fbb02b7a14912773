"""One turn at a time per user across workers. On PostgreSQL a turn takes a transaction-level
advisory lock on the user (`pg_advisory_xact_lock(TURN_LOCKS, hashtext(user))`, the two-key form,
so it never meets the single-key leader and migration locks) before it reads anything: a second
message of the same user on another worker waits until the first turn commits and then reads its
state (each statement under READ COMMITTED sees what was committed before it began). The lock goes
in one round trip with the transaction's BEGIN (PostgresDatabase.hold), so SqlSessions.get_turn
costs that and its read. On SQLite every turn is already a write transaction begun with BEGIN
IMMEDIATE: one at a time."""

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
            await self.db.hold(self._lock, {"user": user})
