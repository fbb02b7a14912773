"""`lawbot run` from one config: Telegram (webhook or polling), WeChat and WeCom on one HTTP
server, /healthz, and a graceful stop that finishes the requests in flight."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest

from bot.config import ConfigError
from bot.serving import serve
from tests.channels.wechat.harness import sections
from tests.support.fake_bot_api import TOKEN, FakeBotApi
from tests.support.transcript import config_for
from tests.support.wechat_peer import AES_KEY, CORP_ID, WeChatPeer, shows_menu

SECRET = "s3cret-Token_1"
OPENID = "oServeUser0000000000001"


class Served:
    """serve() running in a task until stopped."""

    def __init__(self, config):
        self.config = config
        self.stop = asyncio.Event()
        self.ready: asyncio.Future = asyncio.get_running_loop().create_future()
        self.task = asyncio.create_task(serve(config, stop=self.stop, port=0, on_ready=self.ready.set_result))

    async def __aenter__(self):
        done, _ = await asyncio.wait([self.ready, self.task], timeout=60, return_when=asyncio.FIRST_COMPLETED)
        if self.task in done:
            self.task.result()  # raises what serve raised
        return self.ready.result()

    async def __aexit__(self, *exc):
        self.stop.set()
        assert await asyncio.wait_for(self.task, 10) == 0


def _config(tmp_path, api: FakeBotApi | None = None, mode: str = "webhook", **extra):
    telegram = {}
    if api is not None:
        telegram = {"token": TOKEN, "base_url": api.base_url, "mode": mode, "poll_timeout": 1,
                    "webhook_url": "https://bot.example.org/telegram", "secret_token": SECRET}
    return config_for(tmp_path, telegram=telegram, **extra)


def _update(api: FakeBotApi, update_id: int, user: int, text: str) -> dict:
    return {"update_id": update_id, **api.text_update(user, text)}


async def test_one_config_serves_telegram_webhook_wechat_and_wecom(tmp_path, clock):
    async with FakeBotApi() as api:
        config = _config(tmp_path, api, **sections("safe"), **sections("wecom"))
        async with Served(config) as running, aiohttp.ClientSession() as session:
            base = running.server.url
            async with session.get(f"{base}/healthz") as response:
                assert response.status == 200 and (await response.json())["status"] == "ok"
            (call,) = api.calls_of("setWebhook")
            assert call.params["url"] == "https://bot.example.org/telegram"
            assert call.params["secret_token"] == SECRET
            # Telegram: without or with a wrong secret header -> 403, not processed
            update = _update(api, 1, 4242, "/start")
            for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "wrong"}):
                async with session.post(f"{base}/telegram", json=update, headers=headers) as response:
                    assert response.status == 403
            async with session.post(f"{base}/telegram", data=b"{not json",
                                    headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}) as response:
                assert response.status == 400
            assert api.calls_of("sendMessage") == []
            async with session.post(f"{base}/telegram", json=update,
                                    headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}) as response:
                assert response.status == 200
            (sent,) = await api.wait_calls("sendMessage", 1)
            assert sent.params["chat_id"] == 4242 and "您好" in sent.params["text"]
            # a redelivered update is applied once
            async with session.post(f"{base}/telegram", json=update,
                                    headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}) as response:
                assert response.status == 200
            # WeChat OA (safe mode) and WeCom on the same server, real time (SystemClock)
            from bot.clock import SystemClock

            oa = WeChatPeer(session, f"{base}/wechat", SystemClock(), aes_key=AES_KEY)
            answer = await oa.say(OPENID, "菜单")
            assert shows_menu(answer.content)
            wecom = WeChatPeer(session, f"{base}/wecom", SystemClock(), aes_key=AES_KEY, receive_id=CORP_ID,
                               wecom=True)
            answer = await wecom.say("lisi", "练习")
            assert "学法练习" in answer.content
        assert len(api.calls_of("sendMessage")) == 1


async def test_polling_telegram_beside_wechat(tmp_path):
    async with FakeBotApi() as api:
        config = _config(tmp_path, api, mode="polling", **sections("plain"))
        async with Served(config) as running, aiohttp.ClientSession() as session:
            assert api.calls_of("setWebhook") == []
            api.push(api.text_update(77, "/start"))
            await api.wait_calls("sendMessage", 1)
            from bot.clock import SystemClock

            oa = WeChatPeer(session, f"{running.server.url}/wechat", SystemClock())
            assert shows_menu((await oa.say(OPENID, "菜单")).content)


async def test_stop_finishes_requests_in_flight(tmp_path):
    from bot.clock import SystemClock

    config = _config(tmp_path, **sections("plain"))
    served = Served(config)
    async with aiohttp.ClientSession() as session:
        running = await served.__aenter__()
        release, started = asyncio.Event(), asyncio.Event()
        handle = running.app.service.handle

        async def slow(incoming):
            started.set()
            await release.wait()
            return await handle(incoming)

        running.app.service.handle = slow
        oa = WeChatPeer(session, f"{running.server.url}/wechat", SystemClock())
        request = asyncio.create_task(oa.say(OPENID, "菜单"))
        await started.wait()
        served.stop.set()  # SIGTERM while the turn runs
        await asyncio.sleep(0.05)
        assert not served.task.done()
        release.set()
        answer = await request
        assert answer.status == 200 and shows_menu(answer.content)
        assert await asyncio.wait_for(served.task, 10) == 0


async def test_nothing_to_run_and_incomplete_webhook_config_are_clear_errors(tmp_path, monkeypatch):
    monkeypatch.delenv("LAWBOT_TELEGRAM_TOKEN", raising=False)
    monkeypatch.delenv("LAWBOT_TELEGRAM_SECRET_TOKEN", raising=False)
    with pytest.raises(ConfigError, match="nothing to run"):
        await serve(config_for(tmp_path, web={"enabled": False}), stop=asyncio.Event())
    config = config_for(tmp_path, telegram={"token": TOKEN, "mode": "webhook", "webhook_url": "https://x.org/t"})
    with pytest.raises(ConfigError, match="secret_token"):
        await serve(config, stop=asyncio.Event())
    with pytest.raises(ConfigError, match="token"):
        await serve(config_for(tmp_path, wechat={"enabled": True}), stop=asyncio.Event())
