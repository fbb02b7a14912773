"""Migrated database templates: building a new schema through Alembic costs ~0.1 s of CPU on
SQLite and more on PostgreSQL, and most tests only need a database at the newest revision. Each
test process migrates one template of each kind once and copies it for every test that asks:
`migrated_sqlite(path)` copies the template file to `path`; `pg.create_database(migrated=True)`
clones the template database. The copy is still opened through `open_store`, which finds it at
the head revision. Tests of the migration itself (tests/storage) open new files directly."""

from __future__ import annotations

import atexit
import shutil
import tempfile
import threading
from pathlib import Path

from tests.support.pg import run_sync

_lock = threading.Lock()
_sqlite: list[Path] = []
copied: set[str] = set()  # the paths migrated_sqlite filled (PostgreSQL runs map them to migrated databases)


def _build_sqlite() -> Path:
    from bot.storage.sql.store import open_store

    folder = Path(tempfile.mkdtemp(prefix="lawbot-template-"))
    atexit.register(shutil.rmtree, folder, True)
    path = folder / "template.sqlite3"

    async def migrate() -> None:  # a URL: on PostgreSQL runs a plain path would be mapped to a server database
        store = await open_store(f"sqlite:///{path}")
        await store.close()

    run_sync(migrate())  # in a thread with its own loop: callers may be inside a running one
    for suffix in ("-wal", "-shm"):
        if Path(f"{path}{suffix}").exists():
            raise RuntimeError(f"the SQLite template left {path}{suffix} behind: the copy would be incomplete")
    return path


def sqlite_template() -> Path:
    """This process's migrated SQLite file (built on first use)."""
    with _lock:
        if not _sqlite:
            _sqlite.append(_build_sqlite())
        return _sqlite[0]


def migrated_sqlite(path: Path) -> Path:
    """Put a database at the newest schema revision at `path` (a new file; an existing one is left
    as it is) and return `path`."""
    path = Path(path)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(sqlite_template(), path)
        copied.add(str(path))
    return path
