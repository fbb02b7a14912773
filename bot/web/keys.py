"""The console's keys on the aiohttp application (set by bot.web.app.install)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiohttp import web

from bot.app.context import Deps

DEPS = web.AppKey("console_deps", Deps)
NAV = web.AppKey("console_nav", Callable[[Any], list])  # actor -> [(path, label key)] it may open
