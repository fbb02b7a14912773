"""The channel registry and the per-user ordering every channel shares."""

from __future__ import annotations

import ast
import asyncio
import re
from pathlib import Path
from types import SimpleNamespace

import bot.serving
from bot.channels import registry
from bot.channels.ordering import KeyedLocks
from bot.config import load_config


def test_plugins_are_found_by_folder_and_serve_names_no_platform():
    assert registry.plugin_names() == ["telegram", "wechat"]  # console has no plugin: it is `lawbot chat`
    for plugin in registry.plugins():
        assert callable(plugin.channels) and callable(plugin.hint)
    tree = ast.parse(Path(bot.serving.__file__).read_text())
    tree.body = tree.body[1:]  # the module docstring may give examples
    code = ast.unparse(tree)  # comments dropped
    assert "registry.enabled_channels" in code
    assert not re.search(r"telegram|wechat|wecom", code, re.IGNORECASE)


def test_nothing_enabled_gives_no_channels_and_every_hint(tmp_path, monkeypatch):
    monkeypatch.delenv("LAWBOT_TELEGRAM_TOKEN", raising=False)
    config = load_config(None, data_dir=str(tmp_path))
    assert registry.enabled_channels(SimpleNamespace(config=config), config) == []
    hints = registry.hints(config)
    assert any("LAWBOT_TELEGRAM_TOKEN" in h for h in hints) and any("wechat" in h for h in hints)


async def test_keyed_locks_keep_one_key_in_order_and_let_others_through():
    locks = KeyedLocks()
    events: list[str] = []
    release = asyncio.Event()

    async def turn(key: str, name: str, wait: bool = False) -> None:
        async with locks.hold(key):
            events.append(f"{name}+")
            if wait:
                await release.wait()
            events.append(f"{name}-")

    first = asyncio.create_task(turn("u1", "a", wait=True))
    await asyncio.sleep(0)
    second = asyncio.create_task(turn("u1", "b"))
    other = asyncio.create_task(turn("u2", "c"))
    await other  # another user is not held up by u1's slow turn
    await asyncio.sleep(0)
    assert events == ["a+", "c+", "c-"] and len(locks) == 1
    release.set()
    await asyncio.gather(first, second)
    assert events[3:] == ["a-", "b+", "b-"]
    assert len(locks) == 0  # no entry outlives its turns


async def test_a_cancelled_waiter_gives_its_place_up():
    locks = KeyedLocks()
    release = asyncio.Event()

    async def holder() -> None:
        async with locks.hold("u"):
            await release.wait()

    held = asyncio.create_task(holder())
    await asyncio.sleep(0)
    waiting = asyncio.create_task(holder())
    await asyncio.sleep(0)
    waiting.cancel()
    await asyncio.gather(waiting, return_exceptions=True)
    release.set()
    await held
    assert len(locks) == 0
