"""Every contract test runs once on SQLite and once on PostgreSQL (a fresh database each, copied
from a migrated template: tests/support/templates.py)."""

from __future__ import annotations

import pytest

from bot.storage.sql.store import open_store
from tests.support import pg
from tests.support.templates import migrated_sqlite


@pytest.fixture(params=["sqlite", "postgresql"])
async def target(request, tmp_path):
    if request.param == "sqlite":
        yield str(migrated_sqlite(tmp_path / "contract.sqlite3"))
        return
    pg.require()
    url = pg.create_database(migrated=True)
    try:
        yield url
    finally:
        pg.drop_database(url)


@pytest.fixture
async def store(target):
    s = await open_store(target)
    yield s
    await s.close()
