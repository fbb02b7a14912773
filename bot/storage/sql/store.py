"""The unit of work over SQLAlchemy Core: every repository on one database, and `atomic()`.

    store = await open_store("data/lawbot.sqlite3")          # embedded SQLite file
    store = await open_store("postgresql://user@host/db")    # PostgreSQL (asyncpg)
    async with store.atomic():                               # one transaction per turn
        await store.attempts.save_answer(...)

Opening upgrades the schema to the newest Alembic revision (see bot/storage/schema.py)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.exc import DBAPIError

from bot.fslock import folder_lock
from bot.storage import schema
from bot.storage.sql.attempts import SqlAttempts
from bot.storage.sql.bank_changes import SqlRetiredQuestions
from bot.storage.sql.bank_versions import SqlBankVersions
from bot.storage.sql.certificates import SqlCertificates
from bot.storage.sql.console import SqlConsoleExams, SqlGapMarks
from bot.storage.sql.database import (
    Database,
    DatabaseOpenError,
    PostgresDatabase,
    SqliteDatabase,
    database_url,
)
from bot.storage.sql.fairness import SqlFairness
from bot.storage.sql.outbox import SqlCampaigns, SqlJobs, SqlOutbox, SqlReminders
from bot.storage.sql.person_list import SqlPersonList
from bot.storage.sql.pk import SqlPk
from bot.storage.sql.practice import SqlPractice, SqlReviews
from bot.storage.sql.roster import SqlAdmins, SqlRoster, SqlStudy, SqlWindows
from bot.storage.sql.roster_admin import SqlRosterAdmin
from bot.storage.sql.stats import SqlStats
from bot.storage.sql.study_time import SqlRanking, SqlStudyTime
from bot.storage.sql.turn_lock import SqlTurnLock
from bot.storage.sql.uploads import SqlGaps, SqlUploads
from bot.storage.sql.users import SqlActivity, SqlSessions, SqlUpdates, SqlUsers
from bot.storage.sql.web_accounts import SqlAudit, SqlWebAccounts


class SqlStore:
    def __init__(self, db: Database):
        self.db = db
        self.dialect = db.dialect_name
        self.users = SqlUsers(db)
        self.sessions = SqlSessions(db)
        self.updates = SqlUpdates(db)
        self.activity = SqlActivity(db)
        self.attempts = SqlAttempts(db)
        self.practice = SqlPractice(db)
        self.reviews = SqlReviews(db)
        self.reminders = SqlReminders(db)
        self.outbox = SqlOutbox(db)
        self.campaigns = SqlCampaigns(db)
        self.jobs = SqlJobs(db)
        self.bank_versions = SqlBankVersions(db)
        self.turns = SqlTurnLock(db)
        self.uploads = SqlUploads(db)
        self.gaps = SqlGaps(db)
        self.roster = SqlRoster(db)
        self.admins = SqlAdmins(db)
        self.windows = SqlWindows(db)
        self.study = SqlStudy(db)
        self.stats = SqlStats(db)
        self.certificates = SqlCertificates(db)
        self.study_time = SqlStudyTime(db)
        self.ranking = SqlRanking(db)
        self.pk = SqlPk(db)
        self.fairness = SqlFairness(db)
        self.console_exams = SqlConsoleExams(db)
        self.gap_marks = SqlGapMarks(db)
        self.roster_admin = SqlRosterAdmin(db)
        self.retired_questions = SqlRetiredQuestions(db)
        self.person_list = SqlPersonList(db)
        self.web_accounts = SqlWebAccounts(db)
        self.audit = SqlAudit(db)

    def atomic(self):
        return self.db.transaction()

    async def close(self) -> None:
        await self.db.close()


@contextmanager
def _directory_lock(folder: Path | None) -> Iterator[None]:
    """Serialise schema upgrades of processes that open one SQLite file at once (the workers of
    `lawbot run --workers N` start together): an flock on the file's folder, which writes nothing."""
    if folder is None:
        yield
        return
    with folder_lock(folder):
        yield


async def open_store(target: str | Path, synchronous: str = "NORMAL", *, pool_size: int = 10) -> SqlStore:
    """Open (and create or upgrade) the database at `target`: a SQLite path or a URL.
    A SQLite file that is not a database raises sqlite3.DatabaseError; a server that cannot be
    reached or a schema that cannot be upgraded raises DatabaseOpenError."""
    url = database_url(target)
    if url.get_backend_name() == "sqlite":
        path = url.database or ":memory:"
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        db = SqliteDatabase(path, synchronous)
        try:
            # connecting switches a new file to WAL, which needs the file to itself: under the lock too
            with _directory_lock(None if path == ":memory:" else Path(path).parent):
                db.connect()
                schema.upgrade(db.sync_connection())
        except DBAPIError as exc:
            await db.close()
            if isinstance(exc.orig, sqlite3.DatabaseError):
                raise exc.orig from None
            raise
        except BaseException:
            await db.close()
            raise
        return SqlStore(db)
    pg = PostgresDatabase(url, pool_size=pool_size)
    try:
        async with pg.engine.connect() as conn:
            await conn.run_sync(schema.upgrade)
        await pg.connect()
    except (OSError, DBAPIError) as exc:
        await pg.close()
        raise DatabaseOpenError(f"cannot open {url.render_as_string(hide_password=True)}: "
                                f"{str(exc).splitlines()[0]}") from exc
    except BaseException:
        await pg.close()
        raise
    return SqlStore(pg)
