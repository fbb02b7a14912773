"""PostgreSQL for tests: the server named by LAWBOT_TEST_DATABASE_URL (default the local test
server), one fresh database per use, dropped afterwards. Without a reachable server the tests
that need it skip with the reason, unless LAWBOT_REQUIRE_POSTGRES=1 makes that a failure."""

from __future__ import annotations

import asyncio
import os
import threading
import uuid

import asyncpg
import pytest
from sqlalchemy.engine import make_url

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/test"
_reason: list[str | None] = []


def server_url() -> str:
    return os.environ.get("LAWBOT_TEST_DATABASE_URL", DEFAULT_URL)


def run_sync(coro):
    """Run a coroutine to completion from sync code, even inside a running event loop."""
    box: dict = {}

    def target():
        try:
            box["value"] = asyncio.run(coro)
        except BaseException as exc:  # noqa: BLE001 - handed back to the caller
            box["error"] = exc

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    return box.get("value")


async def _admin(sql: str) -> None:
    url = make_url(server_url())
    conn = await asyncpg.connect(host=url.host or "127.0.0.1", port=url.port or 5432, user=url.username,
                                 password=url.password, database=url.database, timeout=5)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def unavailable() -> str | None:
    """Why PostgreSQL cannot be used (None when it can); asked once per run."""
    if not _reason:
        try:
            run_sync(_admin("SELECT 1"))
            _reason.append(None)
        except Exception as exc:  # noqa: BLE001 - any failure means: no server for tests
            _reason.append(f"PostgreSQL at {make_url(server_url()).render_as_string(hide_password=True)} "
                           f"is not reachable ({type(exc).__name__}: {exc})")
    return _reason[0]


def require() -> None:
    """Skip (or fail under LAWBOT_REQUIRE_POSTGRES=1) when there is no server."""
    reason = unavailable()
    if reason is None:
        return
    if os.environ.get("LAWBOT_REQUIRE_POSTGRES") == "1":
        pytest.fail(f"LAWBOT_REQUIRE_POSTGRES=1 but {reason}", pytrace=False)
    pytest.skip(reason)


def _url(name: str) -> str:
    return make_url(server_url()).set(database=name).render_as_string(hide_password=False)


_templates: list[str] = []  # this process's migrated template database (made on first use)
_template_lock = threading.Lock()


def _template() -> str:
    with _template_lock:
        if not _templates:
            name = f"lawbot_tpl_{os.getpid()}_{uuid.uuid4().hex[:10]}"
            run_sync(_admin(f'CREATE DATABASE "{name}"'))
            _templates.append(name)  # dropped by drop_templates() even if the migration fails

            async def migrate() -> None:
                from bot.storage.sql.store import open_store

                store = await open_store(_url(name))
                await store.close()

            run_sync(migrate())
        return _templates[0]


def create_database(*, migrated: bool = False) -> str:
    """A new database on the test server; returns its URL. Empty, or with `migrated=True` a copy
    of this process's template at the newest schema revision (a clone is much cheaper than
    running the migrations again; the copy is still opened through open_store)."""
    name = f"lawbot_t_{os.getpid()}_{uuid.uuid4().hex[:10]}"
    template = f' TEMPLATE "{_template()}"' if migrated else ""
    run_sync(_admin(f'CREATE DATABASE "{name}"{template}'))
    return _url(name)


def drop_templates() -> None:
    """Drop this process's template database (at the end of the test session)."""
    while _templates:
        run_sync(_admin(f'DROP DATABASE IF EXISTS "{_templates.pop()}" WITH (FORCE)'))


def drop_database(url: str) -> None:
    name = make_url(url).database
    run_sync(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
