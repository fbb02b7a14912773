"""The one HTTP server of `lawbot run` (aiohttp): the Telegram webhook, the WeChat and WeCom
callbacks, and GET /healthz. Channels bring their routes; the server owns the socket, the body
size limit and the graceful shutdown (stop accepting, finish requests in flight)."""

from __future__ import annotations

import logging
import time

from aiohttp import web

log = logging.getLogger(__name__)
STARTED = web.AppKey("started", float)


async def _healthz(request: web.Request) -> web.Response:
    started = request.app[STARTED]
    return web.json_response({"status": "ok", "uptime_seconds": round(time.monotonic() - started, 1)})


@web.middleware
async def _no_traceback(request: web.Request, handler):
    """Whatever a handler raises becomes a logged 500, never a traceback in the response."""
    try:
        return await handler(request)
    except web.HTTPException:
        raise
    except Exception:
        log.exception("%s %s failed", request.method, request.path)
        return web.Response(status=500, text="internal error")


class HttpServer:
    def __init__(self, host: str, port: int, max_body_bytes: int, shutdown_timeout: float,
                 routes: list[web.RouteDef]):
        self.host = host
        self.port = port
        self.shutdown_timeout = shutdown_timeout
        self.web_app = web.Application(client_max_size=max_body_bytes, middlewares=[_no_traceback])
        self.web_app[STARTED] = time.monotonic()
        self.web_app.add_routes([web.get("/healthz", _healthz), *routes])
        self._runner: web.AppRunner | None = None

    @classmethod
    def from_config(cls, config, routes: list[web.RouteDef]) -> HttpServer:
        http = config.http
        return cls(http.host, http.port, http.max_body_bytes, http.shutdown_timeout, routes)

    async def start(self) -> int:
        """Listen; returns the bound port (useful with port 0 in tests and the benchmark)."""
        self._runner = web.AppRunner(self.web_app, access_log=None, handle_signals=False,
                                     shutdown_timeout=self.shutdown_timeout)
        await self._runner.setup()
        from bot.supervisor import inherited_socket

        sock = inherited_socket()  # a worker of `lawbot run --workers N` accepts on the shared socket
        if sock is not None:
            site: web.BaseSite = web.SockSite(self._runner, sock)
            self.host, self.port = sock.getsockname()[:2]
        else:
            site = web.TCPSite(self._runner, self.host, self.port, backlog=1024)
        await site.start()
        sockets = self._runner.addresses
        self.port = sockets[0][1] if sockets else self.port
        log.info("HTTP server listening on %s:%s", self.host, self.port)
        return self.port

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    async def stop(self) -> None:
        """Stop accepting; wait up to shutdown_timeout for requests in flight; close."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
