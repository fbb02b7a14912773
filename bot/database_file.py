"""Checks on the embedded SQLite file made before the storage opens it: its folder exists and can
be written, and an existing file is a sound SQLite database. Plain sqlite3, read-only, closed on
every path, so a damaged file is reported in one line and never written to."""

from __future__ import annotations

import sqlite3
import tempfile
from contextlib import closing
from pathlib import Path
from urllib.parse import quote

from bot.config import ConfigError


class DatabaseFileError(ConfigError):
    """The database file or its folder cannot be used: start-up stops with one line."""


def _is_memory(path: Path | str) -> bool:
    text = str(path)
    return text == ":memory:" or text.startswith("file::memory:")


def ensure_folder(path: Path | str) -> None:
    """Create the database's folder if needed and prove it writable (SQLite writes its journal
    and WAL files beside the database)."""
    if _is_memory(path):
        return
    folder = Path(path).parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        raise DatabaseFileError(key="data_dir_unusable", folder=str(folder), reason=exc.strerror or exc) from None


def _connect_read_only(path: Path) -> sqlite3.Connection:
    """Read-only. Without a -wal file no process has the database open in WAL mode, so it is
    opened as immutable (no -shm or -wal files are created beside a damaged file)."""
    uri = "file:" + quote(str(path.resolve()))
    uri += "?mode=ro" if Path(f"{path}-wal").exists() else "?mode=ro&immutable=1"
    return sqlite3.connect(uri, uri=True, timeout=5.0)


def inspect(path: Path | str, *, full: bool = False) -> tuple[list[str], int | None]:
    """(problems, schema version) of an existing file. full: PRAGMA integrity_check (also the
    indexes), else the faster quick_check. A file that is not SQLite is one problem."""
    path = Path(path)
    try:
        with closing(_connect_read_only(path)) as conn:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            pragma = "integrity_check" if full else "quick_check"
            rows = [row[0] for row in conn.execute(f"PRAGMA {pragma}(20)")]
    except sqlite3.DatabaseError as exc:
        return [str(exc)], None
    problems = [] if rows == ["ok"] else rows
    return problems, version


def check_before_open(path: Path | str) -> None:
    """Raise DatabaseFileError when the folder is unusable or the file is damaged; a missing or
    empty file is fine (the storage creates it)."""
    if _is_memory(path):
        return
    ensure_folder(path)
    path = Path(path)
    try:
        if path.stat().st_size == 0:
            return
    except FileNotFoundError:
        return
    except OSError as exc:
        raise DatabaseFileError(key="db_corrupt", file=str(path), detail=exc.strerror or exc) from None
    problems, _ = inspect(path)
    if problems:
        raise DatabaseFileError(key="db_corrupt", file=str(path), detail=problems[0])


def database_error_in(exc: BaseException) -> sqlite3.DatabaseError | None:
    """The sqlite3.DatabaseError behind an exception (a storage or SQLAlchemy wrapper), if any."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, sqlite3.DatabaseError):
            return current
        orig = getattr(current, "orig", None)
        if isinstance(orig, sqlite3.DatabaseError):
            return orig
        current = current.__cause__ or current.__context__
    return None
