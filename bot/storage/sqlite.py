"""SQLite storage (aiosqlite, WAL, foreign keys on), created and upgraded by migrations/."""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
from collections import OrderedDict
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path
from typing import Any, AsyncIterator

import aiosqlite

from bot.domain.models import Attempt, PaperItem
from bot.storage.ports import OutboxMessage, WrongEntry
from bot.storage.sqlite_lookup import SqliteLookupGaps
from bot.storage.sqlite_reminders import SqliteReminders
from bot.storage.sqlite_roster import SqliteRosterMixin
from bot.storage.sqlite_stats import SqliteStatsMixin
from bot.storage.sqlite_uploads import SqliteUploads
from bot.storage.sqlite_wechat import SqliteNumberedMenus

log = logging.getLogger(__name__)
CACHE_LIMIT = 20_000
BUSY_TIMEOUT_MS = 5000


def _migrations() -> list[tuple[int, str, str]]:
    folder = resources.files("bot.storage") / "migrations"
    found = []
    for entry in folder.iterdir():
        name = entry.name
        if name.endswith(".sql") and name[:4].isdigit():
            found.append((int(name[:4]), name, entry.read_text(encoding="utf-8")))
    return sorted(found)


def _choice_text(choice: frozenset[int]) -> str:
    return ",".join(str(i) for i in sorted(choice))


def _choice_set(text: str) -> frozenset[int]:
    return frozenset(int(p) for p in text.split(",") if p != "")


def _paper_json(paper: list[PaperItem]) -> str:
    return json.dumps([[p.qid, list(p.order), p.points] for p in paper], separators=(",", ":"))


def _paper_items(text: str) -> list[PaperItem]:
    return [PaperItem(qid=q, order=tuple(o), points=float(pts)) for q, o, pts in json.loads(text)]


class _Lru(OrderedDict):
    def put(self, key: Any, value: Any) -> None:
        self[key] = value
        self.move_to_end(key)
        while len(self) > CACHE_LIMIT:
            self.popitem(last=False)


