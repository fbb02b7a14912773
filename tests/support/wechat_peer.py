"""WeChat's side of the callbacks, for tests and the benchmark: builds messages as WeChat's
servers do (signed; AES-encrypted in safe mode with wechatpy's crypto), posts them over HTTP,
and reads (decrypts) the passive replies."""

from __future__ import annotations

import itertools
import re
import secrets
from dataclasses import dataclass

import aiohttp
import xmltodict
from wechatpy.crypto import WeChatCrypto as OfficialAccountCrypto
from wechatpy.enterprise.crypto import WeChatCrypto as WeComCrypto

from bot.channels.wechat.signing import signature

TOKEN = "test-callback-token"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"  # 43 characters
APP_ID = "wx00000000000test"
CORP_ID = "ww00000000000test"
ACCOUNT = "gh_lawbot"


def shows_menu(text: str) -> bool:
    """The numbered-menu hint, whatever the number of choices."""
    return re.search(r"回复 1-\d+ 选择", text or "") is not None


def number_of(content: str, label: str) -> str:
    """The number to reply for the choice whose label contains `label`."""
    for line in content.splitlines():
        for item in line.split("　"):
            number, dot, rest = item.partition(". ")
            if dot and number.isdigit() and label in rest:
                return number
    raise AssertionError(f"no choice {label!r} in {content!r}")


@dataclass
class Answer:
    status: int
    body: str
    content: str | None = None  # the reply's Content, decrypted
    reply: dict | None = None


class WeChatPeer:
    def __init__(self, session: aiohttp.ClientSession, url: str, clock, *, token: str = TOKEN,
                 aes_key: str | None = None, receive_id: str = APP_ID, wecom: bool = False):
        self.session = session
        self.url = url
        self.clock = clock
        self.token = token
        self.wecom = wecom
        crypto_class = WeComCrypto if wecom else OfficialAccountCrypto
        self.crypto = crypto_class(token, aes_key, receive_id) if aes_key else None
        self._ids = itertools.count(10_000_000_001)

    def next_msg_id(self) -> int:
        return next(self._ids)

    def text_xml(self, user: str, content: str, msg_id: int | None = None) -> str:
        msg_id = msg_id or self.next_msg_id()
        content = content.replace("]]>", "]]]]><![CDATA[>")  # as any XML writer splits CDATA
        agent = "<AgentID>1000002</AgentID>" if self.wecom else ""
        return (f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName><FromUserName><![CDATA[{user}]]></FromUserName>"
                f"<CreateTime>{int(self.clock.now())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
                f"<Content><![CDATA[{content}]]></Content><MsgId>{msg_id}</MsgId>{agent}</xml>")

    def click_xml(self, user: str, key: str, create_time: int | None = None) -> str:
        return (f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName><FromUserName><![CDATA[{user}]]></FromUserName>"
                f"<CreateTime>{create_time or int(self.clock.now())}</CreateTime><MsgType><![CDATA[event]]></MsgType>"
                f"<Event><![CDATA[CLICK]]></Event><EventKey><![CDATA[{key}]]></EventKey></xml>")

    def signed(self, xml: str, *, timestamp: str | None = None, nonce: str | None = None) -> tuple[dict, str]:
        """(query, body) as WeChat sends them."""
        timestamp = timestamp or str(int(self.clock.now()))
        nonce = nonce or secrets.token_hex(8)
        query = {"timestamp": timestamp, "nonce": nonce, "signature": signature(self.token, timestamp, nonce)}
        if self.crypto is None:
            return query, xml
        envelope = xmltodict.parse(self.crypto.encrypt_message(xml, nonce, timestamp))["xml"]
        encrypted = envelope["Encrypt"]
        query.update(encrypt_type="aes", msg_signature=signature(self.token, timestamp, nonce, encrypted))
        if self.wecom:
            del query["signature"]
        body = (f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName>"
                f"<Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>")
        return query, body

    async def post(self, xml: str | None = None, *, query: dict | None = None, body: str | bytes | None = None,
                   **sign) -> Answer:
        if query is None:
            query, body = self.signed(xml, **sign)
        async with self.session.post(self.url, params=query, data=body,
                                     headers={"Content-Type": "text/xml"}) as response:
            text = await response.text()
            return self._read(response.status, text)

    def _read(self, status: int, text: str) -> Answer:
        if status != 200 or not text.startswith("<xml>"):
            return Answer(status, text)
        reply = xmltodict.parse(text)["xml"]
        if self.crypto is not None:
            inner = self.crypto.decrypt_message(text, reply["MsgSignature"], reply["TimeStamp"], reply["Nonce"])
            reply = xmltodict.parse(inner)["xml"]
        return Answer(status, text, reply.get("Content"), reply)

    async def say(self, user: str, content: str, msg_id: int | None = None) -> Answer:
        return await self.post(self.text_xml(user, content, msg_id))
