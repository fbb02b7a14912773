"""`lawbot db …`: the database's upkeep.

    lawbot db upgrade                      schema to the newest Alembic revision
    lawbot db check [FILE]                 SQLite: integrity check; PostgreSQL: can we connect;
                                           both: the schema revision against the newest one
    lawbot db backup FILE                  SQLite: online backup (sqlite3 backup API) to FILE;
                                           PostgreSQL: prints the pg_dump command to run
    lawbot db copy --to postgresql://…     copy the SQLite deployment into an empty PostgreSQL

The database is the config's (database.url / LAWBOT_DATABASE_URL, else the SQLite file under the
data dir) unless --database names another. Exit 0 on success, 1 when the database is damaged,
out of date, unreachable or refused, with one line on stderr."""

from __future__ import annotations

import argparse
import asyncio
import shlex
import sqlite3
from contextlib import closing
from pathlib import Path

from bot.cli_text import say, warn


def _target(args: argparse.Namespace) -> str | Path:
    """The database to work on: --database, a FILE argument, or the config's."""
    from bot.config import load_config

    if getattr(args, "database", None):
        return args.database if "://" in args.database else Path(args.database)
    if getattr(args, "file", None):
        return Path(args.file)
    config = load_config(Path(args.config) if args.config else None, data_dir=args.data_dir)
    return config.database_target


def _sqlite_path(target: str | Path) -> Path | None:
    """The file of a SQLite target (a path or sqlite:///path), None for a server URL."""
    text = str(target)
    if "://" not in text:
        return Path(text)
    if text.startswith("sqlite:///"):
        return Path(text[len("sqlite:///"):])
    return None


def _shown(target: str | Path) -> str:
    """The target as it may be printed: a URL without its password."""
    from sqlalchemy.engine import make_url

    text = str(target)
    return make_url(text).render_as_string(hide_password=True) if "://" in text else text


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


async def _pg_revision(url: str) -> str | None:
    """The Alembic revision of a PostgreSQL database (None when it has no schema yet)."""
    from sqlalchemy import pool
    from sqlalchemy.ext.asyncio import create_async_engine

    from bot.storage import schema
    from bot.storage.sql.database import database_url

    engine = create_async_engine(database_url(url), poolclass=pool.NullPool)
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(schema.current_revision)
    finally:
        await engine.dispose()


def _sqlite_revision(path: Path) -> str | None:
    """The Alembic revision of a SQLite file, read-only (None: no alembic_version table)."""
    from bot.database_file import _connect_read_only

    with closing(_connect_read_only(path)) as conn:
        try:
            row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        except sqlite3.OperationalError:
            return None
    return row[0] if row else None


# --- check ------------------------------------------------------------------------------
def _check(args: argparse.Namespace) -> int:
    from bot.storage import schema

    target = _target(args)
    head = schema.head_revision()
    path = _sqlite_path(target)
    if path is not None:
        from bot.database_file import inspect

        if not path.is_file():
            warn(args, "db_check_missing", file=str(path))
            return 1
        problems, _legacy = inspect(path, full=True)
        if problems:
            warn(args, "db_check_bad", file=str(path), detail="; ".join(problems[:5]))
            return 1
        revision = _sqlite_revision(path)
        shown = str(path)
    else:
        try:
            revision = asyncio.run(_pg_revision(str(target)))
        except Exception as exc:  # noqa: BLE001 - unreachable, refused, no such database: one line
            warn(args, "db_check_unreachable", url=_shown(target), detail=_one_line(exc))
            return 1
        shown = _shown(target)
    if revision != head:
        warn(args, "db_check_behind", file=shown, revision=revision or "-", head=head)
        return 1
    say(args, "db_check_ok" if path is not None else "db_check_ok_pg", file=shown, version=revision)
    return 0


# --- upgrade ----------------------------------------------------------------------------
def _upgrade(args: argparse.Namespace) -> int:
    from bot.database_file import check_before_open
    from bot.storage import schema
    from bot.storage.sql.database import DatabaseOpenError
    from bot.storage.sql.store import open_store

    target = _target(args)
    path = _sqlite_path(target)
    try:
        if path is not None:
            check_before_open(path)
            before = _sqlite_revision(path) if path.is_file() and path.stat().st_size else None
        else:
            before = asyncio.run(_pg_revision(str(target)))

        async def run() -> None:
            store = await open_store(path if path is not None else str(target))
            await store.close()

        asyncio.run(run())
    except (DatabaseOpenError, schema.SchemaError, OSError) as exc:
        warn(args, "db_upgrade_failed", file=_shown(target), detail=_one_line(exc))
        return 1
    except Exception as exc:
        if path is not None:
            raise  # a damaged SQLite file: the CLI's own one-line handler names it
        warn(args, "db_upgrade_failed", file=_shown(target), detail=_one_line(exc))
        return 1
    head = schema.head_revision()
    if before == head:
        say(args, "db_upgrade_current", file=_shown(target), version=head)
    else:
        say(args, "db_upgrade_done", file=_shown(target), before=before or "-", version=head)
    return 0


# --- backup -----------------------------------------------------------------------------
def pg_dump_command(url: str, out: str) -> str:
    """The pg_dump command line for a database URL (custom format; restore with pg_restore)."""
    from sqlalchemy.engine import make_url

    u = make_url(url)
    parts = ["pg_dump", "--format=custom", f"--file={out}"]
    if u.host:
        parts.append(f"--host={u.host}")
    if u.port:
        parts.append(f"--port={u.port}")
    if u.username:
        parts.append(f"--username={u.username}")
    parts.append(u.database or "")
    return " ".join(shlex.quote(p) for p in parts)


