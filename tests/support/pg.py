"""PostgreSQL for tests: the server named by LAWBOT_TEST_DATABASE_URL (default the local test
server), one fresh database per use, dropped afterwards. Without a reachable server the tests
that need it skip with the reason, unless LAWBOT_REQUIRE_POSTGRES=1 makes that a failure.

A migrated database is a clone of this process's template (CREATE DATABASE ... TEMPLATE), which
costs the server about 0.35 s of copying and syncing files while the test waits. So a migrated
database a test is done with is made like a new clone again instead of dropped (its other
sessions ended, every row deleted, its sequences restarted: about 20 ms) and handed to the next
test, when its schema, its settings and its alembic_version still equal the template's; a
database a test changed otherwise is dropped. The migrations write no row but alembic_version's,
so an emptied database holds what a fresh clone holds."""

from __future__ import annotations

import asyncio
import hashlib
import os
import threading
import uuid
import warnings

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
    running the migrations again; the copy is still opened through open_store), or a clone an
    earlier test used and that was emptied again (see the module's docstring)."""
    if migrated:
        template = _template()
        with _template_lock:
            if _free:
                name = _free.pop()
                _clones.add(name)
                return _url(name)
    name = f"lawbot_t_{os.getpid()}_{uuid.uuid4().hex[:10]}"
    template = f' TEMPLATE "{template}"' if migrated else ""
    run_sync(_admin(f'CREATE DATABASE "{name}"{template}'))
    if migrated:
        with _template_lock:
            _clones.add(name)
    return _url(name)


_clones: set[str] = set()  # migrated clones handed out and not yet given back
_free: list[str] = []  # emptied clones, ready for the next test
_template_shape: list[str | None] = []  # the template's fingerprint (_shape), read once

# What must be as the migrations left it for an emptied clone to count as new: the tables,
# columns, constraints, indexes, sequences, functions, triggers, schemas, extensions and the
# database's own settings.
_SHAPE = [
    """SELECT n.nspname, c.relname, c.relkind, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
              pg_get_expr(d.adbin, d.adrelid)
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
       LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
       WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
       ORDER BY 1, 2, 4""",
    """SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint
       WHERE connamespace NOT IN ('pg_catalog'::regnamespace, 'information_schema'::regnamespace) ORDER BY 1, 2""",
    "SELECT schemaname, indexname, indexdef FROM pg_indexes WHERE schemaname NOT IN ('pg_catalog') ORDER BY 1, 2",
    """SELECT p.proname, pg_get_function_identity_arguments(p.oid) FROM pg_proc p
       WHERE p.pronamespace NOT IN ('pg_catalog'::regnamespace, 'information_schema'::regnamespace) ORDER BY 1, 2""",
    "SELECT tgrelid::regclass::text, tgname FROM pg_trigger WHERE NOT tgisinternal ORDER BY 1, 2",
    "SELECT nspname FROM pg_namespace ORDER BY 1",
    "SELECT extname, extversion FROM pg_extension ORDER BY 1",
    """SELECT setconfig FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase
       WHERE d.datname = current_database()""",
    "SELECT * FROM alembic_version ORDER BY 1",
]


async def _shape(conn) -> str:
    digest = hashlib.sha256()
    for sql in _SHAPE:
        digest.update(repr([tuple(row) for row in await conn.fetch(sql)]).encode())
    return digest.hexdigest()


async def _connect(name: str):
    url = make_url(server_url())
    return await asyncpg.connect(host=url.host or "127.0.0.1", port=url.port or 5432, user=url.username,
                                 password=url.password, database=name, timeout=5)


async def _empty(name: str) -> str | None:
    """End the database's other sessions, delete every row but alembic_version's, restart its
    sequences and rename it (a session a test leaked cannot reconnect to the next test's database
    by its name); the new name when it is then as a fresh clone would be, else None."""
    await _admin(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                 f"WHERE datname = '{name}' AND pid <> pg_backend_pid()")
    conn = await _connect(name)
    try:
        if await _shape(conn) != _template_shape[0]:  # emptying changes nothing the shape reads
            return None
        tables = [r[0] for r in await conn.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version'")]
        sequences = [r[0] for r in await conn.fetch("SELECT sequencename FROM pg_sequences WHERE schemaname = 'public'")]
        async with conn.transaction():
            await conn.execute("SET LOCAL session_replication_role = replica")  # no foreign-key order needed
            await conn.execute("".join(f'DELETE FROM "{t}";' for t in tables)
                               + "".join(f'ALTER SEQUENCE "{q}" RESTART;' for q in sequences))
    finally:
        await conn.close()
    renamed = f"lawbot_t_{os.getpid()}_{uuid.uuid4().hex[:10]}"
    await _admin(f'ALTER DATABASE "{name}" RENAME TO "{renamed}"')  # fails if a session came back: dropped
    return renamed


async def _read_template_shape() -> str | None:
    """The template's shape, or None when its clones must not be reused (it holds rows a
    migration wrote, which emptying would lose)."""
    conn = await _connect(_templates[0])
    try:
        tables = [r[0] for r in await conn.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version'")]
        for table in tables:
            if await conn.fetchval(f'SELECT EXISTS (SELECT 1 FROM "{table}")'):
                return None
        return await _shape(conn)
    finally:
        await conn.close()


def drop_templates() -> None:
    """Drop this process's emptied clones and template database (at the end of the test session)."""
    while _free:
        run_sync(_admin(f'DROP DATABASE IF EXISTS "{_free.pop()}" WITH (FORCE)'))
    while _templates:
        run_sync(_admin(f'DROP DATABASE IF EXISTS "{_templates.pop()}" WITH (FORCE)'))


def drop_database(url: str) -> None:
    """Drop a test's database; a migrated clone is emptied for the next test instead, when it can
    be made as new (see the module's docstring). The first failure to empty one (a server user
    who may not set session_replication_role, say) is reported once and ends reuse for the run."""
    name = make_url(url).database
    with _template_lock:
        reuse = name in _clones and _reuse[0]
        _clones.discard(name)
    if reuse and name:
        try:
            if not _template_shape:
                _template_shape.append(run_sync(_read_template_shape()))
            if _template_shape[0] is None:
                _reuse[0] = False
            else:
                renamed = run_sync(_empty(name))
                if renamed is not None:
                    with _template_lock:
                        _free.append(renamed)
                    return
        except Exception as exc:  # noqa: BLE001 - the database is dropped below; reuse ends
            _reuse[0] = False
            warnings.warn(f"emptying test database {name} for reuse failed ({exc!r}); clones are dropped "
                          f"from now on", stacklevel=2)
    run_sync(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


_reuse = [True]  # False once emptying failed or the template may not be reused