class SqliteStorage(SqliteReminders, SqliteNumberedMenus, SqliteRosterMixin, SqliteStatsMixin, SqliteLookupGaps,
                    SqliteUploads):
    """One connection, one writer: calls are serialised by a lock; `atomic()` groups them."""

    def __init__(self, conn: aiosqlite.Connection):
        self._conn = conn
        self._lock = asyncio.Lock()
        self._owner: asyncio.Task | None = None
        self._attempts: _Lru = _Lru()  # open attempts, write-through
        self._states: _Lru = _Lru()  # conversation states, write-through
        # The raw sqlite3 connection behind `conn`, set by open() (which allows its use from the
        # event-loop thread): statements *inside* a transaction run on it directly instead of
        # one aiosqlite thread hop each. BEGIN and COMMIT (busy wait, fsync, checkpoint) and
        # statements outside a transaction still go through the aiosqlite thread.
        self._inline: sqlite3.Connection | None = None
        self._commit_inline = False

    # --- lifecycle -------------------------------------------------------------------
    @classmethod
    async def open(cls, path: Path | str, synchronous: str = "NORMAL") -> "SqliteStorage":
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        # check_same_thread=False: the event-loop thread runs in-transaction statements on the
        # same connection; every use is serialised by the storage lock (see _inline).
        conn = await aiosqlite.connect(str(path), isolation_level=None, check_same_thread=False)
        try:
            await conn.execute("PRAGMA journal_mode=WAL")
            await conn.execute(f"PRAGMA synchronous={'FULL' if synchronous == 'FULL' else 'NORMAL'}")
            await conn.execute("PRAGMA foreign_keys=ON")
            await conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            store = cls(conn)
            store._inline = getattr(conn, "_conn", None)  # aiosqlite's underlying sqlite3.Connection
            store._commit_inline = synchronous != "FULL"  # FULL fsyncs at every COMMIT: keep that off the loop
            await store.migrate()
        except BaseException:
            await conn.close()  # its worker thread would keep the process alive
            raise
        return store

    async def migrate(self) -> int:
        async with self._conn.execute("PRAGMA user_version") as cur:
            (version,) = await cur.fetchone()
        for number, name, sql in _migrations():
            if number <= version:
                continue
            log.info("applying migration %s", name)
            await self._conn.executescript(f"BEGIN IMMEDIATE;\n{sql}\nPRAGMA user_version={number};\nCOMMIT;")
            version = number
        return version

    async def close(self) -> None:
        await self._conn.close()

    # --- transactions ----------------------------------------------------------------
    @asynccontextmanager
    async def atomic(self) -> AsyncIterator[None]:
        task = asyncio.current_task()
        if self._owner is task:  # nested: already inside this task's transaction
            yield
            return
        async with self._lock:
            self._owner = task
            await self._begin()
            try:
                yield
            except BaseException:
                await self._conn.execute("ROLLBACK")
                self._attempts.clear()  # cached writes of the failed transaction are not durable
                self._states.clear()
                raise
            else:
                await self._commit()
            finally:
                self._owner = None

    async def _begin(self) -> None:
        """BEGIN IMMEDIATE on the loop thread when the write lock is free (the usual case: this
        process is the only writer); when another connection holds it, wait in the aiosqlite
        thread with the normal busy timeout so the event loop never sleeps on it."""
        raw = self._inline
        if raw is not None:
            raw.execute("PRAGMA busy_timeout=0")
            try:
                raw.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError:
                pass  # SQLITE_BUSY: retried below
            finally:
                raw.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        await self._conn.execute("BEGIN IMMEDIATE")

    async def _commit(self) -> None:
        """COMMIT, done before this returns. In WAL with synchronous=NORMAL a commit appends to
        the WAL without fsync, so it runs on the loop thread; with FULL it fsyncs, off the loop."""
        if self._inline is not None and self._commit_inline:
            self._inline.execute("COMMIT")
        else:
            await self._conn.execute("COMMIT")

    @asynccontextmanager
    async def _reading(self) -> AsyncIterator[None]:
        if self._owner is asyncio.current_task():
            yield
            return
        async with self._lock:
            yield

    def _direct(self) -> sqlite3.Connection | None:
        """The raw connection when this task holds the open transaction, else None. Inside
        BEGIN IMMEDIATE ... COMMIT a statement only touches the page cache and the WAL is
        written at COMMIT, so running it on the loop thread is cheaper than a thread hop."""
        if self._inline is not None and self._owner is not None and self._owner is asyncio.current_task():
            return self._inline
        return None

    async def _write(self, sql: str, params: tuple = ()) -> aiosqlite.Cursor | sqlite3.Cursor:
        """One statement: inside a transaction it joins it; alone it commits by itself.
        The result offers rowcount and lastrowid."""
        direct = self._direct()
        if direct is not None:
            cur = direct.execute(sql, params)
            cur.close()  # rowcount and lastrowid stay readable
            return cur
        async with self._reading():
            return await self._conn.execute(sql, params)

    async def _fetch(self, sql: str, params: tuple, one: bool):
        direct = self._direct()
        if direct is not None:
            cur = direct.execute(sql, params)
            try:
                return cur.fetchone() if one else cur.fetchall()
            finally:
                cur.close()
        async with self._reading():
            async with self._conn.execute(sql, params) as cur:
                return await cur.fetchone() if one else list(await cur.fetchall())

    async def _one(self, sql: str, params: tuple = ()) -> tuple | None:
        return await self._fetch(sql, params, one=True)

    async def _all(self, sql: str, params: tuple = ()) -> list[tuple]:
        return await self._fetch(sql, params, one=False)

    # --- users and sessions ----------------------------------------------------------
    async def ensure_user(self, user: str, now: float) -> None:
        await self._write("INSERT OR IGNORE INTO users(key, created_at) VALUES (?, ?)", (user, now))

    async def get_locale(self, user: str) -> str | None:
        row = await self._one("SELECT locale FROM users WHERE key = ?", (user,))
        return row[0] if row else None

    async def set_locale(self, user: str, locale: str) -> None:
        await self._write("INSERT INTO users(key, locale, created_at) VALUES (?, ?, 0) "
                          "ON CONFLICT(key) DO UPDATE SET locale = excluded.locale", (user, locale))

    async def get_state(self, user: str) -> dict[str, Any]:
        if user in self._states:
            return dict(self._states[user])
        row = await self._one("SELECT state FROM sessions WHERE user_key = ?", (user,))
        state = json.loads(row[0]) if row else {}
        self._states.put(user, state)
        return dict(state)

    async def set_state(self, user: str, state: dict[str, Any], now: float) -> None:
        await self._write("INSERT INTO sessions(user_key, state, updated_at) VALUES (?, ?, ?) "
                          "ON CONFLICT(user_key) DO UPDATE SET state = excluded.state, "
                          "updated_at = excluded.updated_at",
                          (user, json.dumps(state, ensure_ascii=False, separators=(",", ":")), now))
        self._states.put(user, dict(state))

    async def first_seen(self, key: str, now: float) -> bool:
        cur = await self._write("INSERT OR IGNORE INTO processed_updates(key, at) VALUES (?, ?)", (key, now))
        return cur.rowcount == 1

    async def forget_updates_before(self, cutoff: float) -> None:
        await self._write("DELETE FROM processed_updates WHERE at < ?", (cutoff,))

    # --- attempts --------------------------------------------------------------------
    async def create_attempt(self, user: str, exam_id: str, kind: str, started_at: float,
                             deadline: float, paper: list[PaperItem]) -> Attempt:
        cur = await self._write(
            "INSERT INTO attempts(user_key, exam_id, kind, started_at, deadline, paper) VALUES (?,?,?,?,?,?)",
            (user, exam_id, kind, started_at, deadline, _paper_json(paper)))
        attempt = Attempt(id=cur.lastrowid, user=user, exam_id=exam_id, started_at=started_at,
                          deadline=deadline, paper=list(paper))
        self._attempts.put(attempt.id, attempt)
        return attempt

    async def get_attempt(self, attempt_id: int) -> Attempt | None:
        cached = self._attempts.get(attempt_id)
        if cached is not None:
            return cached
        row = await self._one("SELECT id, user_key, exam_id, started_at, deadline, status, paper, "
                              "submitted_at, score, passed FROM attempts WHERE id = ?", (attempt_id,))
        if row is None:
            return None
        answers = await self._all("SELECT pos, choice FROM attempt_answers WHERE attempt_id = ?", (attempt_id,))
        attempt = Attempt(id=row[0], user=row[1], exam_id=row[2], started_at=row[3], deadline=row[4],
                          status=row[5], paper=_paper_items(row[6]), submitted_at=row[7], score=row[8],
                          passed=None if row[9] is None else bool(row[9]),
                          answers={pos: _choice_set(choice) for pos, choice in answers})
        if attempt.is_open:
            self._attempts.put(attempt.id, attempt)
        return attempt

    async def open_attempt_for(self, user: str) -> Attempt | None:
        row = await self._one("SELECT id FROM attempts WHERE user_key = ? AND status = 'open' "
                              "ORDER BY id DESC LIMIT 1", (user,))
        return await self.get_attempt(row[0]) if row else None

    async def count_attempts(self, user: str, exam_id: str) -> int:
        row = await self._one("SELECT COUNT(*) FROM attempts WHERE user_key = ? AND exam_id = ?", (user, exam_id))
        return row[0]

    async def save_answer(self, attempt_id: int, pos: int, choice: frozenset[int], now: float) -> None:
        if choice:
            await self._write("INSERT INTO attempt_answers(attempt_id, pos, choice, answered_at) VALUES (?,?,?,?) "
                              "ON CONFLICT(attempt_id, pos) DO UPDATE SET choice = excluded.choice, "
                              "answered_at = excluded.answered_at", (attempt_id, pos, _choice_text(choice), now))
        else:
            await self._write("DELETE FROM attempt_answers WHERE attempt_id = ? AND pos = ?", (attempt_id, pos))
        cached = self._attempts.get(attempt_id)
        if cached is not None:
            if choice:
                cached.answers[pos] = choice
            else:
                cached.answers.pop(pos, None)

    async def finish_attempt(self, attempt_id: int, status: str, now: float, score: float, passed: bool) -> bool:
        cur = await self._write("UPDATE attempts SET status = ?, submitted_at = ?, score = ?, passed = ? "
                                "WHERE id = ? AND status = 'open'", (status, now, score, int(passed), attempt_id))
        cached = self._attempts.pop(attempt_id, None)
        if cur.rowcount == 1 and cached is not None:
            cached.status, cached.submitted_at, cached.score, cached.passed = status, now, score, passed
        return cur.rowcount == 1

    async def expired_open_attempts(self, now: float, limit: int = 100) -> list[int]:
        rows = await self._all("SELECT id FROM attempts WHERE status = 'open' AND deadline <= ? "
                               "ORDER BY deadline LIMIT ?", (now, limit))
        return [r[0] for r in rows]

    async def attempts_of(self, user: str, limit: int = 10) -> list[tuple[int, str, str, float | None, int | None]]:
        return await self._all("SELECT id, exam_id, status, score, passed FROM attempts WHERE user_key = ? "
                               "AND status != 'open' ORDER BY id DESC LIMIT ?", (user, limit))

    # --- practice --------------------------------------------------------------------
    async def log_answer(self, user: str, question_id: str, correct: bool, elapsed_ms: int | None,
                         mode: str, now: float, attempt_id: int | None = None) -> None:
        await self._write("INSERT INTO answer_log(user_key, question_id, correct, elapsed_ms, mode, attempt_id, at) "
                          "VALUES (?,?,?,?,?,?,?)", (user, question_id, int(correct), elapsed_ms, mode, attempt_id, now))

    async def _many(self, sql: str, rows: list[tuple]) -> None:
        """One statement over many rows, atomically."""
        async with self.atomic():
            direct = self._direct()
            if direct is not None:
                direct.executemany(sql, rows).close()
            else:
                await self._conn.executemany(sql, rows)

    async def log_answers(self, rows: list[tuple]) -> None:
        await self._many("INSERT INTO answer_log(user_key, question_id, correct, elapsed_ms, mode, attempt_id, at) "
                         "VALUES (?,?,?,?,?,?,?)", rows)

    async def add_missed(self, user: str, question_ids: list[str], now: float) -> None:
        """Put questions in the mistake notebook; ones already there keep their streak."""
        await self._many("INSERT OR IGNORE INTO wrong_book(user_key, question_id, streak, added_at) VALUES (?,?,0,?)",
                         [(user, qid, now) for qid in question_ids])

    async def cards_for(self, user: str, question_ids: list[str]) -> dict[str, str]:
        if not question_ids:
            return {}
        marks = ",".join("?" * len(question_ids))
        rows = await self._all(f"SELECT question_id, card FROM review_cards WHERE user_key = ? "
                               f"AND question_id IN ({marks})", (user, *question_ids))
        return dict(rows)

    async def put_cards(self, user: str, cards: list[tuple[str, str, float]]) -> None:
        """(question id, card JSON, due) rows."""
        await self._many("INSERT INTO review_cards(user_key, question_id, card, due) VALUES (?,?,?,?) "
                         "ON CONFLICT(user_key, question_id) DO UPDATE SET card = excluded.card, due = excluded.due",
                         [(user, qid, card, due) for qid, card, due in cards])

    async def answer_stats(self, user: str) -> tuple[int, int]:
        row = await self._one("SELECT COUNT(*), COALESCE(SUM(correct), 0) FROM answer_log "
                              "WHERE user_key = ? AND mode != 'exam'", (user,))
        return row[0], row[1]

    async def wrong_entries(self, user: str) -> list[WrongEntry]:
        rows = await self._all("SELECT question_id, streak FROM wrong_book WHERE user_key = ? ORDER BY added_at",
                               (user,))
        return [WrongEntry(q, s) for q, s in rows]

    async def get_wrong(self, user: str, question_id: str) -> WrongEntry | None:
        row = await self._one("SELECT question_id, streak FROM wrong_book WHERE user_key = ? AND question_id = ?",
                              (user, question_id))
        return WrongEntry(*row) if row else None

    async def put_wrong(self, user: str, question_id: str, streak: int, now: float) -> None:
        await self._write("INSERT INTO wrong_book(user_key, question_id, streak, added_at) VALUES (?,?,?,?) "
                          "ON CONFLICT(user_key, question_id) DO UPDATE SET streak = excluded.streak",
                          (user, question_id, streak, now))

    async def remove_wrong(self, user: str, question_id: str) -> None:
        await self._write("DELETE FROM wrong_book WHERE user_key = ? AND question_id = ?", (user, question_id))

    async def get_card(self, user: str, question_id: str) -> str | None:
        row = await self._one("SELECT card FROM review_cards WHERE user_key = ? AND question_id = ?",
                              (user, question_id))
        return row[0] if row else None

    async def put_card(self, user: str, question_id: str, card: str, due: float) -> None:
        await self._write("INSERT INTO review_cards(user_key, question_id, card, due) VALUES (?,?,?,?) "
                          "ON CONFLICT(user_key, question_id) DO UPDATE SET card = excluded.card, due = excluded.due",
                          (user, question_id, card, due))

    async def due_cards(self, user: str, now: float, limit: int) -> list[str]:
        rows = await self._all("SELECT question_id FROM review_cards WHERE user_key = ? AND due <= ? "
                               "ORDER BY due LIMIT ?", (user, now, limit))
        return [r[0] for r in rows]

    async def count_due(self, user: str, now: float) -> int:
        row = await self._one("SELECT COUNT(*) FROM review_cards WHERE user_key = ? AND due <= ?", (user, now))
        return row[0]

    async def get_progress(self, user: str, scope: str) -> int:
        row = await self._one("SELECT position FROM practice_progress WHERE user_key = ? AND scope = ?", (user, scope))
        return row[0] if row else 0

    async def set_progress(self, user: str, scope: str, position: int) -> None:
        await self._write("INSERT INTO practice_progress(user_key, scope, position) VALUES (?,?,?) "
                          "ON CONFLICT(user_key, scope) DO UPDATE SET position = excluded.position",
                          (user, scope, position))

    # --- activity --------------------------------------------------------------------
    async def log_activity(self, user: str, kind: str, ref: str, now: float) -> None:
        await self._write("INSERT INTO activity_log(user_key, kind, ref, at) VALUES (?,?,?,?)", (user, kind, ref, now))

    async def activity_count(self, user: str, kind: str, since: float = 0.0) -> int:
        row = await self._one("SELECT COUNT(*) FROM activity_log WHERE user_key = ? AND kind = ? AND at >= ?",
                              (user, kind, since))
        return row[0]

    # --- outbox ----------------------------------------------------------------------
    async def enqueue(self, channel: str, user: str, payload: dict[str, Any], dedupe_key: str, now: float) -> bool:
        cur = await self._write("INSERT OR IGNORE INTO outbox(channel, user_key, payload, dedupe_key, created_at) "
                                "VALUES (?,?,?,?,?)",
                                (channel, user, json.dumps(payload, ensure_ascii=False), dedupe_key, now))
        return cur.rowcount == 1

    async def due_messages(self, channel: str, now: float, limit: int) -> list[OutboxMessage]:
        rows = await self._all("SELECT id, channel, user_key, payload, tries FROM outbox WHERE channel = ? AND "
                               "status = 'pending' AND next_try_at <= ? ORDER BY id LIMIT ?", (channel, now, limit))
        return [OutboxMessage(r[0], r[1], r[2], json.loads(r[3]), r[4]) for r in rows]

    async def mark_sent(self, message_id: int, now: float) -> None:
        await self._write("UPDATE outbox SET status = 'sent', sent_at = ?, tries = tries + 1 WHERE id = ?",
                          (now, message_id))

    async def mark_retry(self, message_id: int, next_try_at: float, error: str) -> None:
        await self._write("UPDATE outbox SET tries = tries + 1, next_try_at = ?, error = ? WHERE id = ?",
                          (next_try_at, error[:500], message_id))

    async def mark_failed(self, message_id: int, error: str) -> None:
        await self._write("UPDATE outbox SET status = 'failed', tries = tries + 1, error = ? WHERE id = ?",
                          (error[:500], message_id))