def sqlite_backup(source: Path, out: Path, pages: int = 1024) -> None:
    """A consistent copy of a live SQLite database (the backup API copies `pages` pages at a
    time and starts over if another connection writes meanwhile)."""
    from bot.storage.sql.database import BUSY_TIMEOUT_MS

    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    with closing(sqlite3.connect(str(source), timeout=BUSY_TIMEOUT_MS / 1000)) as src, \
            closing(sqlite3.connect(str(partial))) as dest:
        src.backup(dest, pages=pages)
        dest.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
    partial.replace(out)


def _backup(args: argparse.Namespace) -> int:
    target = _target(args)
    out = Path(args.out)
    path = _sqlite_path(target)
    if path is None:
        say(args, "db_backup_pg", command=pg_dump_command(str(target), str(out)))
        return 0
    if not path.is_file():
        warn(args, "db_check_missing", file=str(path))
        return 1
    if out.resolve() == path.resolve():
        warn(args, "db_backup_same", file=str(path))
        return 1
    if out.exists() and not args.force:
        warn(args, "db_backup_exists", file=str(out))
        return 1
    try:
        sqlite_backup(path, out)
    except sqlite3.DatabaseError as exc:
        warn(args, "db_check_bad", file=str(path), detail=_one_line(exc))
        return 1
    except OSError as exc:
        warn(args, "db_backup_failed", file=str(out), detail=exc.strerror or _one_line(exc))
        return 1
    say(args, "db_backup_done", file=str(path), out=str(out), size=f"{out.stat().st_size / 1_048_576:.1f}")
    return 0


# --- copy -------------------------------------------------------------------------------
def _copy(args: argparse.Namespace) -> int:
    from bot.storage.copy import CopyError, copy_sqlite_to_postgres

    if args.source or args.database:
        source = Path(args.source) if args.source else _target(args)
    else:  # the config's SQLite file, even when the config already names a server
        from bot.config import load_config

        source = load_config(Path(args.config) if args.config else None, data_dir=args.data_dir).database_path
    path = _sqlite_path(source)
    if path is None:
        warn(args, "db_copy_source_not_sqlite", url=_shown(source))
        return 1

    def table_done(t) -> None:
        key = "db_copy_table_bad" if not t.same else "db_copy_table_resumed" if t.resumed_after else "db_copy_table_ok"
        say(args, key, table=t.table, source=t.source_rows, target=t.target_rows, source_sum=t.source_sum[:16],
            target_sum=t.target_sum[:16], resumed=t.resumed_after)

    try:
        results = asyncio.run(copy_sqlite_to_postgres(path, args.to, force=args.force, batch=args.batch,
                                                      on_table=table_done))
    except CopyError as exc:
        values = {k: (_shown(v) if k == "url" else v) for k, v in exc.values.items()}
        warn(args, exc.key, **values)
        return 1
    except sqlite3.DatabaseError as exc:
        warn(args, "db_check_bad", file=str(path), detail=_one_line(exc))
        return 1
    except Exception as exc:  # noqa: BLE001 - server refused, connection lost: one line; re-run resumes
        warn(args, "db_copy_failed", url=_shown(args.to), detail=_one_line(exc))
        return 1
    bad = [t.table for t in results if not t.same]
    if bad:
        warn(args, "db_copy_mismatch", tables=", ".join(bad))
        return 1
    say(args, "db_copy_done", tables=len(results), rows=sum(t.target_rows for t in results), url=_shown(args.to))
    return 0


def add_db_parsers(sub) -> None:
    db = sub.add_parser("db", help="the database: upgrade, check, backup, copy to PostgreSQL")
    db_sub = db.add_subparsers(dest="db_command", required=True)

    def common(p) -> None:
        p.add_argument("--data-dir", help="where the SQLite file lives (default: from config)")
        p.add_argument("--database", help="a SQLite file or postgresql://… URL (default: from config)")

    check = db_sub.add_parser("check", help="SQLite: integrity check (read-only); PostgreSQL: connect; "
                                            "both: schema revision against the newest")
    check.add_argument("file", nargs="?", help="the SQLite file (default: <data_dir>/lawbot.sqlite3)")
    common(check)
    check.set_defaults(func=_check)

    upgrade = db_sub.add_parser("upgrade", help="upgrade the schema to the newest revision (Alembic)")
    common(upgrade)
    upgrade.set_defaults(func=_upgrade)

    backup = db_sub.add_parser("backup", help="SQLite: online backup to FILE; PostgreSQL: print the pg_dump command")
    backup.add_argument("out", metavar="FILE")
    backup.add_argument("--force", action="store_true", help="overwrite FILE if it exists")
    common(backup)
    backup.set_defaults(func=_backup)

    copy = db_sub.add_parser("copy", help="copy the SQLite database into an empty PostgreSQL database "
                                          "(re-run to resume after an interruption)")
    copy.add_argument("--to", required=True, metavar="URL", help="postgresql://user@host/db")
    copy.add_argument("--from", dest="source", metavar="FILE", help="the SQLite file (default: from config)")
    copy.add_argument("--force", action="store_true", help="empty a target that holds other data first")
    copy.add_argument("--batch", type=int, default=5000, help="rows per transaction (default 5000)")
    common(copy)
    copy.set_defaults(func=_copy)
