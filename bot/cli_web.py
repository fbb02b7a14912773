"""`lawbot web-link USER`: print a one-time login link to the admin console for an admin (the
first super admin can log in before any chat channel is set up). USER must be a super admin in
the config or a unit admin; otherwise a one-line error and exit 1."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from bot.cli_text import cli_locale, warn
from bot.texts import tr


async def _web_link(args: argparse.Namespace) -> int:
    from bot.clock import SystemClock
    from bot.config import load_config
    from bot.deps import Deps
    from bot.services import accounts
    from bot.services.rights import Forbidden
    from bot.storage.sql.store import open_store

    config = load_config(Path(args.config) if getattr(args, "config", None) else None,
                         data_dir=getattr(args, "data_dir", None))
    store = await open_store(config.database_target, config.storage.synchronous, pool_size=1)
    try:
        deps = Deps(storage=store, catalog=None, clock=SystemClock(), config=config)  # type: ignore[arg-type]
        try:
            link = await accounts.issue_link(deps, args.user)
        except Forbidden:
            warn(args, "web_cli_not_admin", user=args.user)
            return 1
        print(tr(cli_locale(args), "web_cli_link", minutes=config.web.link_ttl_minutes), flush=True)
        print(link.url, flush=True)
        return 0
    finally:
        await store.close()


def add_web_parsers(sub) -> None:
    p = sub.add_parser("web-link", help="print a one-time login link to the admin console (/admin/) for an admin")
    p.add_argument("user", help="the admin's user key, e.g. tg:123 or cli:root")
    p.add_argument("--data-dir", help="where the SQLite file lives (default: from config)")
    p.set_defaults(func=lambda args: asyncio.run(_web_link(args)))
