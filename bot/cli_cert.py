"""`lawbot cert verify SERIAL` and `lawbot cert revoke SERIAL [--reason ...]`: pass certificates
on the command line, in the admin's language. verify exits 0 when valid, 1 when invalid or
revoked, 2 when no certificate key is set."""

from __future__ import annotations

import asyncio
import getpass

from bot.cli_text import cli_locale, warn
from bot.texts import tr


async def _verify(args) -> int:
    from bot.app.certs import Certificates, NoKey, verdict_text
    from bot.cli_admin import _open_app
    from bot.domain.certificate import VALID

    app = await _open_app(args)
    try:
        try:
            verdict = await Certificates(app.service.deps).verify(args.serial)
        except NoKey:
            warn(args, "cli_cert_no_key")
            return 2
        print(verdict_text(cli_locale(args), verdict, app.config.timezone), flush=True)
        return 0 if verdict.status == VALID else 1
    finally:
        await app.close()


async def _revoke(args) -> int:
    from bot.app.certs import Certificates, local_time
    from bot.cli_admin import _open_app
    from bot.domain.certificate import normalize_serial

    locale = cli_locale(args)
    app = await _open_app(args)
    try:
        certs = Certificates(app.service.deps)
        by = f"cli:{getpass.getuser()}"
        outcome, record = await certs.revoke(args.serial, by, args.reason or "", app.clock.now())
        if outcome == "bad_serial":
            warn(args, "cert_bad_serial")
            return 2
        if record is None:  # "not_found"
            warn(args, "cert_not_found", serial=normalize_serial(args.serial))
            return 1
        if outcome == "already":
            warn(args, "cert_revoke_already", serial=record.serial,
                 when=local_time(record.revoked_at or 0, app.config.timezone))
            return 1
        print(tr(locale, "cli_cert_revoked", serial=record.serial, name=record.name, exam=record.exam_title),
              flush=True)
        return 0
    finally:
        await app.close()


def add_cert_parsers(sub) -> None:
    def run(coro_fn):
        return lambda args: asyncio.run(coro_fn(args))

    cert = sub.add_parser("cert", help="pass certificates: verify or revoke a serial")
    cert_sub = cert.add_subparsers(dest="cert_command", required=True)
    p = cert_sub.add_parser("verify", help="say whether a certificate serial is valid, invalid or revoked")
    p.add_argument("serial")
    p.add_argument("--data-dir", help="where the SQLite file lives (default: from config)")
    p.set_defaults(func=run(_verify))
    p = cert_sub.add_parser("revoke", help="revoke a certificate (recorded in the admin log)")
    p.add_argument("serial")
    p.add_argument("--reason", help="why (shown to admins, kept in the admin log)")
    p.add_argument("--data-dir", help="where the SQLite file lives (default: from config)")
    p.set_defaults(func=run(_revoke))
