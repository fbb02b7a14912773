"""`lawbot units import`, `lawbot roster import`, `lawbot stats [export|snapshot]`: the admin
side of the command line. Messages and table headers in the admin's language (bot.cli_text)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from bot.cli_text import cli_locale, say, warn
from bot.texts import tr


async def _open_app(args: argparse.Namespace):
    from bot.bootstrap import build
    from bot.config import load_config

    config = load_config(Path(args.config) if getattr(args, "config", None) else None,
                         data_dir=getattr(args, "data_dir", None))
    return await build(config)


def _refused(args, what: str, errors, skip: bool, limit: int = 200) -> bool:
    """Print every bad row; True when the import must stop (bad rows and no --skip-errors)."""
    from bot.catalog.bank_io.messages import localise

    for error in errors[:limit]:
        print(f"{error.source}:{error.row}: {localise(error.reason, cli_locale(args))}", file=sys.stderr)
    if len(errors) > limit:
        warn(args, "cli_more", n=len(errors) - limit)
    if errors and not skip:
        warn(args, "cli_import_refused", what=tr(cli_locale(args), what), n=len(errors))
        return True
    return False


def _unreadable(args, what: str, exc) -> int:
    """A file that cannot be read at all (no such file, not a readable .xlsx): one line, exit 1."""
    from bot.catalog.roster import RowError

    if isinstance(exc, FileNotFoundError) or not Path(args.file).is_file():
        warn(args, "bankcli_file_missing", file=args.file)
        return 1
    reason = exc.reason if hasattr(exc, "reason") else tr(cli_locale(args), "imp_file_unreadable",
                                                          error=exc.strerror or type(exc).__name__)
    _refused(args, what, [RowError(Path(args.file).name, getattr(exc, "line", 0), reason)], False)
    return 1


async def _units_import(args) -> int:
    from bot.catalog.roster import UnreadableFile, load_units

    app = await _open_app(args)
    try:
        known = [u.id for u in await app.storage.roster.all_units()]
        try:
            units, errors = load_units(Path(args.file), known)
        except (UnreadableFile, OSError) as exc:
            return _unreadable(args, "cli_what_units", exc)
        if _refused(args, "cli_what_units", errors, args.skip_errors):
            return 1
        await app.storage.roster.upsert_units(units)
        say(args, "cli_units_imported", n=len(units), skipped=len(errors))
        return 0
    finally:
        await app.close()


async def _roster_import(args) -> int:
    """The roster import use case (bot/services/roster.py) as the operator: every unit, audited
    as "cli"."""
    from bot.catalog.roster import UnreadableFile
    from bot.services import roster as roster_service
    from bot.services.org import AdminRole, Org
    from bot.services.rights import Actor

    app = await _open_app(args)
    try:
        tree = await Org(app.service.deps).tree()
        if not tree.units:
            warn(args, "cli_roster_no_units")
            return 1
        actor = Actor(AdminRole("cli", None), tree)
        try:
            done, errors = await roster_service.import_roster_file(app.service.deps, actor, Path(args.file),
                                                                   replace=args.replace, skip_errors=args.skip_errors)
        except (UnreadableFile, OSError) as exc:
            return _unreadable(args, "cli_what_roster", exc)
        if _refused(args, "cli_what_roster", errors, args.skip_errors):
            return 1
        if done is None:  # --skip-errors, and not one good row
            warn(args, "cli_import_refused", what=tr(cli_locale(args), "cli_what_roster"), n=len(errors))
            return 1
        say(args, "cli_roster_imported", added=done.added, updated=done.updated, gone=done.deactivated,
            skipped=len(errors))
        return 0
    finally:
        await app.close()


TABLE_COLUMNS = ("xl_rank", "xl_unit", "xl_roster", "xl_registered", "xl_studied", "xl_sat", "xl_passed",
                 "xl_study_rate", "xl_sit_rate", "xl_pass_rate", "xl_pass_rate_roster", "xl_average", "xl_median")


def format_table(report, locale: str = "zh") -> str:
    """The per-unit report as a plain-text table (CLI, bench), headed like the Excel export."""
    from bot.domain.statistics import percent

    def num(v):
        return "—" if v is None else f"{v:.1f}"

    head = [tr(locale, key) for key in TABLE_COLUMNS]
    lines = [f"{report.exam.id} · {report.unit_name}", "\t".join(head)]
    rows = [(str(rank), row) for rank, row in report.ranking()] + [(tr(locale, "xl_total"), report.total)]
    for rank, r in rows:
        lines.append("\t".join([rank, r.name, str(r.roster), str(r.registered), str(r.studied), str(r.sat),
                                str(r.passed), percent(r.study_rate), percent(r.sit_rate), percent(r.pass_rate),
                                percent(r.pass_rate_roster), num(r.average), num(r.median)]))
    return "\n".join(lines)


async def _stats(args) -> int:
    from bot.services.stats_report import Stats, StatsError

    locale = args.locale or cli_locale(args)
    app = await _open_app(args)
    try:
        stats = Stats(app.service.deps)
        now = app.clock.now()
        if args.stats_command == "snapshot":
            say(args, "cli_stats_snapshot", n=await stats.take_snapshot(now))
            return 0
        exams = [d.id for d in stats.official_exams()]
        if not args.exam or args.exam not in exams:
            key = "cli_stats_no_exam" if args.exam else "cli_stats_need_exam"
            warn(args, key, exam=args.exam, exams="、".join(exams) or "—")
            return 2
        try:
            report = await stats.report(args.exam, args.unit, now, locale)
        except StatsError:
            warn(args, "cli_stats_no_unit", unit=args.unit)
            return 2
        if args.stats_command == "export":
            out = Path(args.out or f"stats-{args.exam}-{report.unit_id or 'all'}.xlsx")
            from bot.services.flag_words import operator_flags_sheet  # the fair-exam flags, as /export has them
            from bot.services.stats import write_workbook

            flags = await operator_flags_sheet(app.service.deps, args.exam, report.unit_id, report.tree, locale)
            found = await stats.items(args.exam)
            part = out.with_name(out.name + ".part")  # streamed (people read a chunk at a time), then renamed
            try:
                with part.open("wb") as file:
                    n = await write_workbook(stats, report, found, app.catalog, locale, file, now, [flags])
                part.replace(out)
            finally:
                part.unlink(missing_ok=True)  # a failed export leaves no half-written file behind
            say(args, "cli_stats_exported", file=out, n=n)
            return 0
        print(format_table(report, locale))
        return 0
    finally:
        await app.close()


def add_admin_parsers(sub) -> None:
    def run(coro_fn):
        return lambda args: asyncio.run(coro_fn(args))

    units = sub.add_parser("units", help="the unit tree")
    units_sub = units.add_subparsers(dest="units_command", required=True)
    p = units_sub.add_parser("import", help="import units from YAML, CSV or .xlsx (id, name, parent)")
    p.add_argument("file")
    p.add_argument("--skip-errors", action="store_true", help="import the good rows even if some are bad")
    p.add_argument("--data-dir", help="where the SQLite file lives (default: from config)")
    p.set_defaults(func=run(_units_import))

    roster = sub.add_parser("roster", help="the roster of expected participants")
    roster_sub = roster.add_subparsers(dest="roster_command", required=True)
    p = roster_sub.add_parser("import", help="import people from YAML, CSV or .xlsx (工号, 姓名, 单位, 身份, 手机尾号)")
    p.add_argument("file")
    p.add_argument("--replace", action="store_true", help="deactivate people not in the file")
    p.add_argument("--skip-errors", action="store_true", help="import the good rows even if some are bad")
    p.add_argument("--data-dir", help="where the SQLite file lives (default: from config)")
    p.set_defaults(func=run(_roster_import))

    stats = sub.add_parser("stats", help="official exam statistics: the per-unit table, export, snapshot")
    stats.add_argument("stats_command", nargs="?", choices=["export", "snapshot"], help="export: Excel workbook")
    stats.add_argument("--exam", help="official exam id")
    stats.add_argument("--unit", help="unit id (default: the whole tree)")
    stats.add_argument("--out", help="export: the .xlsx file to write")
    stats.add_argument("--locale", choices=["zh", "en"], help="language of the table and workbook (default: --lang)")
    stats.add_argument("--data-dir", help="where the SQLite file lives (default: from config)")
    stats.set_defaults(func=run(_stats))
