"""Alembic environment of lawbot's schema. Run programmatically by bot.storage.schema (which
passes an open connection in config.attributes["connection"]); `alembic -c ...` with
sqlalchemy.url set works too for writing new revisions (autogenerate against bot.storage.tables)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, pool, text

from bot.storage.tables import metadata

# Serialises schema upgrades of several workers starting at once on one PostgreSQL database.
PG_MIGRATION_LOCK = 7_114_2011


def _run(connection) -> None:
    context.configure(connection=connection, target_metadata=metadata,
                      render_as_batch=connection.dialect.name == "sqlite", compare_type=True)
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": PG_MIGRATION_LOCK})
        context.run_migrations()


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = context.config.get_main_option("sqlalchemy.url")
    if url is None:
        raise RuntimeError("alembic: no connection and no sqlalchemy.url")
    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.connect() as connection:
        _run(connection)


if context.is_offline_mode():
    context.configure(url=context.config.get_main_option("sqlalchemy.url"), target_metadata=metadata,
                      literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    run_migrations_online()
