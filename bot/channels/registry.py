"""Channels as plug-ins: the `Channel` protocol `lawbot run` (bot/serving.py) drives, and the
registry that finds the channels the config enables.

A channel that `lawbot run` serves is a sub-package of bot/channels with a `plugin` module:

    bot/channels/<name>/plugin.py
        def channels(app, config) -> list[Channel]   # the enabled ones; [] when none is
        def hint(config) -> str                      # how to enable it ("nothing to run" error)

The registry imports `bot.channels.<name>.plugin` for every sub-package that has one, in name
order; nothing here or in serving.py names a platform, so adding a channel touches one folder.
See docs/channels.md.
"""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from bot.channels.delivery import Sender

if TYPE_CHECKING:
    from aiohttp import web

PLUGIN_MODULE = "plugin"


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What a platform can show; the renderers use them, the core never asks."""
    buttons: bool  # choices as tappable buttons (else a numbered text menu)
    edit_in_place: bool  # a pressed button's message can be replaced by the answer
    files: bool  # images and documents can be sent and received


@runtime_checkable
class Channel(Protocol):
    """One running platform connection. serve calls, in this order:
    open() (before the HTTP server starts), routes() (mounted on it), start() (after it is up),
    senders() (to the leader's outbox loop); on shutdown stop() (after the HTTP server stopped:
    finish turns in flight) and close() (after the outbox senders stopped: release clients)."""

    name: str  # for the start-up log line, e.g. "Telegram (polling)"
    capabilities: Capabilities

    def routes(self) -> list[web.RouteDef]: ...

    def senders(self) -> dict[str, Sender]:
        """Outbox channel name (the user key's prefix: tg, wx, wecom) -> its sender."""
        ...

    async def open(self) -> None: ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def close(self) -> None: ...


def plugin_names() -> list[str]:
    """Sub-packages of bot.channels that have a plugin module, in name order."""
    import bot.channels as package

    names = []
    for info in pkgutil.iter_modules(package.__path__):
        if info.ispkg and importlib.util.find_spec(f"{package.__name__}.{info.name}.{PLUGIN_MODULE}") is not None:
            names.append(info.name)
    return sorted(names)


def plugins() -> list[ModuleType]:
    return [importlib.import_module(f"bot.channels.{name}.{PLUGIN_MODULE}") for name in plugin_names()]


def enabled_channels(app: Any, config: Any) -> list[Channel]:
    """Every channel the config enables (a plugin raises ConfigError for a half-done section)."""
    found: list[Channel] = []
    for plugin in plugins():
        found.extend(plugin.channels(app, config))
    return found


def hints(config: Any) -> list[str]:
    """How each plugin would be enabled, for the "nothing to run" error."""
    return [plugin.hint(config) for plugin in plugins()]
