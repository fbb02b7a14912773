"""Users, conversation state and numbered menus, handled updates, and the activity log."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from sqlalchemy import bindparam, delete, func, insert, literal_column, select, true, update

from bot.storage.sql.base import Repo, chunks, dumps
from bot.storage.sql.database import Prepared
from bot.storage.sql.dialect import insert_ignore, upsert
from bot.storage.sql.turn_lock import SqlTurnLock
from bot.storage.tables import activity_log, numbered_menus, processed_updates, sessions, users


class SqlUsers(Repo):
    def __init__(self, db):
        super().__init__(db)
        self._ensure = Prepared(insert_ignore(self.dialect, users, ["key"]), "key", "created_at")
        self._locale = Prepared(select(users.c.locale).where(users.c.key == bindparam("key")))
        self._set_locale = Prepared(upsert(self.dialect, users, ["key"], ["locale"]), "key", "locale", "created_at")
        self._reachable = Prepared(update(users).where(users.c.key == bindparam("b_key"), users.c.blocked == 1)
                                   .values(blocked=0))

    async def ensure_user(self, user: str, now: float) -> None:
        await self.db.write(self._ensure, {"key": user, "created_at": now})

    async def get_locale(self, user: str) -> str | None:
        return (await self.db.run(self._locale, {"key": user})).scalar()

    async def set_locale(self, user: str, locale: str) -> None:
        await self.db.run(self._set_locale, {"key": user, "locale": locale, "created_at": 0.0})

    async def mark_reachable(self, user: str) -> None:
        """The user wrote to the bot, so they have not blocked it (any more)."""
        await self.db.write(self._reachable, {"b_key": user})

    async def is_blocked(self, user: str) -> bool:
        return bool((await self.db.run(select(users.c.blocked).where(users.c.key == user))).scalar())

    async def blocked_among(self, keys: list[str]) -> list[str]:
        found: list[str] = []
        for chunk in chunks(keys):
            rows = await self.db.run(select(users.c.key).where(users.c.blocked == 1, users.c.key.in_(chunk)))
            found += [r[0] for r in rows.rows]
        return found

    async def reachable_users(self, channels: Iterable[str] | None = None, limit: int = 1_000_000) -> list[str]:
        """Every known user who has not blocked the bot (optionally only these channels)."""
        rows = await self.db.run(select(users.c.key).where(users.c.blocked == 0).order_by(users.c.key).limit(limit))
        wanted = set(channels) if channels is not None else None
        return [r[0] for r in rows.rows if wanted is None or r[0].split(":", 1)[0] in wanted]


class SqlSessions(Repo):
    def __init__(self, db):
        super().__init__(db)
        self._get = Prepared(select(sessions.c.state).where(sessions.c.user_key == bindparam("user_key")))
        self._set = Prepared(upsert(self.dialect, sessions, ["user_key"], ["state", "updated_at"]),
                             "user_key", "state", "updated_at")
        self._turns = SqlTurnLock(db)
        self._turn_reads: dict[str, Prepared] = {}
        self._get_menu = Prepared(select(numbered_menus.c.actions).where(numbered_menus.c.user_key == bindparam("user_key")))
        self._set_menu = Prepared(upsert(self.dialect, numbered_menus, ["user_key"], ["actions", "updated_at"]),
                                  "user_key", "actions", "updated_at")

    async def get_state(self, user: str) -> dict[str, Any]:
        text = (await self.db.run(self._get, {"user_key": user})).scalar()
        return json.loads(text) if text else {}

    def _turn_statement(self, name: str, extra, open_attempt: bool = False) -> Prepared:
        """The first read of a turn: the state, whether the user blocked the bot, and `extra`
        scalar subqueries (returned by the function `extra`) another part of the turn wants in the
        same statement; with `open_attempt` (PostgreSQL) also the user's open attempt
        (attempts.open_attempt_subquery), a round trip the exam's get_attempt then saves. Built
        once per `name`: building Core constructs costs more than running them."""
        found = self._turn_reads.get(name)
        if found is None:
            blocked = select(users.c.blocked).where(users.c.key == bindparam("u_key")).scalar_subquery()
            state = select(sessions.c.state).where(sessions.c.user_key == bindparam("s_key")).scalar_subquery()
            read = select(state, blocked, *extra())
            if open_attempt:
                from bot.storage.sql.attempts import open_attempt_subquery

                one = select(literal_column("1").label("one")).subquery("one")
                attempt = open_attempt_subquery(self.dialect)
                read = read.add_columns(*attempt.c).select_from(one.outerjoin(attempt, true()))
            found = self._turn_reads[name] = Prepared(read)
        return found

    async def _read_turn(self, user: str, name: str = "turn", extra=tuple, open_attempt: bool = False) -> tuple:
        """Wait for the user's turn (PostgreSQL: the advisory turn lock, sent with BEGIN), then
        read. On SQLite BEGIN IMMEDIATE already made this turn the only writer."""
        await self._turns.lock_user(user)
        keys = {"s_key": user, "u_key": user}
        if open_attempt:
            keys["a_key"] = user
        return (await self.db.run(self._turn_statement(name, extra, open_attempt), keys)).rows[0]

    async def get_turn(self, user: str) -> tuple[dict[str, Any], bool | None]:
        """At the start of a turn, inside its transaction: wait for any other turn of this user
        (on any worker) to end, then read the user's state and whether they blocked the bot
        (None: not a known user). PostgreSQL: the advisory turn lock of
        bot/storage/sql/turn_lock.py goes with BEGIN, then one read. On SQLite the turn's BEGIN
        IMMEDIATE already made it the only writer."""
        row = await self._read_turn(user)
        state = json.loads(row[0]) if row[0] else {}
        return state, None if row[1] is None else bool(row[1])

    async def get_turn_with_exams(self, user: str) -> tuple[dict[str, Any], bool | None, int]:
        """get_turn (the turn lock included) with the console exams' revision in the same
        statement; on PostgreSQL the user's open attempt comes with it too, kept for this
        transaction's attempts.get_attempt (attempts.remember_open)."""
        from bot.storage.sql.attempts import remember_open
        from bot.storage.sql.console import revision_query

        pg = self.dialect == "postgresql"
        row = await self._read_turn(user, "turn_exams", lambda: (revision_query().scalar_subquery(),), open_attempt=pg)
        if pg:
            remember_open(self.db, row[3:])
        state = json.loads(row[0]) if row[0] else {}
        return state, None if row[1] is None else bool(row[1]), int(row[2] or 0)

    async def set_state(self, user: str, state: dict[str, Any], now: float) -> None:
        await self.db.write(self._set, {"user_key": user, "state": dumps(state), "updated_at": now})

    async def get_menu(self, user: str) -> list[str]:
        text = (await self.db.run(self._get_menu, {"user_key": user})).scalar()
        if not text:
            return []
        try:
            actions = json.loads(text)
        except ValueError:
            return []
        return [a for a in actions if isinstance(a, str)] if isinstance(actions, list) else []

    async def set_menu(self, user: str, actions: list[str], now: float) -> None:
        await self.db.run(self._set_menu, {"user_key": user, "actions": dumps(actions), "updated_at": now})


class SqlUpdates(Repo):
    def __init__(self, db):
        super().__init__(db)
        self._seen = Prepared(insert_ignore(self.dialect, processed_updates, ["key"]), "key", "at")

    async def first_seen(self, key: str, now: float) -> bool:
        return (await self.db.run(self._seen, {"key": key, "at": now})).rowcount == 1

    async def forget_updates_before(self, cutoff: float) -> None:
        await self.db.run(delete(processed_updates).where(processed_updates.c.at < cutoff))


class SqlActivity(Repo):
    def __init__(self, db):
        super().__init__(db)
        self._log = Prepared(insert(activity_log), "user_key", "kind", "ref", "at")

    async def log_activity(self, user: str, kind: str, ref: str, now: float) -> None:
        await self.db.run(self._log, {"user_key": user, "kind": kind, "ref": ref, "at": now})

    async def activity_count(self, user: str, kind: str, since: float = 0.0) -> int:
        t = activity_log
        return (await self.db.run(select(func.count()).select_from(t).where(
            t.c.user_key == user, t.c.kind == kind, t.c.at >= since))).scalar()
