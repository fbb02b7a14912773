"""The WeChat Official Account and WeCom app callbacks (aiohttp handlers on the one HTTP server),
the 5-second rule, and the outbox senders for `wx` and `wecom`.

A callback is authenticated (timestamp window, signature in constant time, nonce not seen
before), decrypted in safe mode, parsed, and answered with a passive reply. The turn runs in a
task keyed by the message (MsgId, or FromUserName+CreateTime+Event+EventKey for events): WeChat's retries of a
message join that task and get the same answer, so a message is processed once. An answer that
does not fit in one message continues through the message API via the outbox; an answer not
ready within `reply_timeout_seconds` is replaced by a short note and delivered the same way
(without API credentials the request waits and WeChat's retry collects the answer).
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from dataclasses import dataclass

from aiohttp import web
from wechatpy.crypto import WeChatCrypto as OfficialAccountCrypto
from wechatpy.enterprise.crypto import WeChatCrypto as WeComCrypto
from wechatpy.exceptions import WeChatClientException
from wechatpy.replies import TextReply

from bot.app.messages import Choice, Reply
from bot.channels.delivery import Delivery, Outcome
from bot.channels.ordering import KeyedLocks
from bot.channels.wechat.api import MessageApi, official_account_api, wecom_api
from bot.channels.wechat.inbound import (
    WECOM,
    WX,
    Callback,
    MalformedCallback,
    encrypted_field,
    parse_callback,
    to_incoming,
    user_id_of,
    user_key,
)
from bot.channels.wechat.render import Rendered, messages, render
from bot.channels.wechat.signing import Cipher, Refused, ReplayGuard, check_signature, cipher
from bot.config import ConfigError
from bot.texts import tr

log = logging.getLogger(__name__)

PENDING_TTL = 60.0  # seconds a message's answer is kept for WeChat's retries (they come within ~15 s)
PENDING_LIMIT = 20_000
RETRY_HOLD = 14.0  # without the message API: how long a request waits for a slow answer


@dataclass
class Platform:
    """One WeChat account: the OA (`wx`) or a WeCom app (`wecom`)."""
    name: str
    token: str
    crypto: OfficialAccountCrypto | WeComCrypto | None  # encrypts replies; None: OA plain mode
    prp: Cipher | None  # wechatpy's PrpCrypto: decrypts callbacks (AES-CBC, receiver id checked)
    receive_id: str  # the app id / corp id the AES payload must end with
    api: MessageApi | None
    path: str
    reply_timeout: float
    max_reply_bytes: int
    window: int
    nonce_cache_size: int


@dataclass
class _Pending:
    task: asyncio.Task
    created: float
    late: bool = False  # the answer was handed to the outbox: retries get an empty reply


def _cdata_safe(text: str) -> str:
    """wechatpy puts Content in CDATA verbatim: split any "]]>" so the XML stays well-formed."""
    return text.replace("]]>", "]]]]><![CDATA[>")


class WeChatChannel:
    def __init__(self, app, platform: Platform):
        self.app = app
        self.service = app.service
        self.storage = app.storage
        self.platform = platform
        self.guard = ReplayGuard(app.clock, platform.window, platform.nonce_cache_size)
        self._pending: OrderedDict[str, _Pending] = OrderedDict()
        self._tasks: set[asyncio.Task] = set()
        self._locks = KeyedLocks()

    def routes(self) -> list[web.RouteDef]:
        return [web.get(self.platform.path, self.verify_url), web.post(self.platform.path, self.on_callback)]

    # --- HTTP handlers ---------------------------------------------------------------
    async def verify_url(self, request: web.Request) -> web.Response:
        """The admin console's URL check: echo `echostr` (decrypted, for WeCom)."""
        q = request.query
        timestamp, nonce, echo = q.get("timestamp", ""), q.get("nonce", ""), q.get("echostr", "")
        try:
            self.guard.check_time(timestamp)
            if self.platform.name == WECOM:
                check_signature(q.get("msg_signature"), self.platform.token, timestamp, nonce, echo)
                echo = self._decrypt(echo)
            else:
                check_signature(q.get("signature"), self.platform.token, timestamp, nonce)
            if await self._replayed(timestamp, nonce):
                raise Refused("replayed nonce")
        except Refused as exc:
            return self._refuse(request, str(exc))
        except MalformedCallback as exc:
            return self._malformed(request, str(exc))
        return web.Response(text=echo, content_type="text/plain")

    async def on_callback(self, request: web.Request) -> web.Response:
        q = request.query
        timestamp, nonce = q.get("timestamp", ""), q.get("nonce", "")
        try:
            self.guard.check_time(timestamp)
            body = await request.read()  # over http.max_body_bytes: aiohttp answers 413
            message: bytes | str = body
            if self.platform.crypto is not None:
                encrypted = encrypted_field(body)
                check_signature(q.get("msg_signature"), self.platform.token, timestamp, nonce, encrypted)
                message = self._decrypt(encrypted)
            else:
                check_signature(q.get("signature"), self.platform.token, timestamp, nonce)
            callback = parse_callback(message, self.platform.name)
            key = callback.dedupe_key(self.platform.name)
            if await self._replayed(timestamp, nonce) and key not in self._pending:
                raise Refused("replayed nonce")
        except Refused as exc:
            return self._refuse(request, str(exc))
        except MalformedCallback as exc:
            return self._malformed(request, str(exc))
        text = await self._answer(callback, key)
        if not text:
            return web.Response(text="success", content_type="text/plain")
        xml = TextReply(source=callback.account, target=callback.user_id, content=_cdata_safe(text),
                        time=int(self.app.clock.now())).render()
        if self.platform.crypto is not None:
            xml = self.platform.crypto.encrypt_message(xml, nonce, timestamp)
        return web.Response(text=xml, content_type="application/xml")

    async def _replayed(self, timestamp: str, nonce: str) -> bool:
        """Was this (timestamp, nonce) seen before, by this worker or any other on the database?
        The local cache answers first; otherwise the pair is recorded in the update-id table
        (processed_updates, pruned with it), so a request replayed to another worker behind the
        load balancer is refused there too."""
        if self.guard.seen_before(timestamp, nonce):  # also refuses a missing or odd nonce
            return True
        key = f"nonce:{self.platform.name}:{timestamp}:{nonce}"
        return not await self.storage.updates.first_seen(key, self.app.clock.now())

    def _decrypt(self, encrypted: str) -> str:
        if self.platform.prp is None:  # only called in safe mode, where the cipher is set
            raise MalformedCallback("encrypted payload without an EncodingAESKey")
        try:
            return self.platform.prp.decrypt(encrypted, self.platform.receive_id)
        except Exception as exc:  # noqa: BLE001 - bad base64, padding, receiver id: all malformed
            raise MalformedCallback(f"cannot decrypt: {type(exc).__name__}") from None

    def _refuse(self, request: web.Request, why: str) -> web.Response:
        log.warning("%s callback from %s refused: %s", self.platform.name, request.remote, why)
        return web.Response(status=403, text="forbidden")

    def _malformed(self, request: web.Request, why: str) -> web.Response:
        log.warning("%s callback from %s malformed: %s", self.platform.name, request.remote, why)
        return web.Response(status=400, text="bad request")

    # --- the 5-second rule ---------------------------------------------------------------
    async def _answer(self, callback: Callback, key: str) -> str | None:
        """The passive reply for this message (None: an empty "success"). Retries of a message
        join the first delivery's task instead of processing it again."""
        loop = asyncio.get_running_loop()
        arrived = loop.time()
        self._forget_old(arrived)
        entry = self._pending.get(key)
        if entry is None:
            entry = _Pending(self._spawn(self._turn(callback)), arrived)
            self._pending[key] = entry
        if entry.late:
            return None
        user = user_key(self.platform.name, callback.user_id)
        try:
            answer = await asyncio.wait_for(asyncio.shield(entry.task), self.platform.reply_timeout)
        except TimeoutError:
            return await self._answer_late(entry, user, key)
        except Exception:
            log.exception("%s turn %s failed", self.platform.name, key)
            return None
        if not answer:
            return None
        await self._enqueue(user, key, answer[1:], "more")
        return answer[0]

    async def _answer_late(self, entry: _Pending, user: str, key: str) -> str | None:
        """The answer is not ready within the budget: a short note now and the answer through
        the message API later; or, without the API, hold on so that WeChat's retry gets it."""
        if self.platform.api is not None:
            entry.late = True
            self._spawn(self._deliver_late(entry, user, key))
            return tr(await self.service.locale_of(user), "wx_later")
        try:  # no message API: keep WeChat waiting; its retry collects the answer
            answer = await asyncio.wait_for(asyncio.shield(entry.task), RETRY_HOLD)
        except Exception:  # noqa: BLE001 - timeout or a failed turn: nothing to say
            return None
        return answer[0] if answer else None

    async def _turn(self, callback: Callback) -> list[str]:
        """Run the turn; the messages to send (the first is the passive reply). The core resolves
        a typed number and stores the numbered menu inside the user's turn (which also orders
        this user's turns across workers); the lock here keeps arrival order in this process."""
        user = user_key(self.platform.name, callback.user_id)
        async with self._locks.hold(user):
            incoming = to_incoming(callback, self.platform.name)
            if incoming is None:
                return []
            replies = await self.service.handle(incoming)
            locale = await self.service.locale_of(user)
            return self.texts(render(replies, locale), locale)

    def texts(self, rendered: Rendered, locale: str) -> list[str]:
        """Rendered replies as WeChat messages: choices as a numbered menu, split to fit."""
        if not rendered.body and not rendered.menu:
            return []
        return messages(rendered, locale, self.platform.max_reply_bytes, self.platform.api is not None)

    async def present(self, user: str, replies: list[Reply]) -> list[str]:
        """Outside a turn (an outbox message): render the replies and store the numbered menu
        they show, so a number typed next picks from it."""
        locale = await self.service.locale_of(user)
        rendered = render(replies, locale)
        if rendered.actions is not None:
            await self.storage.sessions.set_menu(user, rendered.actions, self.app.clock.now())
        return self.texts(rendered, locale)

    async def _deliver_late(self, entry: _Pending, user: str, key: str) -> None:
        try:
            answer = await entry.task
        except Exception:
            log.exception("%s turn %s failed", self.platform.name, key)
            return
        await self._enqueue(user, key, answer, "late")

    async def _enqueue(self, user: str, key: str, texts: list[str], kind: str) -> None:
        now = self.app.clock.now()
        for i, text in enumerate(texts):  # dedupe keys: a retry cannot queue a message twice
            await self.storage.outbox.enqueue(self.platform.name, user, {"text": text}, f"{key}:{kind}:{i}", now)

    def _spawn(self, coro) -> asyncio.Task:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def _forget_old(self, now: float) -> None:
        while self._pending:
            key, oldest = next(iter(self._pending.items()))
            if now - oldest.created < PENDING_TTL and len(self._pending) < PENDING_LIMIT:
                break
            del self._pending[key]

    async def close(self) -> None:
        """Wait for turns and late deliveries still running (graceful shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)


class WeChatSender:
    """Delivers outbox messages (`wx` / `wecom`) through the message API (the channel's
    OutboxSender paces it); maps WeChat's error codes onto outbox outcomes (bot.scheduler.delivery)."""

    def __init__(self, channel: WeChatChannel):
        self.channel = channel
        self.platform = channel.platform

    async def deliver(self, user: str, payload: dict) -> Delivery:
        user_id = user_id_of(self.platform.name, user)
        if user_id is None:
            return Delivery.permanent(f"not a {self.platform.name} user key: {user!r}")
        if self.platform.api is None:
            return Delivery(Outcome.NOT_MINE, detail="no message API credentials")
        choices = [[Choice(str(label), str(action)) for label, action in row] for row in payload.get("choices", [])]
        texts = await self.channel.present(user, [Reply(str(payload.get("text", "")), choices)])
        if not texts:
            return Delivery.permanent("empty message")
        for text in texts:
            try:
                await self.platform.api.send_text(user_id, text)
            except WeChatClientException as exc:
                return delivery_of(exc)
            except Exception as exc:  # noqa: BLE001 - network and the like: try again later
                return Delivery.transient(repr(exc))
        return Delivery.sent()


