"""A python-telegram-bot request backend on aiohttp's client, for the outbox sender's Bot.

Why: a broadcast at the paid limit needs ~1,000 sendMessage calls per second from one process.
PTB's default HTTPXRequest writes each request's headers and body in two socket writes and
spends several milliseconds per call in that path on our 2-core VMs (about 200 calls/s from one
process, however many run concurrently), while aiohttp's client writes a request at once and
sustains 1,500+ calls/s against the same loopback server (bench/broadcast.py). Interactive
replies use it too (build_application), as does the outbox sender.

Errors map as HTTPXRequest's do: timeouts -> TimedOut, other client errors -> NetworkError; the
status code and body go back to PTB, which raises RetryAfter / Forbidden / BadRequest itself.

`call` is the channel's own fast path for the calls every update makes (sendMessage,
editMessageText, answerCallbackQuery, getUpdates): the parameters go out as one JSON body encoded
by the standard library, the answer comes back as parsed JSON, and the errors are the ones PTB's
request wrapper raises (`api_error`). Through PTB's Bot each such call built a RequestData of
RequestParameter objects, URL-encoded them and went through PTB's wrapper: more CPU than the
HTTP exchange itself."""

from __future__ import annotations

import datetime as dtm
import json
import warnings
from http import HTTPStatus
from typing import Any
from urllib.parse import urlencode

import aiohttp
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.request import BaseRequest, RequestData
from telegram.warnings import PTBDeprecationWarning
from yarl import URL

_FORM = {"Content-Type": "application/x-www-form-urlencoded"}
_JSON = {"Content-Type": "application/json"}
_ENCODE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False).encode
# Parameters whose value may be given as JSON text (as the Bot API's form encoding takes them):
# embedded verbatim in the JSON body, so a keyboard rendered once is not parsed back per call.
JSON_TEXT_PARAMS = frozenset({"reply_markup"})


def encode_params(params: dict[str, Any]) -> bytes:
    """The JSON body for a Bot API call; a JSON_TEXT_PARAMS value given as a str is JSON text and
    goes in as it is."""
    embedded = [(k, v) for k, v in params.items() if k in JSON_TEXT_PARAMS and isinstance(v, str)]
    if not embedded:
        return _ENCODE(params).encode()
    plain = {k: v for k, v in params.items() if not (k in JSON_TEXT_PARAMS and isinstance(v, str))}
    head = _ENCODE(plain)[:-1]
    tail = ",".join(f"{_ENCODE(k)}:{v}" for k, v in embedded)
    return f"{head}{',' if plain else ''}{tail}}}".encode()


def retry_seconds(exc: RetryAfter) -> float:
    """The seconds a 429 asks to wait: RetryAfter.retry_after read with PTB 22's deprecation
    warning (int seconds becoming a timedelta) held back, as a float either way."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, dtm.timedelta) else float(value)


def api_error(status: int, payload: bytes) -> TelegramError:
    """The error python-telegram-bot raises for this HTTP status and Bot API answer (its request
    wrapper's mapping): RetryAfter and ChatMigrated from the answer's parameters, then by status
    403 Forbidden, 401/404 InvalidToken, 400 BadRequest, 409 Conflict, others NetworkError."""
    try:
        message = f"{HTTPStatus(status).phrase} ({status})"
    except ValueError:
        message = f"Unknown HTTPError ({status})"
    try:
        data = json.loads(payload)
        if not isinstance(data, dict):
            raise ValueError("not an object")
    except ValueError:
        message += f". Parsing the server response {payload!r} failed"
    else:
        message = data.get("description") or message
        parameters = data.get("parameters")
        if parameters:
            migrate_to_chat_id = parameters.get("migrate_to_chat_id")
            if migrate_to_chat_id:
                return ChatMigrated(migrate_to_chat_id)
            retry_after = parameters.get("retry_after")
            if retry_after:
                with warnings.catch_warnings():  # PTB 22.2+ warns in RetryAfter's own __init__
                    warnings.simplefilter("ignore", PTBDeprecationWarning)
                    return RetryAfter(retry_after)
            message += f". The server response contained unknown parameters: {parameters}"
    if status == HTTPStatus.FORBIDDEN:
        return Forbidden(message)
    if status in (HTTPStatus.NOT_FOUND, HTTPStatus.UNAUTHORIZED):
        return InvalidToken(message)
    if status == HTTPStatus.BAD_REQUEST:
        return BadRequest(message)
    if status == HTTPStatus.CONFLICT:
        return Conflict(message)
    return NetworkError(message)


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
        self._urls: dict[str, URL] = {}
        self._default_timeout = aiohttp.ClientTimeout(sock_read=read_timeout, sock_connect=connect_timeout,
                                                      connect=pool_timeout)

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def call(self, url: str, params: dict[str, Any], read_timeout: float | None = None) -> Any:
        """POST one Bot API method (`url` is the bot's base URL + method name) with the parameters
        as a JSON body; the answer's `result`. Errors as PTB raises them (api_error, TimedOut,
        NetworkError). `read_timeout` replaces the default one (long polling)."""
        session = self._session
        if session is None or session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        target = self._urls.get(url)
        if target is None:
            if len(self._urls) >= 64:
                self._urls.clear()
            target = self._urls[url] = URL(url)
        timeout = self._default_timeout if read_timeout is None else aiohttp.ClientTimeout(
            sock_read=read_timeout, sock_connect=self._connect_timeout, connect=self._pool_timeout)
        try:
            async with session.post(target, data=encode_params(params), headers=_JSON, timeout=timeout) as response:
                status, payload = response.status, await response.read()
        except TimeoutError as err:
            raise TimedOut from err
        except aiohttp.ClientError as err:
            raise NetworkError(f"aiohttp.{err.__class__.__name__}: {err}") from err
        if not 200 <= status <= 299:
            raise api_error(status, payload)
        try:
            return json.loads(payload)["result"]
        except (ValueError, KeyError, TypeError) as exc:
            raise TelegramError("Invalid server response") from exc

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
