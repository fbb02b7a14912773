"""`lawbot bank import|export|template`: the question bank's spreadsheet and Moodle exchange."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from bot.cli_text import cli_locale, say, warn

# bot.catalog.bank_io.FORMATS, written out: importing bank_io loads openpyxl and numpy (1 s), which
# every other command (lawbot law, lawbot ask) would pay for while the parser is built
FORMATS = ("xlsx", "csv", "gift", "aiken", "yaml")


def add_bank_parser(sub: argparse._SubParsersAction, func: Callable[[argparse.Namespace], int]) -> None:
    bank = sub.add_parser("bank", help="question bank import/export (xlsx, csv, gift, aiken, yaml)")
    bank_sub = bank.add_subparsers(dest="bank_command")
    imp = bank_sub.add_parser("import", help="validate a file and merge it into a bank file")
    imp.add_argument("file", type=Path)
    imp.add_argument("--format", default="auto", choices=("auto",) + FORMATS)
    imp.add_argument("--into", type=Path, help="bank file to merge into (default: quizzes/bank/imported.yaml)")
    imp.add_argument("--skip-bad", action="store_true", help="import the good rows even when some are bad")
    imp.add_argument("--strict", action="store_true",
                     help="a row repeating a question already in the bank is an error (default: skipped and listed)")
    imp.add_argument("--dry-run", action="store_true", help="validate only; write nothing")
    imp.add_argument("--data-dir", help="the deployment's data folder, whose database tells running workers "
                                        "about the import (default: from config)")
    exp = bank_sub.add_parser("export", help="write the bank (or part of it) to a file")
    exp.add_argument("--format", required=True, choices=FORMATS)
    exp.add_argument("-o", "--output", type=Path, help="output file (default: bank.<ext>)")
    exp.add_argument("--law", help="only questions citing this law")
    exp.add_argument("--tag", help="only questions with this tag")
    tpl = bank_sub.add_parser("template", help="write the Excel import template")
    tpl.add_argument("-o", "--output", type=Path, default=Path("题库导入模板.xlsx"))
    for parser in (imp, exp):
        parser.add_argument("--content", help="content root (default: the shipped content)")
    for parser in (bank, imp, exp, tpl):
        parser.set_defaults(func=func)


def run_bank(args: argparse.Namespace, root: Path) -> int:
    command = getattr(args, "bank_command", None)
    if command == "import":
        return _import(args, root)
    if command == "export":
        return _export(args, root)
    if command == "template":
        from bot.catalog.bank_io import write_template

        write_template(args.output)
        say(args, "bankcli_template_written", file=args.output)
        return 0
    warn(args, "bankcli_bank_usage")
    return 2


def _load(root: Path):
    from bot.catalog.catalog import load_catalog

    catalog, _ = load_catalog(root)
    return catalog


def _import(args: argparse.Namespace, root: Path) -> int:
    if not args.file.is_file():
        warn(args, "bankcli_is_folder" if args.file.is_dir() else "bankcli_file_missing", file=args.file)
        return 2
    catalog = _load(root)
    if args.dry_run:
        return _import_locked(args, root, catalog)
    from bot.services.bank import folder_lock

    with folder_lock(root):  # the lock every worker's bank change takes: the merge reads what they wrote
        return _import_locked(args, root, catalog)


def _import_locked(args: argparse.Namespace, root: Path, catalog) -> int:
    from bot.catalog.bank_io import ImportFormatError, import_into_bank, read_questions
    from bot.catalog.bank_io.importer import bank_target
    from bot.catalog.bank_io.messages import localise

    locale = cli_locale(args)
    try:
        if args.dry_run:
            result = read_questions(args.file, catalog.laws, args.format, existing=catalog.questions,
                                    target=bank_target(root, args.into)[1], strict=args.strict)
        else:
            result = import_into_bank(args.file, root, catalog.questions, catalog.laws, into=args.into,
                                      skip_bad=args.skip_bad, fmt=args.format, strict=args.strict)
    except ImportFormatError as exc:
        print(f"lawbot: {localise(str(exc), locale)}", file=sys.stderr)
        return 2
    for line in result.report_lines(locale):
        print(line)
    print(result.summary(locale))
    if result.problems and not args.skip_bad:
        warn(args, "bankcli_nothing")
        return 1
    if not args.dry_run and result.written is not None:
        _publish(args, root)
    if not result.questions and not result.duplicates:
        return 1
    return 0


def _publish(args: argparse.Namespace, root: Path) -> None:
    """Tell the running workers about the new bank file, as an import in chat does: its text
    becomes the next bank version in the deployment's database and every worker applies it
    (bot/bank_sync.py). Only for the deployment's own content root and a database that exists:
    a scratch copy (--content elsewhere) or a checkout that never ran has nothing to tell."""
    import asyncio
    import time

    from bot.catalog.bank_io.importer import bank_target
    from bot.config import load_config

    config = load_config(Path(args.config) if getattr(args, "config", None) else None,
                         data_dir=getattr(args, "data_dir", None))
    target, shown = bank_target(root, args.into)
    home = config.content_root.resolve()
    if root.resolve() != home or not target.resolve().is_relative_to(home):
        return
    if config.database_url is None and not config.database_path.is_file():
        return

    async def publish() -> int:
        from bot.storage.sql.store import open_store

        store = await open_store(config.database_target, config.storage.synchronous)
        try:
            return await store.bank_versions.publish(shown, target.read_text(encoding="utf-8"), time.time(), "cli")
        finally:
            await store.close()

    say(args, "bankcli_published", version=asyncio.run(publish()), file=shown)


def _export(args: argparse.Namespace, root: Path) -> int:
    from bot.catalog.bank_io import EXTENSIONS, export_questions, select

    catalog = _load(root)
    questions = select(catalog.question_list, catalog.laws, law=args.law, tag=args.tag)
    from bot.catalog.bank_io.messages import localise

    if not questions:
        warn(args, "bankcli_no_match")
        return 1
    output = args.output or Path(f"bank{EXTENSIONS[args.format]}")
    for note in export_questions(questions, output, args.format):
        print(localise(note, cli_locale(args)))
    say(args, "bankcli_exported", n=len(questions), file=output)
    return 0
