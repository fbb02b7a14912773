"""`lawbot db check`: is the embedded SQLite file sound? Read-only; exit 0 when it is, 1 when it
is damaged or missing."""

from __future__ import annotations

import argparse
from pathlib import Path

from bot.cli_text import say, warn


def _database_path(args: argparse.Namespace) -> Path:
    from bot.config import load_config

    if args.file:
        return Path(args.file)
    config = load_config(Path(args.config) if args.config else None, data_dir=args.data_dir)
    return config.database_path


def _check(args: argparse.Namespace) -> int:
    from bot.database_file import inspect

    path = _database_path(args)
    if not path.is_file():
        warn(args, "db_check_missing", file=str(path))
        return 1
    problems, version = inspect(path, full=True)
    if problems:
        warn(args, "db_check_bad", file=str(path), detail="; ".join(problems[:5]))
        return 1
    say(args, "db_check_ok", file=str(path), version=version)
    return 0


def add_db_parsers(sub) -> None:
    db = sub.add_parser("db", help="the database file: check")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    check = db_sub.add_parser("check", help="integrity check of the SQLite file (read-only)")
    check.add_argument("file", nargs="?", help="the SQLite file (default: <data_dir>/lawbot.sqlite3)")
    check.add_argument("--data-dir", help="where the SQLite file lives (default: from config)")
    check.set_defaults(func=_check)