_UNREACHABLE = {43004, 43019, 48001}  # unsubscribed / blocked / API not authorised: stop for good
_PERMANENT = {40003, 45015, 60111, 81013, 40013, 44004, 45002}  # bad user id, 48 h window closed,
# not a member / not visible to the app, bad app id, empty or too long content
_SLOW_DOWN = {45009, 45047, 45011}  # frequency / quota limits


def delivery_of(exc: WeChatClientException) -> Delivery:
    code = exc.errcode
    detail = f"{code}: {exc.errmsg}"
    if code in _UNREACHABLE:
        return Delivery.blocked(detail)
    if code in _PERMANENT:
        return Delivery.permanent(detail)
    if code in _SLOW_DOWN:
        return Delivery.wait(60.0, detail)
    return Delivery.transient(detail)


def _platform(name: str, section, receive_id: str | None, api: MessageApi | None) -> Platform:
    token = section.resolved_token()
    if not token:
        raise ConfigError(f"{name}: no callback token: set {name}.token or {section.env_prefix}_TOKEN")
    aes_key = section.resolved_aes_key()
    crypto = prp = None
    if aes_key:
        if not receive_id:
            raise ConfigError(f"{name}: safe mode needs the {'corp_id' if name == 'wecom' else 'app_id'}")
        try:
            crypto = (WeComCrypto if name == "wecom" else OfficialAccountCrypto)(token, aes_key, receive_id)
        except Exception:  # noqa: BLE001 - bad base64 or length
            raise ConfigError(f"{name}: encoding_aes_key is not a valid EncodingAESKey") from None
        prp = cipher(name == "wecom", crypto.key)
    return Platform(name=WECOM if name == "wecom" else WX, token=token, crypto=crypto, prp=prp,
                    receive_id=receive_id or "", api=api, path=section.path,
                    reply_timeout=section.reply_timeout_seconds, max_reply_bytes=section.max_reply_bytes,
                    window=section.timestamp_window_seconds, nonce_cache_size=section.nonce_cache_size)


def official_account_platform(config) -> Platform:
    section = config.wechat
    secret = section.resolved_secret()
    api = official_account_api(section.api_base_url, section.app_id, secret) if secret and section.app_id else None
    return _platform("wechat", section, section.app_id, api)


def wecom_platform(config) -> Platform:
    section = config.wecom
    if not section.corp_id:
        raise ConfigError("wecom: corp_id is required")
    if not section.resolved_aes_key():
        raise ConfigError(f"wecom: encoding_aes_key is required (WeCom always encrypts): set wecom.encoding_aes_key "
                          f"or {section.env_prefix}_AES_KEY")
    secret = section.resolved_secret()
    api = None
    if secret:
        if section.agent_id is None:
            raise ConfigError("wecom: agent_id is required to send messages")
        api = wecom_api(section.api_base_url, section.corp_id, secret, section.agent_id)
    return _platform("wecom", section, section.corp_id, api)


def wechat_channels(app) -> list[WeChatChannel]:
    """The enabled WeChat channels of this App's config."""
    channels = []
    if app.config.wechat.enabled:
        channels.append(WeChatChannel(app, official_account_platform(app.config)))
    if app.config.wecom.enabled:
        channels.append(WeChatChannel(app, wecom_platform(app.config)))
    return channels
