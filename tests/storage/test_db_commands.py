"""`lawbot db upgrade | check | backup | copy`: on a real SQLite file and the real PostgreSQL
test server; output in Chinese (English with --lang en), one line per problem, no traceback."""

from __future__ import annotations

import asyncio
import sqlite3

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from bot.cli import main
from bot.domain.models import PaperItem
from bot.storage import schema
from bot.storage.copy import copy_sqlite_to_postgres
from bot.storage.ports import OutboxRow
from bot.storage.sql.store import open_store
from tests.storage.test_legacy_upgrade import build_legacy_file
from tests.support import pg

pytestmark = pytest.mark.sqlite_only  # builds and reads SQLite files itself (PostgreSQL is the copy's target)


def lawbot(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["--lang", "zh", *args]) if "--lang" not in args else main(list(args))
    out = capsys.readouterr()
    assert "Traceback" not in out.out + out.err
    return code, out.out, out.err


@pytest.fixture
def pg_url():
    pg.require()
    url = pg.create_database()
    yield url
    pg.drop_database(url)


async def _pg(url: str, sql: str, *args):
    u = make_url(url)
    conn = await asyncpg.connect(host=u.host, port=u.port or 5432, user=u.username, database=u.database)
    try:
        return await conn.fetch(sql, *args)
    finally:
        await conn.close()


def pg_rows(url: str, sql: str, *args) -> list[tuple]:
    return [tuple(r) for r in asyncio.run(_pg(url, sql, *args))]


async def populate(path, users: int = 40) -> None:
    """A small deployment: users and sessions, attempts with answers, the answer log, a campaign
    with outbox rows, a pending upload (bytes) and a review card."""
    store = await open_store(path)
    try:
        paper = [PaperItem(qid=f"q{i}", order=(0, 1, 2, 3), points=1.5) for i in range(10)]
        for n in range(users):
            user = f"tg:{n}"
            async with store.atomic():
                await store.users.ensure_user(user, 1000.0 + n)
                await store.sessions.set_state(user, {"flow": "exam", "locale": "zh", "名": "张三\t\n"}, 1000.5 + n)
                attempt = await store.attempts.create_attempt(user, "kemu1", "mock", 1000.0, 5000.0, paper)
                for pos in range(n % 10):
                    await store.attempts.save_answer(attempt.id, pos, frozenset({pos % 4}), 1001.25 + pos)
                await store.attempts.finish_attempt(attempt.id, "submitted", 1100.0, 7.5, n % 2 == 0)
                await store.practice.log_answers([(user, f"q{i}", i % 3 == 0, 900 + i, "exam", attempt.id, 1100.0 + i)
                                                  for i in range(10)])
        cid, _ = await store.campaigns.create_campaign("bc:1", "broadcast", "tg:0", 1200.0, {"text": "通知"})
        await store.outbox.enqueue_many(cid, [OutboxRow("tg", f"tg:{n}", {"text": "通知"}, f"bc:1:tg:{n}")
                                              for n in range(users)], 1200.0)
        await store.uploads.save_upload("tg:0", "题库.xlsx", bytes(range(256)) * 3, 1300.0, 0.0)
        await store.reviews.put_card("tg:1", "q1", '{"due": 1}', 2000.0)
    finally:
        await store.close()


# --- upgrade and check --------------------------------------------------------------------
def test_upgrade_brings_an_old_file_to_the_newest_revision_and_check_agrees(tmp_path, capsys):
    path = tmp_path / "old.sqlite3"
    build_legacy_file(path)
    code, out, err = lawbot(capsys, "db", "check", str(path))
    assert code == 1 and "lawbot db upgrade" in err and len(err.strip().splitlines()) == 1
    code, out, _ = lawbot(capsys, "db", "upgrade", "--database", str(path))
    assert code == 0 and "升级到" in out and schema.head_revision() in out
    code, out, _ = lawbot(capsys, "db", "upgrade", "--database", str(path))
    assert code == 0 and "无需升级" in out
    code, out, _ = lawbot(capsys, "db", "check", str(path))
    assert code == 0 and "完好" in out and schema.head_revision() in out
    code, out, _ = lawbot(capsys, "--lang", "en", "db", "check", str(path))
    assert code == 0 and "is sound" in out


def test_check_and_upgrade_on_postgresql(pg_url, capsys):
    code, _, err = lawbot(capsys, "db", "check", "--database", pg_url)
    assert code == 1 and "lawbot db upgrade" in err  # an empty database has no schema yet
    code, out, _ = lawbot(capsys, "db", "upgrade", "--database", pg_url)
    assert code == 0 and "升级到" in out
    code, out, _ = lawbot(capsys, "db", "check", "--database", pg_url)
    assert code == 0 and "可以连接" in out and schema.head_revision() in out
    nowhere = make_url(pg_url).set(port=1).render_as_string(hide_password=False)
    code, _, err = lawbot(capsys, "db", "check", "--database", nowhere)
    assert code == 1 and "无法连接数据库" in err and len(err.strip().splitlines()) == 1
    code, _, err = lawbot(capsys, "--lang", "en", "db", "check", "--database", nowhere)
    assert code == 1 and "cannot connect" in err


