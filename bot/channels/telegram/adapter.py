"""The Telegram channel: `lawbot run`. A python-telegram-bot Application whose handlers hand every
update to ChatService.handle and turn the replies into Bot API calls; long polling; the outbox
sender for proactive messages (exam results at the deadline, reminders).

Per user, updates are handled one at a time and in order (a double tap cannot overtake itself);
different users are handled concurrently.
"""

from __future__ import annotations

import asyncio
import datetime as dtm
import json
import logging
import warnings
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from functools import partial
from typing import Any, TypeVar

from telegram import Bot, BotCommand, InputFile, Update
from telegram.error import BadRequest, ChatMigrated, Forbidden, InvalidToken, NetworkError, RetryAfter, TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    BaseUpdateProcessor,
    ContextTypes,
    ExtBot,
    TypeHandler,
)
from telegram.warnings import PTBUserWarning

from bot.app.messages import Attachment, Choice, Reply
from bot.channels.delivery import Delivery
from bot.channels.ordering import KeyedLocks
from bot.channels.telegram.aiohttp_request import AiohttpRequest, retry_seconds
from bot.channels.telegram.inbound import Document, RawUpdate, chat_id_of, inbound_of, raw_update
from bot.channels.telegram.render import Part, caption_fits, keyboard, render
from bot.config import ConfigError
from bot.texts import LOCALES, tr

log = logging.getLogger(__name__)

COMMANDS = ("start", "help", "practice", "exam", "wrong", "review", "remind", "me", "lang", "cancel")
ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY]
MAX_CONCURRENT_UPDATES = 64
MAX_RETRY_AFTER = 60.0  # obey a 429 up to this long inline; longer waits fail the call
OUTBOX_RATE = 25.0  # proactive messages per second, under Telegram's ~30/s overall

T = TypeVar("T")
_sleep = asyncio.sleep  # tests replace it to check 429 handling without waiting

# Replies go out as raw Bot API calls: on the aiohttp backend through AiohttpRequest.call (one
# JSON body, the answer's JSON back), otherwise through Bot.do_api_request, python-telegram-bot's
# public call for any method. Either hands back the raw result instead of building a Message
# object (and its chat, user and keyboard objects) per call, which cost more CPU than the call
# itself. do_api_request warns that a named method exists; that choice is deliberate here.
warnings.filterwarnings("ignore", message=r"Please use 'Bot\.\w+' instead of 'Bot\.do_api_request",
                        category=PTBUserWarning)


async def api_call(bot: Bot, method: str, params: dict[str, Any]) -> Any:
    """One Bot API call by name with JSON-ready parameters (reply_markup may be JSON text); the
    raw result (a dict or True). Errors are python-telegram-bot's (RetryAfter, BadRequest,
    Forbidden, NetworkError ...)."""
    request = bot.request
    if isinstance(request, AiohttpRequest):
        return await request.call(f"{bot.base_url}/{method}", params)
    return await bot.do_api_request(method, api_kwargs=params)


class ChannelBot(ExtBot):
    """The Application's Bot. getUpdates goes through AiohttpRequest.call and hands back each
    update as a RawUpdate (the Bot API's JSON, read by bot.channels.telegram.inbound) instead of
    python-telegram-bot's object tree; every other method is ExtBot's own."""

    __slots__ = ("_poll",)

    def __init__(self, token: str, request: AiohttpRequest, get_updates_request: AiohttpRequest, **kwargs: Any):
        super().__init__(token, request=request, get_updates_request=get_updates_request, **kwargs)
        self._poll = get_updates_request

    async def get_updates(self, offset: int | None = None, limit: int | None = None,  # type: ignore[override]
                          timeout: int | float | dtm.timedelta | None = None,
                          allowed_updates: Sequence[str] | None = None, *, read_timeout: Any = None,
                          write_timeout: Any = None, connect_timeout: Any = None, pool_timeout: Any = None,
                          api_kwargs: dict[str, Any] | None = None) -> tuple[Update, ...]:
        seconds = timeout.total_seconds() if isinstance(timeout, dtm.timedelta) else timeout
        if isinstance(seconds, float) and seconds.is_integer():
            seconds = int(seconds)
        params: dict[str, Any] = {k: v for k, v in (("offset", offset), ("limit", limit), ("timeout", seconds),
                                                    ("allowed_updates", allowed_updates)) if v is not None}
        if api_kwargs:
            params.update(api_kwargs)
        # as Bot.get_updates: the read timeout is the request's (or the given) one plus the long poll
        base = read_timeout if isinstance(read_timeout, (int, float)) else (self._poll.read_timeout or 0)
        result = await self._poll.call(f"{self.base_url}/getUpdates", params, read_timeout=base + (seconds or 0))
        if not isinstance(result, list):
            raise TelegramError("Invalid server response")
        updates = [u for u in map(raw_update, result) if u is not None]
        if len(updates) < len(result):
            log.warning("getUpdates: %d update(s) without an update_id ignored", len(result) - len(updates))
        return tuple(updates)


