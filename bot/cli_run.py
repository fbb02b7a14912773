"""`lawbot run [--workers N]`: the command's entry (one process, or a supervisor of N workers),
and `run_telegram`, the same with a Telegram token required."""

from __future__ import annotations

import asyncio
import logging

from bot.config import ConfigError
from bot.serving import serve


async def run_telegram(config, *, stop: asyncio.Event | None = None) -> int:
    """Run the bot until SIGINT/SIGTERM (or until `stop` is set). This is `lawbot run`
    (`serve`) requiring a Telegram token: polling or webhook as configured, beside WeChat/WeCom
    when enabled."""
    if not config.telegram.resolved_token():
        raise ConfigError(key="cli_no_telegram_token", env=config.telegram.token_env)
    return await serve(config, stop=stop)


def run_command(config_path: str | None, workers: int = 1, args: object = None) -> int:
    """`lawbot run [--workers N]`: one process, or a supervisor with N workers (bot/supervisor.py).
    Telegram polling has one reader of getUpdates by nature: it stays a single process."""
    from pathlib import Path

    from bot.cli_text import warn
    from bot.config import load_config

    config = load_config(Path(config_path) if config_path else None)
    logging.basicConfig(level=config.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if workers > 1 and config.telegram.mode != "webhook" and config.telegram.resolved_token():
        warn(args, "run_polling_single", n=workers)
        workers = 1
    if workers > 1:
        from bot.supervisor import supervise

        return supervise(config, config_path, workers)
    return asyncio.run(serve(config))
