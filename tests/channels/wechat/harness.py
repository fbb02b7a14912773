"""A lawbot App with WeChat channels behind a real HTTP server on 127.0.0.1:<random port>."""

from __future__ import annotations

from contextlib import asynccontextmanager

import aiohttp

from bot.channels.wechat.adapter import WeChatSender, wechat_channels
from bot.httpserver import HttpServer
from bot.runner import drain_outbox
from tests.support.transcript import make_app
from tests.support.wechat_peer import AES_KEY, APP_ID, CORP_ID, TOKEN, WeChatPeer


def sections(mode: str, api_url: str | None = None, **extra) -> dict:
    """Config overrides. mode: plain | safe (Official Account) | wecom."""
    common = {"enabled": True, "token": TOKEN, **extra}
    if mode == "wecom":
        wecom = {**common, "corp_id": CORP_ID, "agent_id": 1000002, "encoding_aes_key": AES_KEY}
        if api_url:
            wecom.update(secret="wecom-secret", api_base_url=api_url)
        return {"wecom": wecom}
    wechat = {**common, "app_id": APP_ID}
    if mode == "safe":
        wechat["encoding_aes_key"] = AES_KEY
    if api_url:
        wechat.update(secret="app-secret", api_base_url=api_url)
    return {"wechat": wechat}


class Harness:
    def __init__(self, app, channel, server, peer):
        self.app, self.channel, self.server, self.peer = app, channel, server, peer

    async def drain(self, rounds: int = 20) -> int:
        """Deliver everything due, moving the clock past the outbox's per-chat pacing."""
        total = 0
        for _ in range(rounds):
            sent = await drain_outbox(self.app, self.channel.platform.name, WeChatSender(self.channel))
            total += sent
            if not sent:
                break
            self.app.clock.advance(5)
        return total


@asynccontextmanager
async def serve(tmp_path, clock, mode: str = "safe", api_url: str | None = None, max_body_bytes: int = 64 * 1024,
                **extra):
    app = await make_app(tmp_path, clock, **sections(mode, api_url, **extra))
    (channel,) = wechat_channels(app)
    server = HttpServer("127.0.0.1", 0, max_body_bytes, 2.0, channel.routes())
    await server.start()
    try:
        async with aiohttp.ClientSession() as session:
            aes = AES_KEY if mode in ("safe", "wecom") else None
            peer = WeChatPeer(session, server.url + channel.platform.path, clock, aes_key=aes,
                              receive_id=CORP_ID if mode == "wecom" else APP_ID, wecom=mode == "wecom")
            yield Harness(app, channel, server, peer)
    finally:
        await server.stop()
        await channel.close()
        await app.close()