async def call_api(make_call: Callable[[], Awaitable[T]]) -> T:
    """One Bot API call; on 429 wait the `retry_after` Telegram asks for, then try once more."""
    try:
        return await make_call()
    except RetryAfter as exc:
        wait = retry_seconds(exc)
        if wait > MAX_RETRY_AFTER:
            raise
        log.warning("Telegram asked to retry after %.1f s", wait)
        await _sleep(wait)
        return await make_call()


def _message_params(chat_id: int, part: Part) -> dict[str, Any]:
    """sendMessage's parameters for one text part (its keyboard as reply_markup JSON text)."""
    params: dict[str, Any] = {"chat_id": chat_id, "text": part.text}
    if part.markup is not None:
        params["reply_markup"] = part.markup
    return params


def _not_modified(exc: BadRequest) -> bool:
    return "not modified" in str(exc).lower()


class PerUserUpdateProcessor(BaseUpdateProcessor):
    """Concurrent across users, sequential and in arrival order for each user."""

    def __init__(self, max_concurrent_updates: int = MAX_CONCURRENT_UPDATES):
        super().__init__(max_concurrent_updates)
        self._locks = KeyedLocks()  # user id -> lock, while that user has updates in flight

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        user_id: int | None = None
        if isinstance(update, RawUpdate):
            inbound = update.inbound
            user_id = inbound.user_id if inbound is not None else None
        elif isinstance(update, Update):
            user = update.effective_user
            user_id = user.id if user is not None else None
        if user_id is None:
            await coroutine
            return
        async with self._locks.hold(user_id):
            await coroutine

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass


