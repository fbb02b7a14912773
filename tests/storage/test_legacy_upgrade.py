"""A SQLite file made by the releases with hand-written migrations (PRAGMA user_version 7; the
SQL files are kept as a fixture) is recognised, stamped and upgraded in place with its data."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.storage import schema
from bot.storage.sql.store import open_store

pytestmark = pytest.mark.sqlite_only  # reads the SQLite file itself

LEGACY = Path(__file__).parent / "fixtures" / "legacy_migrations"


def build_legacy_file(path: Path) -> None:
    """What the previous release's runner did: each file in one transaction, then user_version."""
    conn = sqlite3.connect(str(path), isolation_level=None)
    for sql_file in sorted(LEGACY.glob("*.sql")):
        number = int(sql_file.name[:4])
        conn.executescript(f"BEGIN IMMEDIATE;\n{sql_file.read_text(encoding='utf-8')}\n"
                           f"PRAGMA user_version={number};\nCOMMIT;")
    conn.executescript("""
        INSERT INTO users(key, locale, created_at, blocked) VALUES ('tg:1', 'zh', 10.0, 0), ('tg:2', NULL, 11.0, 1);
        INSERT INTO sessions(user_key, state, updated_at) VALUES ('tg:1', '{"flow":"exam"}', 12.0);
        INSERT INTO attempts(id, user_key, exam_id, kind, started_at, deadline, status, paper, submitted_at, score,
                             passed) VALUES (5, 'tg:1', 'kemu1', 'mock', 1.0, 100.0, 'submitted',
                             '[["q1",[0,1,2,3],1.0]]', 50.0, 1.0, 1);
        INSERT INTO attempt_answers(attempt_id, pos, choice, answered_at) VALUES (5, 0, '2', 20.0);
        INSERT INTO answer_log(user_key, question_id, correct, elapsed_ms, mode, attempt_id, at)
            VALUES ('tg:1', 'q1', 1, 900, 'exam', 5, 20.0);
        INSERT INTO campaigns(id, key, kind, created_at, status, total) VALUES (3, 'bc:1', 'broadcast', 5.0, 'active', 1);
        INSERT INTO outbox(channel, user_key, payload, dedupe_key, created_at, campaign_id)
            VALUES ('tg', 'tg:1', '{"text":"hi"}', 'bc:1:tg:1', 5.0, 3);
        INSERT INTO pending_uploads(user_key, filename, data, created_at) VALUES ('tg:1', 'b.xlsx', x'00ff', 7.0);
        CREATE TABLE item_totals (exam_id TEXT NOT NULL, question_id TEXT NOT NULL, n INTEGER NOT NULL,
            n_correct INTEGER NOT NULL, sum_score REAL NOT NULL, sum_sq REAL NOT NULL,
            sum_score_correct REAL NOT NULL, PRIMARY KEY (exam_id, question_id)) WITHOUT ROWID;
        INSERT INTO item_totals VALUES ('kemu1', 'q1', 1, 1, 1.0, 1.0, 1.0);
        INSERT INTO study_marks(source, last_id, rules) VALUES ('item_totals', 1, '');
    """)
    assert conn.execute("PRAGMA user_version").fetchone() == (7,)
    conn.close()


async def test_a_user_version_7_file_upgrades_in_place_with_its_data(tmp_path):
    db = tmp_path / "old.sqlite3"
    build_legacy_file(db)
    store = await open_store(db)
    try:
        assert await store.users.get_locale("tg:1") == "zh"
        assert await store.users.is_blocked("tg:2") is True
        assert await store.sessions.get_state("tg:1") == {"flow": "exam"}
        attempt = await store.attempts.get_attempt(5)
        assert (attempt.exam_id, attempt.status, attempt.passed, attempt.answers) == ("kemu1", "submitted", True,
                                                                                      {0: frozenset({2})})
        assert [p.qid for p in attempt.paper] == ["q1"]
        assert await store.outbox.outbox_totals("tg") == {"pending": 1, "inflight": 0, "sent": 0, "failed": 0,
                                                          "cancelled": 0}
        assert (await store.campaigns.get_campaign(3)).key == "bc:1"
        assert (await store.uploads.get_upload(1, "tg:1")).data == b"\x00\xff"
        assert [s.n for s in await store.stats.item_sums("kemu1")] == [1]  # the run-time table was kept
        # new rows continue after the old ids
        new = await store.attempts.create_attempt("tg:2", "kemu1", "mock", 60.0, 160.0, attempt.paper)
        assert new.id == 6
    finally:
        await store.close()
    conn = sqlite3.connect(str(db))
    try:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [(schema.head_revision(),)]
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    finally:
        conn.close()
    again = await open_store(db)  # idempotent on an upgraded file
    assert await again.users.get_locale("tg:1") == "zh"
    await again.close()


async def test_an_older_legacy_version_is_refused_with_a_reason(tmp_path):
    db = tmp_path / "older.sqlite3"
    conn = sqlite3.connect(str(db), isolation_level=None)
    first = sorted(LEGACY.glob("*.sql"))[0]
    conn.executescript(f"BEGIN;\n{first.read_text(encoding='utf-8')}\nPRAGMA user_version=1;\nCOMMIT;")
    conn.close()
    with pytest.raises(schema.SchemaError, match="previous release"):
        await open_store(db)


async def test_a_fresh_file_is_created_at_the_newest_revision(tmp_path):
    store = await open_store(tmp_path / "new.sqlite3")
    await store.close()
    conn = sqlite3.connect(str(tmp_path / "new.sqlite3"))
    try:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [(schema.head_revision(),)]
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert {"users", "attempts", "outbox", "item_totals", "pending_uploads"} <= tables
    finally:
        conn.close()


async def test_wal_and_foreign_keys_are_on(tmp_path):
    store = await open_store(tmp_path / "w.sqlite3")
    try:
        raw = store.db.sync_connection().connection.driver_connection
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert raw.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    finally:
        await store.close()


async def test_a_file_that_is_not_a_database_raises_sqlite_database_error(tmp_path):
    bad = tmp_path / "bad.sqlite3"
    bad.write_bytes(b"this is not a database" * 100)
    with pytest.raises(sqlite3.DatabaseError):
        await open_store(bad)
