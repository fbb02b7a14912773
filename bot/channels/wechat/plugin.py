"""The WeChat channels for `lawbot run` (bot/channels/registry.py): the Official Account (`wx`)
and the WeCom app (`wecom`), callbacks on the HTTP server and, with API credentials, an outbox
sender each."""

from __future__ import annotations

from typing import Any

from bot.channels.delivery import Sender
from bot.channels.registry import Capabilities, Channel

CAPABILITIES = Capabilities(buttons=False, edit_in_place=False, files=False)  # "回复 1/2/3" menus
_NAMES = {"wx": "WeChat Official Account", "wecom": "WeCom"}


def hint(config: Any) -> str:
    return "enable wechat / wecom"


def channels(app: Any, config: Any) -> list[Channel]:
    from bot.channels.wechat.adapter import wechat_channels

    return [WeChatPlugin(channel) for channel in wechat_channels(app)]


class WeChatPlugin:
    capabilities = CAPABILITIES

    def __init__(self, channel: Any):
        self.channel = channel  # bot.channels.wechat.adapter.WeChatChannel
        self.name = _NAMES.get(channel.platform.name, channel.platform.name)

    def routes(self) -> list:
        return self.channel.routes()

    def senders(self) -> dict[str, Sender]:
        from bot.channels.wechat.adapter import WeChatSender

        if self.channel.platform.api is None:
            return {}
        return {self.channel.platform.name: WeChatSender(self.channel)}

    async def open(self) -> None:
        pass

    async def start(self) -> None:
        pass  # callbacks arrive once the HTTP server is up

    async def stop(self) -> None:
        await self.channel.close()  # turns and late deliveries still running

    async def close(self) -> None:
        pass
