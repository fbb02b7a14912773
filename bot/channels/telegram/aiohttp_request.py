"""A python-telegram-bot request backend on aiohttp's client, for the outbox sender's Bot.

Why: a broadcast at the paid limit needs ~1,000 sendMessage calls per second from one process.
PTB's default HTTPXRequest writes each request's headers and body in two socket writes and
spends several milliseconds per call in that path on our 2-core VMs (about 200 calls/s from one
process, however many run concurrently), while aiohttp's client writes a request at once and
sustains 1,500+ calls/s against the same loopback server (bench/broadcast.py). Interactive
replies use it too (build_application), as does the outbox sender.

Errors map as HTTPXRequest's do: timeouts -> TimedOut, other client errors -> NetworkError; the
status code and body go back to PTB, which raises RetryAfter / Forbidden / BadRequest itself."""

from __future__ import annotations

from urllib.parse import urlencode

import aiohttp
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

_FORM = {"Content-Type": "application/x-www-form-urlencoded"}


class AiohttpRequest(BaseRequest):
    def __init__(self, connection_pool_size: int = 256, read_timeout: float | None = 10.0,
                 connect_timeout: float | None = 10.0, write_timeout: float | None = 10.0,
                 pool_timeout: float | None = 10.0):
        self._pool = connection_pool_size
        self._read_timeout = read_timeout
        self._connect_timeout = connect_timeout
        self._write_timeout = write_timeout
        self._pool_timeout = pool_timeout
        self._session: aiohttp.ClientSession | None = None
        self._default_timeout = aiohttp.ClientTimeout(sock_read=read_timeout, sock_connect=connect_timeout,
                                                      connect=pool_timeout)

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self._pool, limit_per_host=self._pool, ttl_dns_cache=300)
            self._session = aiohttp.ClientSession(connector=connector, headers={"User-Agent": self.USER_AGENT},
                                                  trust_env=False)

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def do_request(self, url: str, method: str, request_data: RequestData | None = None,
                         read_timeout=BaseRequest.DEFAULT_NONE, write_timeout=BaseRequest.DEFAULT_NONE,
                         connect_timeout=BaseRequest.DEFAULT_NONE,
                         pool_timeout=BaseRequest.DEFAULT_NONE) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")

        def pick(value, default):  # PTB's documented check: `is BaseRequest.DEFAULT_NONE`
            return default if value is BaseRequest.DEFAULT_NONE else value

        default = BaseRequest.DEFAULT_NONE
        if read_timeout is default and connect_timeout is default and pool_timeout is default:
            timeout = self._default_timeout  # most calls: one object, not one per call
        else:
            timeout = aiohttp.ClientTimeout(sock_read=pick(read_timeout, self._read_timeout),
                                            sock_connect=pick(connect_timeout, self._connect_timeout),
                                            connect=pick(pool_timeout, self._pool_timeout))
        data: aiohttp.FormData | bytes | None = None
        headers: dict[str, str] | None = None
        if request_data is not None:
            files = request_data.multipart_data
            fields = request_data.json_parameters
            if files:
                form = aiohttp.FormData(quote_fields=False)  # UTF-8 file names as httpx sends them
                for name, value in fields.items():
                    form.add_field(name, value)
                for name, part in files.items():
                    filename, content, mime = part if isinstance(part, tuple) else (name, part, None)
                    form.add_field(name, content, filename=filename, content_type=mime)
                data = form
            else:  # application/x-www-form-urlencoded, as HTTPXRequest sends it (encoded here:
                # aiohttp's FormData costs more CPU than the rest of the request at 1,000/s)
                data = urlencode(fields).encode("ascii")
                headers = _FORM
        try:
            async with self._session.request(method, url, data=data, headers=headers, timeout=timeout) as response:
                return response.status, await response.read()
        except TimeoutError as err:
            raise TimedOut from err
        except aiohttp.ClientError as err:
            raise NetworkError(f"aiohttp.{err.__class__.__name__}: {err}") from err
