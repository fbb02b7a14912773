"""Schema versions, managed by Alembic (revisions in bot/storage/alembic/versions/).

`upgrade(connection)` brings any database to the newest revision: a new one is created from
scratch, a SQLite file made by the releases that used hand-written migrations (PRAGMA
user_version = 7) is stamped with the baseline revision and upgraded in place with its data."""

from __future__ import annotations

import functools
from importlib import resources

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

BASELINE = "0001"
LEGACY_USER_VERSION = 7  # the last schema of the hand-written SQL migrations = revision 0001


class SchemaError(Exception):
    """A database whose schema this version cannot upgrade."""


def alembic_config(connection=None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(resources.files("bot.storage") / "alembic"))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


@functools.cache
def head_revision() -> str:
    """The newest shipped revision (read from the revision files once per process)."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:
        raise SchemaError("no schema revisions are shipped (bot/storage/alembic/versions)")
    return head


def current_revision(connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def legacy_version(connection) -> int:
    """PRAGMA user_version of a SQLite file (0 elsewhere or when never set)."""
    if connection.dialect.name != "sqlite":
        return 0
    return int(connection.exec_driver_sql("PRAGMA user_version").scalar() or 0)


def upgrade(connection) -> str:
    """Upgrade to the newest revision (synchronous; run it with AsyncConnection.run_sync for
    PostgreSQL). Returns the revision reached. A database already at the newest revision is
    only read (its version row), not handed to Alembic's upgrade machinery."""
    current = current_revision(connection)
    if current is not None and current == head_revision():
        if connection.in_transaction():
            connection.commit()
        return current
    cfg = alembic_config(connection)
    if current is None:
        version = legacy_version(connection)
        if version and inspect(connection).has_table("users"):
            if version != LEGACY_USER_VERSION:
                raise SchemaError(f"schema version {version} is older than {LEGACY_USER_VERSION}: "
                                  "upgrade with the previous release first")
            command.stamp(cfg, BASELINE)
        elif inspect(connection).has_table("users"):
            raise SchemaError("the database holds tables but no schema version")
    command.upgrade(cfg, "head")
    if connection.in_transaction():
        connection.commit()
    revision = current_revision(connection)
    if revision is None:
        raise SchemaError("the upgrade left the database without a schema version")
    return revision
