"""The console's typed keys: on the aiohttp application (set by bot.web.app.install) and on each
request (set by bot.web.auth.admin_required and bot.web.render)."""

from __future__ import annotations

from collections.abc import Callable

from aiohttp import web

from bot.deps import Deps
from bot.services.accounts import SessionInfo
from bot.services.rights import Actor

DEPS = web.AppKey("console_deps", Deps)
NAV: web.AppKey[Callable[[Actor], list[tuple[str, str]]]] = web.AppKey("console_nav")  # the pages an actor may open

# the page contract (docs/web.md): a handler under admin_required finds these on its request
ACTOR = web.RequestKey("console_actor", Actor)  # the admin, with the role as it is now
REQUEST_DEPS = web.RequestKey("console_deps", Deps)
CSRF = web.RequestKey("console_csrf", str)  # the session's token a POSTed form must carry
SESSION: web.RequestKey[SessionInfo | None] = web.RequestKey("console_session")  # cached by load_session
LOCALE = web.RequestKey("console_locale", str)  # the page's language, once rendered
