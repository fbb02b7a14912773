"""Telegram webhook mode on the one HTTP server: python-telegram-bot's custom-webhook pattern (an
Application without Updater; the route hands each update, as a RawUpdate of its JSON, to
`process_update`). The route answers
200 only after the update was handled (through the Application's update processor, so per-user
order and the concurrency limit hold): an update lost in a crash is one Telegram still retries
(the core applies it once), and a bot that falls behind slows Telegram down instead of queueing
without bound. Requests without the right X-Telegram-Bot-Api-Secret-Token are refused (403)."""

from __future__ import annotations

import hmac
import json
import logging

from aiohttp import web
from telegram.ext import Application

from bot.channels.telegram import startup
from bot.channels.telegram.adapter import ALLOWED_UPDATES
from bot.channels.telegram.inbound import raw_update
from bot.config import ConfigError

log = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
_SECRET_CHARS = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")


def check_secret(secret: str | None) -> str:
    """Telegram accepts 1-256 characters A-Z a-z 0-9 _ -."""
    if not secret or len(secret) > 256 or not set(secret) <= _SECRET_CHARS:
        raise ConfigError("telegram: webhook mode needs secret_token (1-256 of A-Z a-z 0-9 _ -): set "
                          "telegram.secret_token or the environment variable named by telegram.secret_token_env")
    return secret


def webhook_routes(application: Application, path: str, secret: str) -> list[web.RouteDef]:
    expected = check_secret(secret).encode()

    async def on_update(request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "").encode("utf-8", "replace")
        if not hmac.compare_digest(given, expected):
            log.warning("Telegram webhook request from %s without the right secret token refused", request.remote)
            return web.Response(status=403, text="forbidden")
        try:
            update = raw_update(json.loads(await request.read()))
        except web.HTTPException:
            raise
        except Exception as exc:  # noqa: BLE001 - not JSON: the sender's mistake
            log.warning("Telegram webhook: unreadable update from %s: %s", request.remote, exc)
            return web.Response(status=400, text="bad request")
        if update is None:  # not an update object with an integer update_id
            return web.Response(status=400, text="bad request")
        await application.update_processor.process_update(update, application.process_update(update))
        return web.Response(text="ok")

    return [web.post(path, on_update)]


async def start_webhook(application: Application, url: str, secret: str, register_commands: bool = True) -> None:
    """After `application.initialize()`: register the command menu (a refusal is only logged),
    start dispatching, and point Telegram at our URL with the secret token (retried)."""
    if register_commands:
        await startup.register_commands(application.bot, application.bot_data.get("default_locale", "zh"))
    await application.start()
    startup.settle_heap()
    await startup.retried("setWebhook", lambda: application.bot.set_webhook(
        url=url, secret_token=secret, allowed_updates=ALLOWED_UPDATES, drop_pending_updates=False))
