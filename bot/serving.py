"""`lawbot run`: every configured channel in one process. Telegram (polling, or webhook on the
HTTP server), the WeChat Official Account and the WeCom app (callbacks on the HTTP server), the
admin console at /admin/ on the HTTP server (web.enabled, the default), and,
while this worker is the elected leader, the outbox senders, the exam sweeper and the scheduler. SIGINT/SIGTERM stop it gracefully: stop accepting, finish the
requests and turns in flight, then close."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass, field

from bot.config import ConfigError

log = logging.getLogger(__name__)


@dataclass
class Running:
    """What is up, for tests and the benchmark (the bound port when http.port is 0)."""
    app: object
    server: object | None = None
    telegram: object | None = None
    wechat: list = field(default_factory=list)


async def serve(config, *, stop: asyncio.Event | None = None,
                on_ready: Callable[[Running], Awaitable[None] | None] | None = None, port: int | None = None) -> int:
    from bot.bootstrap import build, settle_heap
    from bot.channels.wechat.adapter import WeChatSender, wechat_channels
    from bot.httpserver import HttpServer
    from bot.runner import leader_task

    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    installed = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
            installed.append(sig)
        except (NotImplementedError, RuntimeError):  # not the main thread, or not supported
            pass
    app = await build(config)
    from bot.search.lookup import start_preparing

    # the search index, read from <data_dir>/cache (built there once per content version) in a
    # background thread while the rest starts: ready before the first question (a question that
    # comes first awaits it), and neither the loop nor the health check waits for a rebuild
    start_preparing(app.catalog, config.data_dir / "cache")
    settle_heap()
    tasks: list[asyncio.Task] = []
    try:
        async with AsyncExitStack() as stack:
            running = Running(app, wechat=wechat_channels(app))
            routes = [route for channel in running.wechat for route in channel.routes()]
            senders = {ch.platform.name: WeChatSender(ch) for ch in running.wechat if ch.platform.api is not None}
            telegram = config.telegram
            token = telegram.resolved_token()
            webhook = telegram.mode == "webhook"
            if webhook and not token:
                raise ConfigError(f"telegram: webhook mode needs the bot token ({telegram.token_env})")
            if token:
                running.telegram, telegram_routes = _telegram(app, config, token)
                routes += telegram_routes
            console = config.web.enabled  # the admin console at /admin/ (bot/web)
            if running.telegram is None and not running.wechat and not console:
                raise ConfigError("nothing to run: set the Telegram bot token "
                                  f"({telegram.token_env}) or enable wechat / wecom / web in the config file")
            if config.http.public_url and config.certificates.enabled:  # the certificate verification page
                from bot.app.certs import Certificates
                from bot.cert_page import verify_routes

                routes += verify_routes(Certificates(app.service.deps))
            if running.telegram is not None:
                from bot.channels.telegram import startup

                await startup.initialize(running.telegram)  # getMe, retried
                stack.push_async_callback(running.telegram.shutdown)
                stack.push_async_callback(_stop_telegram, running.telegram)
                outbox_bot = _outbox_bot(config, token)
                await startup.initialize_bot(outbox_bot)
                stack.push_async_callback(outbox_bot.shutdown)  # after the senders are cancelled
            stack.push_async_callback(_cancel, tasks)  # the senders stop before Telegram does
            if routes or console:
                running.server = HttpServer.from_config(config, routes)
                if console:
                    from bot.web.app import install

                    install(running.server.web_app, app.service.deps)
                if port is not None:
                    running.server.port = port
                await running.server.start()
                stack.push_async_callback(_close_channels, running)  # runs after the server stopped
                stack.push_async_callback(running.server.stop)
            if running.telegram is not None:
                application = running.telegram
                if webhook:
                    from bot.channels.telegram.webhook import start_webhook

                    await start_webhook(application, _webhook_url(telegram), telegram.resolved_secret_token())
                else:
                    from bot.channels.telegram.adapter import start_bot

                    await start_bot(application, telegram.poll_timeout)
                from bot.channels.telegram.adapter import TelegramSender

                senders["tg"] = TelegramSender(outbox_bot)
            tasks.append(leader_task(app, senders))  # scheduler, sweeper, senders: on the leader only
            from bot.bank_sync import BankSync

            tasks.append(asyncio.create_task(BankSync(app).run()))  # bank changes made on any worker
            log.info("lawbot is running: %s", ", ".join(_names(running, webhook)))
            if on_ready is not None:
                result = on_ready(running)
                if asyncio.iscoroutine(result):
                    await result
            await stop.wait()
            log.info("stopping")
            # the stack unwinds: HTTP server (finishes requests in flight), WeChat turns, the
            # background tasks, Telegram (handles the updates already queued), its shutdown
    finally:
        await _cancel(tasks)
        for sig in installed:
            loop.remove_signal_handler(sig)
        await app.close()
    return 0


def _outbox_bot(config, token: str):
    """The outbox sender's own Bot, on aiohttp's client (bot/channels/telegram/aiohttp_request.py):
    broadcasts at the paid limit need more calls per second than PTB's default httpx backend gives
    one process; interactive replies keep the Application's bot."""
    from telegram import Bot

    from bot.channels.telegram.aiohttp_request import AiohttpRequest

    telegram = config.telegram
    urls = {k: v for k, v in (("base_url", telegram.base_url), ("base_file_url", telegram.base_file_url)) if v}
    return Bot(token, request=AiohttpRequest(connection_pool_size=256, connect_timeout=telegram.connect_timeout), **urls)


def _telegram(app, config, token: str):
    from bot.channels.telegram.adapter import build_application

    telegram = config.telegram
    webhook = telegram.mode == "webhook"
    application = build_application(app, token, base_url=telegram.base_url, base_file_url=telegram.base_file_url,
                                    poll_timeout=telegram.poll_timeout, connect_timeout=telegram.connect_timeout,
                                    polling=not webhook)
    if not webhook:
        return application, []
    from bot.channels.telegram.webhook import check_secret, webhook_routes

    _webhook_url(telegram)
    return application, webhook_routes(application, telegram.webhook_path, check_secret(telegram.resolved_secret_token()))


def _webhook_url(telegram) -> str:
    if not telegram.webhook_url:
        raise ConfigError("telegram: webhook mode needs webhook_url, the public https:// URL of webhook_path")
    return telegram.webhook_url


async def _cancel(tasks: list[asyncio.Task]) -> None:
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    tasks.clear()


async def _stop_telegram(application) -> None:
    if application.updater is not None and application.updater.running:
        await application.updater.stop()
    if application.running:
        await application.stop()  # handles the updates already queued first


async def _close_channels(running: Running) -> None:
    for channel in running.wechat:
        await channel.close()


def _names(running: Running, webhook: bool) -> list[str]:
    names = [f"Telegram ({'webhook' if webhook else 'polling'})"] if running.telegram is not None else []
    names += [{"wx": "WeChat Official Account", "wecom": "WeCom"}[c.platform.name] for c in running.wechat]
    if running.server is not None:
        names.append(f"HTTP on {running.server.url}")
        from bot.web.keys import DEPS

        if DEPS in running.server.web_app:
            names.append(f"admin console at {running.server.url}/admin/")
    return names