# --- backup -------------------------------------------------------------------------------
def test_backup_is_a_consistent_copy_of_a_live_file(tmp_path, capsys):
    path = tmp_path / "live.sqlite3"
    asyncio.run(populate(path, users=12))
    holder = sqlite3.connect(str(path))  # another connection keeps the database open (WAL)
    try:
        out_file = tmp_path / "backups" / "lawbot-backup.sqlite3"
        code, out, _ = lawbot(capsys, "db", "backup", str(out_file), "--database", str(path))
        assert code == 0 and "备份到" in out and out_file.is_file()
        copy = sqlite3.connect(str(out_file))
        try:
            assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
            for table in ("users", "attempts", "attempt_answers", "answer_log", "outbox", "pending_uploads"):
                assert copy.execute(f"SELECT COUNT(*) FROM {table}").fetchone() == \
                    holder.execute(f"SELECT COUNT(*) FROM {table}").fetchone()
        finally:
            copy.close()
    finally:
        holder.close()
    code, _, err = lawbot(capsys, "db", "backup", str(out_file), "--database", str(path))
    assert code == 1 and "--force" in err
    code, _, err = lawbot(capsys, "--lang", "en", "db", "backup", str(path), "--database", str(path))
    assert code == 1 and "cannot be the database file itself" in err


def test_backup_of_postgresql_prints_the_pg_dump_command(capsys):
    code, out, _ = lawbot(capsys, "db", "backup", "/srv/backup/lawbot.dump",
                          "--database", "postgresql://lawbot:secret@db.example:5433/lawbot")
    assert code == 0 and "pg_dump --format=custom --file=/srv/backup/lawbot.dump --host=db.example --port=5433 " \
                         "--username=lawbot lawbot" in out
    assert "secret" not in out


# --- copy ---------------------------------------------------------------------------------
def test_copy_to_postgresql_resumes_after_an_interruption_and_checksums_agree(tmp_path, pg_url, capsys):
    source = tmp_path / "city.sqlite3"
    asyncio.run(populate(source))
    batches = []

    def interrupt(table: str, rows: int) -> None:
        batches.append((table, rows))
        if table == "answer_log" and rows >= 150:  # mid-table, after some tables were done
            raise ConnectionResetError("connection lost (simulated)")

    with pytest.raises(ConnectionResetError):
        asyncio.run(copy_sqlite_to_postgres(source, pg_url, batch=50, on_batch=interrupt))
    assert pg_rows(pg_url, "SELECT count(*) FROM answer_log") == [(150,)]  # committed batches stay

    code, out, err = lawbot(capsys, "db", "copy", "--to", pg_url, "--from", str(source), "--batch", "50")
    assert code == 0, err
    lines = out.strip().splitlines()
    assert "复制完成" in lines[-1] and "一致" in lines[-1]
    answer_log = next(line for line in lines if line.startswith("表 answer_log："))
    assert "来源 400 行，目标 400 行（其中 150 行是上次复制的）" in answer_log
    for line in lines[:-1]:
        table_sums = line.split("校验和 ")[1].split("，")[0].split(" / ")
        assert table_sums[0] == table_sums[1], line
    assert pg_rows(pg_url, "SELECT count(*) FROM attempt_answers") == \
        [(sqlite3.connect(str(source)).execute("SELECT COUNT(*) FROM attempt_answers").fetchone()[0],)]
    assert pg_rows(pg_url, "SELECT data FROM pending_uploads") == [(bytes(range(256)) * 3,)]

    async def new_rows_after_copy():  # the id sequences were moved past the copied ids
        store = await open_store(pg_url)
        try:
            attempt = await store.attempts.create_attempt("tg:new", "kemu1", "mock", 1.0, 2.0, [])
            state = await store.sessions.get_state("tg:3")
            return attempt.id, state
        finally:
            await store.close()
    new_id, state = asyncio.run(new_rows_after_copy())
    assert new_id == 41 and state == {"flow": "exam", "locale": "zh", "名": "张三\t\n"}

    code, out, _ = lawbot(capsys, "db", "copy", "--to", pg_url, "--from", str(source))
    assert code == 1  # the target now holds a row the source does not: not an unfinished copy


def test_copy_refuses_a_target_in_use_unless_forced(tmp_path, pg_url, capsys):
    source = tmp_path / "small.sqlite3"
    asyncio.run(populate(source, users=5))
    lawbot(capsys, "db", "upgrade", "--database", pg_url)
    pg_rows(pg_url, "INSERT INTO users(key, created_at, blocked) VALUES ('wx:someone-else', 1.0, 0)")
    code, out, err = lawbot(capsys, "db", "copy", "--to", pg_url, "--from", str(source))
    assert code == 1 and "--force" in err and len(err.strip().splitlines()) == 1 and out == ""
    assert pg_rows(pg_url, "SELECT key FROM users") == [("wx:someone-else",)]  # nothing written
    code, out, err = lawbot(capsys, "--lang", "en", "db", "copy", "--to", pg_url, "--from", str(source), "--force")
    assert code == 0 and "copy finished" in out, err
    assert ("wx:someone-else",) not in pg_rows(pg_url, "SELECT key FROM users")
    code, _, err = lawbot(capsys, "db", "copy", "--to", str(tmp_path / "x.sqlite3"), "--from", str(source))
    assert code == 1 and "PostgreSQL" in err
