"""`lawbot run`: every configured channel in one process. The channels the config enables (found
by bot/channels/registry.py: Telegram polling or webhook, the WeChat Official Account and the
WeCom app, ...), the admin console at /admin/ on the HTTP server (web.enabled, the default), and,
while this worker is the elected leader, the outbox senders, the exam sweeper and the scheduler.
SIGINT/SIGTERM stop it gracefully: stop accepting, finish the requests and turns in flight, then
close."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bot.config import Config, ConfigError

if TYPE_CHECKING:  # imported when serving starts (the module loads fast for the command line)
    from bot.bootstrap import App
    from bot.channels.registry import Channel
    from bot.httpserver import HttpServer

log = logging.getLogger(__name__)


@dataclass
class Running:
    """What is up, for tests and the benchmark (the bound port when http.port is 0)."""
    app: App
    server: HttpServer | None = None
    channels: list[Channel] = field(default_factory=list)


async def serve(config: Config, *, stop: asyncio.Event | None = None,
                on_ready: Callable[[Running], Awaitable[None] | None] | None = None, port: int | None = None) -> int:
    from bot.bootstrap import build, settle_heap
    from bot.channels import registry
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
    from bot.catalog.cachefiles import default_dir
    from bot.search.lookup import start_preparing

    # the search index, read from the cache folder the checked catalog is kept in (built there
    # once per content version, by a child process) in a background thread while the rest
    # starts: ready before the first question (a question that comes first awaits it), and
    # neither the loop nor the health check waits for a rebuild
    start_preparing(app.catalog, default_dir())
    settle_heap()
    tasks: list[asyncio.Task] = []
    try:
        async with AsyncExitStack() as stack:
            running = Running(app, channels=registry.enabled_channels(app, config))
            console = config.web.enabled  # the admin console at /admin/ (bot/web)
            if not running.channels and not console:
                raise ConfigError(f"nothing to run: {' or '.join(registry.hints(config))} "
                                  "or enable web in the config file")
            routes = [route for channel in running.channels for route in channel.routes()]
            if config.http.public_url and config.certificates.enabled:  # the certificate verification page
                from bot.app.certs import Certificates
                from bot.cert_page import verify_routes

                routes += verify_routes(Certificates(app.service.deps))
            for channel in running.channels:
                await channel.open()  # e.g. Telegram's getMe, retried
                stack.push_async_callback(channel.close)  # after the senders are cancelled
            stack.push_async_callback(_cancel, tasks)  # the senders stop before the channels close
            if routes or console:
                running.server = HttpServer.from_config(config, routes)
                if console:
                    from bot.web.app import install

                    install(running.server.web_app, app.service.deps)
                if port is not None:
                    running.server.port = port
                await running.server.start()
            stack.push_async_callback(_stop_channels, running)  # runs after the server stopped
            if running.server is not None:
                stack.push_async_callback(running.server.stop)
            senders = {}
            for channel in running.channels:
                await channel.start()
                senders.update(channel.senders())
            tasks.append(leader_task(app, senders))  # scheduler, sweeper, senders: on the leader only
            from bot.bank_sync import BankSync

            tasks.append(asyncio.create_task(BankSync(app).run()))  # bank changes made on any worker
            log.info("lawbot is running: %s", ", ".join(_names(running)))
            if on_ready is not None:
                result = on_ready(running)
                if asyncio.iscoroutine(result):
                    await result
            await stop.wait()
            log.info("stopping")
            # the stack unwinds: HTTP server (finishes requests in flight), the channels' turns
            # in flight, the background tasks, then each channel closes (Telegram handles the
            # updates already queued first)
    finally:
        await _cancel(tasks)
        for sig in installed:
            loop.remove_signal_handler(sig)
        await app.close()
    return 0


async def _cancel(tasks: list[asyncio.Task]) -> None:
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    tasks.clear()


async def _stop_channels(running: Running) -> None:
    for channel in running.channels:
        await channel.stop()


def _names(running: Running) -> list[str]:
    names = [channel.name for channel in running.channels]
    if running.server is not None:
        names.append(f"HTTP on {running.server.url}")
        from bot.web.keys import DEPS

        if DEPS in running.server.web_app:
            names.append(f"admin console at {running.server.url}/admin/")
    return names
