"""The Telegram channel for `lawbot run` (bot/channels/registry.py): the PTB Application (long
polling, or webhook routes on the HTTP server) and the outbox sender's own Bot."""

from __future__ import annotations

from typing import Any

from bot.channels.delivery import Sender
from bot.channels.registry import Capabilities, Channel
from bot.config import ConfigError

CAPABILITIES = Capabilities(buttons=True, edit_in_place=True, files=True)


def hint(config: Any) -> str:
    return f"set the Telegram bot token ({config.telegram.token_env})"


def channels(app: Any, config: Any) -> list[Channel]:
    telegram = config.telegram
    token = telegram.resolved_token()
    if telegram.mode == "webhook" and not token:
        raise ConfigError(f"telegram: webhook mode needs the bot token ({telegram.token_env})")
    return [TelegramPlugin(app, config, token)] if token else []


class TelegramPlugin:
    capabilities = CAPABILITIES

    def __init__(self, app: Any, config: Any, token: str):
        from bot.channels.telegram.adapter import build_application

        telegram = config.telegram
        self.config = telegram
        self.webhook = telegram.mode == "webhook"
        self.name = f"Telegram ({'webhook' if self.webhook else 'polling'})"
        self.token = token
        self.application = build_application(
            app, token, base_url=telegram.base_url, base_file_url=telegram.base_file_url,
            poll_timeout=telegram.poll_timeout, connect_timeout=telegram.connect_timeout, polling=not self.webhook)
        self._routes: list = []
        if self.webhook:
            from bot.channels.telegram.webhook import check_secret, webhook_routes

            _webhook_url(telegram)
            self._routes = webhook_routes(self.application, telegram.webhook_path,
                                          check_secret(telegram.resolved_secret_token()))
        self.outbox_bot: Any = None

    def routes(self) -> list:
        return self._routes

    async def open(self) -> None:
        from bot.channels.telegram import startup

        await startup.initialize(self.application)  # getMe, retried
        try:
            self.outbox_bot = _outbox_bot(self.config, self.token)
            await startup.initialize_bot(self.outbox_bot)
        except BaseException:
            self.outbox_bot = None
            await self.application.shutdown()
            raise

    async def start(self) -> None:
        if self.webhook:
            from bot.channels.telegram.webhook import start_webhook

            await start_webhook(self.application, _webhook_url(self.config), self.config.resolved_secret_token())
        else:
            from bot.channels.telegram.adapter import start_bot

            await start_bot(self.application, self.config.poll_timeout)

    def senders(self) -> dict[str, Sender]:
        from bot.channels.telegram.adapter import TelegramSender

        return {"tg": TelegramSender(self.outbox_bot)}

    async def stop(self) -> None:
        pass  # the Application finishes its queued updates in close(), after the senders stopped

    async def close(self) -> None:
        try:
            if self.outbox_bot is not None:
                await self.outbox_bot.shutdown()
        finally:
            try:
                updater = self.application.updater
                if updater is not None and updater.running:
                    await updater.stop()
                if self.application.running:
                    await self.application.stop()  # handles the updates already queued first
            finally:
                await self.application.shutdown()


def _outbox_bot(telegram: Any, token: str) -> Any:
    """The outbox sender's own Bot, on aiohttp's client (bot/channels/telegram/aiohttp_request.py):
    broadcasts at the paid limit need more calls per second than PTB's default httpx backend gives
    one process; interactive replies keep the Application's bot."""
    from telegram import Bot

    from bot.channels.telegram.aiohttp_request import AiohttpRequest

    urls = {k: v for k, v in (("base_url", telegram.base_url), ("base_file_url", telegram.base_file_url)) if v}
    return Bot(token, request=AiohttpRequest(connection_pool_size=256, connect_timeout=telegram.connect_timeout),
               **urls)


def _webhook_url(telegram: Any) -> str:
    if not telegram.webhook_url:
        raise ConfigError("telegram: webhook mode needs webhook_url, the public https:// URL of webhook_path")
    return telegram.webhook_url
