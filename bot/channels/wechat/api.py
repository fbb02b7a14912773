"""The message APIs (客服消息 for the Official Account, 应用消息 for WeCom) through wechatpy's
clients, which cache the access token and renew it when WeChat says it expired. The clients use
`requests`, so calls run in a worker thread. `api_base_url` points them at another server (the
tests' fake API on 127.0.0.1), including the token endpoint that wechatpy hard-codes."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from wechatpy import WeChatClient
from wechatpy.enterprise import WeChatClient as WeComClient

API_TIMEOUT = 10.0


class _OfficialAccountClient(WeChatClient):
    def __init__(self, base_url: str, app_id: str, secret: str):
        super().__init__(app_id, secret, timeout=API_TIMEOUT)
        self.API_BASE_URL = base_url if base_url.endswith("/") else base_url + "/"

    def fetch_access_token(self):
        return self._fetch_access_token(url=f"{self.API_BASE_URL}token", params={
            "grant_type": "client_credential", "appid": self.appid, "secret": self.secret})


class _WeComClient(WeComClient):
    def __init__(self, base_url: str, corp_id: str, secret: str):
        super().__init__(corp_id, secret, timeout=API_TIMEOUT)
        self.API_BASE_URL = base_url if base_url.endswith("/") else base_url + "/"

    def fetch_access_token(self):
        return self._fetch_access_token(url=f"{self.API_BASE_URL}gettoken", params={
            "corpid": self.corp_id, "corpsecret": self.secret})


class MessageApi:
    """Sends one text message to one user; raises wechatpy's WeChatClientException on errors."""

    def __init__(self, send: Callable[[str, str], object]):
        self._send = send

    async def send_text(self, user_id: str, text: str) -> None:
        await asyncio.to_thread(self._send, user_id, text)


def official_account_api(base_url: str, app_id: str, secret: str) -> MessageApi:
    client = _OfficialAccountClient(base_url, app_id, secret)
    return MessageApi(lambda openid, text: client.message.send_text(openid, text))


def wecom_api(base_url: str, corp_id: str, secret: str, agent_id: int) -> MessageApi:
    client = _WeComClient(base_url, corp_id, secret)
    return MessageApi(lambda userid, text: client.message.send_text(agent_id, userid, text))