class TelegramChannel:
    """The handlers: translate, call the core, deliver the replies."""

    def __init__(self, service, max_download: int = 10 * 1024 * 1024):
        self.service = service
        self.max_download = max_download  # bytes; larger files reach the core undownloaded (size only)

    async def on_update(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        inbound = inbound_of(update)
        if inbound is None:
            return
        bot = context.bot
        incoming = inbound.incoming
        if inbound.document is not None:
            incoming = replace(incoming, attachment=await self._download(bot, inbound.document))
        query_id = inbound.callback_id
        # Stop the client's spinner while the core works; its failure (a query older than
        # Telegram keeps) must not lose the reply.
        answering = asyncio.create_task(self._answer(bot, query_id)) if query_id is not None else None
        try:
            replies = await self.service.handle(incoming)
            await self.deliver(bot, inbound.chat_id, replies, inbound.editable)
        finally:
            if answering is not None:
                await answering

    async def _download(self, bot, document: Document) -> Attachment:
        """getFile + the file download; over the cap (declared or actual) only the size goes on."""
        if document.file_size is not None and document.file_size > self.max_download:
            return Attachment(document.file_name, b"", "document", size=document.file_size)
        try:
            file = await call_api(lambda: bot.get_file(document.file_id))
            data = bytes(await file.download_as_bytearray())
        except BadRequest as exc:
            if "too big" not in str(exc).lower():
                raise
            return Attachment(document.file_name, b"", "document", size=max(document.file_size or 0, self.max_download + 1))
        if len(data) > self.max_download:
            return Attachment(document.file_name, b"", "document", size=len(data))
        return Attachment(document.file_name, data, "document")

    @staticmethod
    async def _answer(bot: Bot, query_id: str) -> None:
        try:
            await call_api(partial(api_call, bot, "answerCallbackQuery", {"callback_query_id": query_id}))
        except TelegramError as exc:
            log.info("could not answer callback query %s: %s", query_id, exc)

    async def deliver(self, bot, chat_id: int, replies: list[Reply], editable: tuple[int, int] | None = None) -> None:
        """Send the replies in order. The first Reply with edit=True replaces the message whose
        button was pressed (`editable`: its chat id and message id), when there is one and the
        reply fits in one message."""
        for reply in replies:
            parts = render(reply)
            if reply.attachment is not None:
                await self._send_attachment(bot, chat_id, reply, parts)
                continue
            if not parts:
                log.error("empty reply text for chat %s dropped", chat_id)
                continue
            if reply.edit and editable is not None and len(parts) == 1:
                target, editable = editable, None
                if await self._edit(bot, target, parts[0]):
                    continue
            for part in parts:
                await self._send(bot, chat_id, part)

    @staticmethod
    async def _send(bot: Bot, chat_id: int, part: Part) -> None:
        await call_api(partial(api_call, bot, "sendMessage", _message_params(chat_id, part)))

    @staticmethod
    async def _edit(bot: Bot, message: tuple[int, int], part: Part) -> bool:
        """True when the message (chat id, message id) shows the part (edited, or already identical)."""
        chat_id, message_id = message
        params = _message_params(chat_id, part)
        params["message_id"] = message_id
        try:
            await call_api(partial(api_call, bot, "editMessageText", params))
            return True
        except BadRequest as exc:
            if _not_modified(exc):
                return True
            log.info("editing message %s in chat %s failed (%s); sending a new one", message_id, chat_id, exc)
            return False

    async def _send_attachment(self, bot: Bot, chat_id: int, reply: Reply, parts: list[Part]) -> None:
        attachment = reply.attachment
        if attachment is None:
            return
        markup = keyboard(reply.choices)
        caption = reply.text if caption_fits(reply.text) else None
        if caption is None:
            for part in parts:  # a long text goes first, without the keyboard
                await self._send(bot, chat_id, Part(part.text))
        send = bot.send_photo if attachment.kind == "image" else bot.send_document
        field = "photo" if attachment.kind == "image" else "document"
        async def call():
            upload = InputFile(attachment.data, filename=attachment.filename)
            return await send(chat_id=chat_id, caption=caption, reply_markup=markup, **{field: upload})

        await call_api(call)


class TelegramSender:
    """Delivers outbox messages to `tg:<id>` users, paced under Telegram's overall limit."""

    def __init__(self, bot, rate: float = OUTBOX_RATE):
        self.bot = bot
        self._interval = 1.0 / rate if rate > 0 else 0.0
        self._next = 0.0
        self._parts: dict[str, list[Part]] = {}

    async def send(self, user: str, payload: dict) -> bool:
        chat_id = chat_id_of(user)
        if chat_id is None:
            return False
        for part in self._rendered(payload):
            await self._pace()
            try:
                await TelegramChannel._send(self.bot, chat_id, part)
            except Forbidden:
                log.info("user %s blocked the bot; outbox message not delivered", user)
                raise
        return True

    async def deliver(self, user: str, payload: dict) -> Delivery:
        """The outbox sender's interface (bot.scheduler.delivery): one try, no pacing and no
        inline 429 wait here — the channel's OutboxSender owns the rates and the retries."""
        chat_id = chat_id_of(user)
        if chat_id is None:
            return Delivery.permanent(f"not a Telegram user key: {user!r}")
        parts = self._rendered(payload)
        if not parts:
            return Delivery.permanent("empty message")
        for part in parts:
            try:
                # the raw call: PTB's errors (RetryAfter, Forbidden ...) without building a Message
                # object per send, which costs more CPU than the send itself at broadcast rates
                await api_call(self.bot, "sendMessage", _message_params(chat_id, part))
            except TelegramError as exc:
                return delivery_of(exc)
        return Delivery.sent()

    def _rendered(self, payload: dict) -> list[Part]:
        """The payload's message parts; a broadcast renders its payload once."""
        key = json.dumps(payload, ensure_ascii=False, sort_keys=True)
        cached = self._parts.get(key)
        if cached is None:
            choices = [[Choice(str(label), str(action)) for label, action in row] for row in payload.get("choices", [])]
            cached = render(Reply(str(payload.get("text", "")), choices))
            if len(self._parts) >= 256:
                self._parts.clear()
            self._parts[key] = cached
        return cached

    async def _pace(self) -> None:
        loop = asyncio.get_running_loop()
        now = loop.time()
        if self._next > now:
            await asyncio.sleep(self._next - now)
            now = loop.time()
        self._next = max(now, self._next) + self._interval


def delivery_of(exc: TelegramError) -> Delivery:
    """A Bot API error as an outbox outcome: 429 -> wait retry_after, 403 -> blocked, 400 ->
    permanent, network errors and 5xx (PTB raises NetworkError for them) -> transient."""
    if isinstance(exc, RetryAfter):
        return Delivery.wait(retry_seconds(exc), exc.message)
    if isinstance(exc, Forbidden):
        return Delivery.blocked(str(exc))
    if isinstance(exc, (BadRequest, ChatMigrated, InvalidToken)):
        return Delivery.permanent(str(exc))
    if isinstance(exc, NetworkError):
        return Delivery.transient(str(exc))
    return Delivery.transient(repr(exc))


def command_menu(locale: str) -> list[BotCommand]:
    return [BotCommand(name, tr(locale, f"cmd_{name}")) for name in COMMANDS]


async def set_commands(bot, default_locale: str = "zh") -> None:
    """The command menu in the default locale (Chinese) for everyone, and in each other locale
    for clients set to that language (English: language_code="en")."""
    await bot.set_my_commands(command_menu(default_locale))
    for locale in LOCALES:
        if locale != default_locale:
            await bot.set_my_commands(command_menu(locale), language_code=locale)


async def _log_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    log.error("error while handling update %s", getattr(update, "update_id", None), exc_info=context.error)


def build_application(app, token: str, *, base_url: str | None = None, base_file_url: str | None = None,
                      poll_timeout: int = 10, connect_timeout: float = 10.0,
                      max_concurrent_updates: int = MAX_CONCURRENT_UPDATES, polling: bool = True) -> Application:
    """The python-telegram-bot Application for this App, not started (tests drive it). With
    polling=False it has no Updater: updates come from the webhook (bot/channels/telegram/webhook.py)."""
    if not token:
        raise ConfigError("telegram: no bot token")
    # aiohttp's client instead of PTB's default httpx: it writes a request in one go and costs
    # a fraction of the CPU per Bot API call (see aiohttp_request.py and bench/telegram_e2e.py)
    urls = {k: v for k, v in (("base_url", base_url), ("base_file_url", base_file_url)) if v}
    bot = ChannelBot(token, request=AiohttpRequest(connection_pool_size=max(8, max_concurrent_updates * 2),
                                                   connect_timeout=connect_timeout),
                     get_updates_request=AiohttpRequest(connection_pool_size=1, connect_timeout=connect_timeout,
                                                        read_timeout=poll_timeout + 10),
                     **urls)
    builder = (ApplicationBuilder().bot(bot)
               .concurrent_updates(PerUserUpdateProcessor(max_concurrent_updates))
               .job_queue(None))
    if not polling:  # webhook: updates come from bot/channels/telegram/webhook.py
        builder = builder.updater(None)
    application = builder.build()
    channel = TelegramChannel(app.service, max_download=app.config.bank.upload_max_mb * 1024 * 1024)
    application.bot_data["channel"] = channel
    application.bot_data["default_locale"] = app.config.default_locale
    # every Update: the RawUpdates of getUpdates and the webhook, and Updates built elsewhere;
    # messages and pressed buttons reach the core, anything else is ignored (inbound.parse_update)
    application.add_handler(TypeHandler(Update, channel.on_update))
    application.add_error_handler(_log_error)
    return application


async def start_bot(application: Application, poll_timeout: int = 10, register_commands: bool = True) -> None:
    """After `application.initialize()`: register the command menu (a refusal is only logged),
    start dispatching, poll (deleteWebhook retried, see bot.channels.telegram.startup)."""
    from bot.channels.telegram import startup

    if register_commands:
        await startup.register_commands(application.bot, application.bot_data.get("default_locale", "zh"))
    await application.start()
    startup.settle_heap()
    updater = application.updater
    if updater is None:
        raise ConfigError("telegram: polling needs an Application with an Updater (build_application(polling=True))")
    await startup.retried("deleteWebhook", lambda: updater.start_polling(
        poll_interval=0.0, timeout=poll_timeout, allowed_updates=ALLOWED_UPDATES, drop_pending_updates=False))
