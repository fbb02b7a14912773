"""The one HTTP server of `lawbot run` (aiohttp): the Telegram webhook, the WeChat and WeCom
callbacks, and GET /healthz. Channels bring their routes; the server owns the socket, the body
size limit, the graceful shutdown (stop accepting, finish requests in flight) and the answer to a
request its HTTP parser refuses (a one-line Chinese page, not aiohttp's English text)."""

from __future__ import annotations

import logging
import time
from html import escape

from aiohttp import web, web_protocol
from aiohttp.http_exceptions import HttpProcessingError, LineTooLong
from aiohttp.web_request import BaseRequest

from bot.texts import tr

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


def refusal(exc: HttpProcessingError) -> web.Response:
    """The 400 page for a request the HTTP parser refused: an address or a header line over
    aiohttp's limits (max_line_size, max_field_size: 8190 bytes), too many headers, not HTTP at
    all. The request could not be read, so neither its language nor its path is known: one line
    in Chinese. aiohttp's own text is English and echoes the refused line back."""
    title, line = tr("zh", "web_error_400"), tr("zh", "http_too_long" if isinstance(exc, LineTooLong) else
                                                "web_bad_request")
    page = (f'<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>{escape(title)}</title></head>'
            f"<body><p>{escape(line)}</p></body></html>\n")
    response = web.Response(status=400, text=page, content_type="text/html",
                            headers={"Content-Security-Policy": "default-src 'none'",
                                     "X-Content-Type-Options": "nosniff"})
    response.force_close()
    return response


class _Handler(web_protocol.RequestHandler):
    """aiohttp's connection handler; a request its parser refused gets `refusal` (logged in one line,
    not as an error with a traceback: it is the client's)."""
    __slots__ = ()

    def handle_error(self, request: BaseRequest, status: int = 500, exc: BaseException | None = None,
                     message: str | None = None) -> web.StreamResponse:
        if status != 400 or not isinstance(exc, HttpProcessingError) or request.writer.output_size > 0:
            return super().handle_error(request, status, exc, message)
        log.info("HTTP request from %s refused by the parser: %s", request.remote, type(exc).__name__)
        return refusal(exc)


class _Server(web.Server):
    def __call__(self) -> web_protocol.RequestHandler:
        handler = super().__call__()
        handler.__class__ = _Handler  # the same slots; only handle_error differs
        return handler


class _Runner(web.AppRunner):
    """web.AppRunner whose connections use _Handler (aiohttp has no option for the parser's
    error page: handler_args only sets limits such as max_line_size)."""

    async def _make_server(self) -> web.Server:
        server = await super()._make_server()
        server.__class__ = _Server  # adds no state; only __call__ differs
        return server


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
        self._runner = _Runner(self.web_app, access_log=None, handle_signals=False,
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
