"""Users, conversation state and numbered menus, handled updates, and the activity log."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from sqlalchemy import bindparam, delete, func, insert, null, select, update

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
        self._turn_reads: dict[str, tuple[Prepared, Prepared, Prepared]] = {}
        self._get_menu = Prepared(select(numbered_menus.c.actions).where(numbered_menus.c.user_key == bindparam("user_key")))
        self._set_menu = Prepared(upsert(self.dialect, numbered_menus, ["user_key"], ["actions", "updated_at"]),
                                  "user_key", "actions", "updated_at")

    async def get_state(self, user: str) -> dict[str, Any]:
        text = (await self.db.run(self._get, {"user_key": user})).scalar()
        return json.loads(text) if text else {}

    def _turn_statements(self, name: str, extra) -> tuple[Prepared, Prepared, Prepared]:
        """The first read of a turn: the state, whether the user blocked the bot, and `extra`
        scalar subqueries (returned by the function `extra`) another part of the turn wants in the
        same statement. (plain read, locked read, the read for a user without a session row);
        built once per `name`: building Core constructs costs more than running them."""
        found = self._turn_reads.get(name)
        if found is None:
            extra = extra()
            blocked = select(users.c.blocked).where(users.c.key == bindparam("u_key")).scalar_subquery()
            state = select(sessions.c.state).where(sessions.c.user_key == bindparam("s_key")).scalar_subquery()
            found = self._turn_reads[name] = (
                Prepared(select(state, blocked, *extra)),
                # PostgreSQL: the session row locked (FOR UPDATE OF sessions) is the user's turn
                # lock, and its state is read after the wait (a row updated meanwhile is re-read at
                # its newest version), so a second turn of the user sees the first one's state.
                Prepared(select(sessions.c.state, blocked, *extra).where(sessions.c.user_key == bindparam("s_key"))
                         .with_for_update(of=sessions)),
                Prepared(select(null(), blocked, *extra)))
        return found

    async def _read_turn(self, user: str, name: str = "turn", extra=tuple) -> tuple:
        plain, locked, rowless = self._turn_statements(name, extra)
        keys = {"s_key": user, "u_key": user}
        if self.dialect != "postgresql":  # BEGIN IMMEDIATE made this turn the only writer
            return (await self.db.run(plain, keys)).first()
        row = (await self.db.run(locked, keys)).first()
        if row is None:  # no row to lock yet: the advisory lock, then the row if it appeared meanwhile
            await self._turns.lock_user(user)
            row = (await self.db.run(locked, keys)).first() or (await self.db.run(rowless, keys)).first()
        return row

    async def get_turn(self, user: str) -> tuple[dict[str, Any], bool | None]:
        """At the start of a turn, inside its transaction: wait for any other turn of this user
        (on any worker) to end, then read the user's state and whether they blocked the bot
        (None: not a known user). One statement when the user has a session row (PostgreSQL:
        SELECT … FOR UPDATE of it; a user without one takes the advisory turn lock of
        bot/storage/sql/turn_lock.py). On SQLite the turn's BEGIN IMMEDIATE already made it the
        only writer."""
        row = await self._read_turn(user)
        state = json.loads(row[0]) if row[0] else {}
        return state, None if row[1] is None else bool(row[1])

    async def get_turn_with_exams(self, user: str) -> tuple[dict[str, Any], bool | None, int]:
        """get_turn (the turn lock included) with the console exams' revision in the same statement."""
        from bot.storage.sql.console import revision_query

        row = await self._read_turn(user, "turn_exams", lambda: (revision_query().scalar_subquery(),))
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
