"""Start-up calls to the Bot API, which a self-hosted or test server may refuse and a network may
drop. The command menu is a nicety: when setMyCommands fails it is logged and start-up goes on.
getMe, deleteWebhook and setWebhook are needed: network errors and 5xx answers are retried with
doubling waits, then start-up stops with one line (TelegramStartError)."""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from telegram.error import BadRequest, InvalidToken, NetworkError, RetryAfter, TelegramError

from bot.channels.telegram.aiohttp_request import retry_seconds
from bot.config import ConfigError

log = logging.getLogger(__name__)
T = TypeVar("T")

START_TRIES = 4  # waits of 0.5, 1 and 2 s between them
FIRST_WAIT = 0.5
MAX_WAIT = 30.0
_sleep = asyncio.sleep  # tests replace it


class TelegramStartError(ConfigError):
    """The Bot API refused or kept failing a call start-up needs."""


async def retried(method: str, call: Callable[[], Awaitable[T]], tries: int = START_TRIES,
                  first_wait: float = FIRST_WAIT) -> T:
    """Run a start-up call. Transient failures (network, timeouts, 5xx, 429) are retried up to
    `tries` times in all; a refusal (bad token, 400) stops at once."""
    wait = first_wait
    for attempt in range(1, tries + 1):
        try:
            return await call()
        except InvalidToken:  # its message holds the token: not repeated
            raise TelegramStartError(key="tg_token_refused", method=method) from None
        except BadRequest as exc:
            raise TelegramStartError(key="tg_call_refused", method=method, error=exc.message) from None
        except (NetworkError, RetryAfter) as exc:
            if attempt == tries:
                raise TelegramStartError(key="tg_start_failed", method=method, tries=tries,
                                         error=getattr(exc, "message", exc)) from None
            delay = min(MAX_WAIT, retry_seconds(exc)) if isinstance(exc, RetryAfter) else wait
            log.warning("Telegram %s failed (%s); try %d of %d in %.1f s", method, exc, attempt + 1, tries, delay)
            await _sleep(delay)
            wait = min(MAX_WAIT, wait * 2)
    raise AssertionError("unreachable")


async def initialize(application) -> None:
    """application.initialize() (getMe) with retries; on failure its HTTP sessions are closed."""
    try:
        await retried("getMe", application.initialize)
    except BaseException:
        await application.bot.shutdown()
        raise


async def initialize_bot(bot) -> None:
    """bot.initialize() (getMe) with retries; on failure its HTTP sessions are closed."""
    try:
        await retried("getMe", bot.initialize)
    except BaseException:
        await bot.shutdown()
        raise


async def register_commands(bot, default_locale: str) -> bool:
    """The command menu; False (logged) when the server refuses it: the bot works without."""
    from bot.channels.telegram.adapter import set_commands

    try:
        await set_commands(bot, default_locale)
        return True
    except TelegramError as exc:
        log.warning("the command menu was not registered (setMyCommands: %s); going on without it", exc)
        return False


# Young collections every YOUNG_THRESHOLD net container allocations instead of Python's 700: with
# 64 updates in flight, each holding its turn's objects, a 700 threshold ran a young collection
# every few updates, each scanning the in-flight objects again (bench/telegram_e2e.py, measured
# with gc.callbacks: 360 young, 32 middle and 2-3 full collections per 2,000 updates, ~0.1 ms of
# CPU per update; with 10,000: 4 young collections, ~0.01 ms per update). Garbage without cycles
# is freed by reference counting either way; at most this many more objects wait for a collection.
YOUNG_THRESHOLD = 10_000


def settle_heap() -> None:
    """Once per process, when serving starts: move everything built at start-up (the catalog, the
    search index, the loaded modules: most of the process's objects) out of the cyclic garbage
    collector's reach (gc.freeze). Its full collections, triggered by the objects every update
    allocates, otherwise walk all of them again: about a tenth of the CPU per update
    (bench/telegram_e2e.py). Later objects are collected as usual, young ones less often
    (YOUNG_THRESHOLD)."""
    global _heap_settled
    if not _heap_settled:
        _heap_settled = True
        gc.freeze()
        young, middle, old = gc.get_threshold()
        gc.set_threshold(max(YOUNG_THRESHOLD, young), middle, old)


_heap_settled = False
