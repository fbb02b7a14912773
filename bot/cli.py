"""The `lawbot` command."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path


def _content_root(args: argparse.Namespace) -> Path:
    from bot.config import default_content_root, load_config

    if getattr(args, "content", None):
        return Path(args.content)
    if getattr(args, "config", None):
        return load_config(Path(args.config)).content_root
    return default_content_root()


def _stray_spaces(args: argparse.Namespace) -> list:
    """Print each space next to Chinese punctuation in the content's source files (tidied when
    loaded, flagged so that the source gets fixed)."""
    from bot.catalog.spacing import stray_spaces
    from bot.cli_text import cli_locale
    from bot.texts import tr

    found = stray_spaces(_content_root(args))
    for stray in found:
        print(tr(cli_locale(args), "content_stray_space", file=stray.file, line=stray.line, context=stray.context))
    return found


def cmd_content_check(args: argparse.Namespace) -> int:
    from bot.catalog.check import check_content, stale_citations
    from bot.cli_text import cli_locale
    from bot.texts import tr

    catalog, problems = check_content(_content_root(args))
    for problem in problems:
        print(problem)
    problems = problems + _stray_spaces(args)
    locale = cli_locale(args)
    warnings = stale_citations(catalog)
    for where, law, article in warnings:
        stale = catalog.laws.laws[law].stale
        assert stale is not None  # stale_citations names stale laws only
        print(tr(locale, "check_stale_cite", where=where, law=law, article=article, text_of=stale.text_of,
                 amended=stale.amended), file=sys.stderr)
    if warnings:
        print(tr(locale, "check_stale_summary", n=len(warnings)), file=sys.stderr)
    summary = tr(locale, "cli_check_counts", laws=len(catalog.laws.laws), questions=len(catalog.questions),
                 exams=len(catalog.exams), cases=len(catalog.cases), services=len(catalog.services))
    if problems:
        print(tr(locale, "cli_check_failed", n=len(problems), summary=summary), file=sys.stderr)
        return 1
    print(tr(locale, "cli_check_ok", summary=summary))
    return 0


def cmd_chat(args: argparse.Namespace) -> int:
    from bot.cli_chat import run_console

    return asyncio.run(run_console(config_path=args.config, data_dir=args.data_dir, user=args.user))


def cmd_run(args: argparse.Namespace) -> int:
    from bot.cli_run import run_command

    return run_command(args.config, args.workers, args)


def cmd_bank(args: argparse.Namespace) -> int:
    from bot.cli_bank import run_bank

    return run_bank(args, _content_root(args))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lawbot", description="法治学习与办事助手 lawbot")
    parser.add_argument("--config", help="path to config.yaml (default: none, built-in defaults)")
    parser.add_argument("--lang", choices=("zh", "en"),
                        help="language of messages (default: Chinese, or English when LANG is en_*)")
    sub = parser.add_subparsers(dest="command")

    chat = sub.add_parser("chat", help="chat in this terminal (console channel)")
    chat.add_argument("--data-dir", help="where the SQLite file lives (default: ./data)")
    chat.add_argument("--user", default="local", help="console user name (default: local)")
    chat.set_defaults(func=cmd_chat)

    run = sub.add_parser("run", help="run the configured channels (Telegram, WeChat, WeCom; see README)")
    run.add_argument("--workers", type=int, default=1, choices=range(1, 65), metavar="N",
                     help="worker processes sharing the HTTP port and the database (webhook mode; see docs/deploy.md)")
    run.set_defaults(func=cmd_run)

    content = sub.add_parser("content", help="content tools")
    content_sub = content.add_subparsers(dest="content_command")
    check = content_sub.add_parser("check", help="validate laws, questions, exams, cases and guides")
    check.add_argument("--content", help="content root (default: the shipped content)")
    check.set_defaults(func=cmd_content_check)

    from bot.cli_bank import add_bank_parser

    add_bank_parser(sub, cmd_bank)

    from bot.cli_lookup import add_lookup_parsers

    add_lookup_parsers(sub, _content_root)

    from bot.cli_admin import add_admin_parsers

    add_admin_parsers(sub)

    from bot.cli_db import add_db_parsers

    add_db_parsers(sub)

    from bot.cli_cert import add_cert_parsers

    add_cert_parsers(sub)

    from bot.cli_web import add_web_parsers

    add_web_parsers(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    import faulthandler
    import signal

    if hasattr(signal, "SIGUSR1") and sys.__stderr__ is not None:
        try:  # `kill -USR1 <pid>` prints every thread's stack to stderr (a stuck process)
            faulthandler.register(signal.SIGUSR1, file=sys.__stderr__, all_threads=True)
        except (OSError, ValueError, AttributeError):  # no file descriptor behind stderr
            pass
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    from bot.cli_text import cli_locale

    try:
        return args.func(args)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        # imported here: bot.config builds its pydantic models on import (0.1-0.2 s), which the
        # commands meant to answer at once (lawbot law, lawbot ask) do not otherwise need
        from bot.config import ConfigError
        from bot.database_file import database_error_in

        if isinstance(exc, ConfigError):
            print(f"lawbot: {exc.text(cli_locale(args))}", file=sys.stderr)
            return 2
        error = database_error_in(exc)
        if error is None:
            raise
        from bot.texts import tr

        print(f"lawbot: {tr(cli_locale(args), 'db_error', detail=error)}", file=sys.stderr)
        return 1
