"""The admin console (管理后台) on lawbot's HTTP server, under /admin/.

    from bot.web.app import install
    install(http_server.web_app, deps)   # before the server starts (bot/serving.py does this)

`install` adds the console's middleware (security headers, the Origin check of POSTs, the 404
and 500 pages), its own routes (home, login, logout, static files) and the routes of every page
module listed in bot/web/pages/__init__.py (PAGES). See docs/web.md."""

from __future__ import annotations

import importlib
import logging
import threading
from collections.abc import Callable
from types import ModuleType

from aiohttp import web

from bot.deps import Deps
from bot.services import accounts
from bot.services.rights import Actor, Forbidden
from bot.web import security
from bot.web.auth import COOKIE, LOGIN_PATH, admin_required, forbidden_page, post_form
from bot.web.keys import ACTOR, DEPS, NAV, REQUEST_DEPS
from bot.web.pages import PAGES
from bot.web.render import STATIC, render

log = logging.getLogger(__name__)

HOME = "/admin/"
LOGOUT_PATH = "/admin/logout"


def page_modules() -> list[ModuleType]:
    return [importlib.import_module(f"bot.web.pages.{name}") for name in PAGES]


def nav_for(modules: list[ModuleType]) -> Callable[[Actor], list[tuple[str, str]]]:
    """actor -> [(path, text key)] of the pages in PAGES that actor may open, in PAGES order.
    A page module may define `allowed(actor) -> bool` (default: every admin)."""

    def nav(actor: Actor) -> list[tuple[str, str]]:
        items = []
        for module in modules:
            entry = getattr(module, "NAV", None)
            if entry is None:
                continue
            allowed = getattr(module, "allowed", None)
            if allowed is not None and not allowed(actor):
                continue
            items.append((entry[0], entry[1]))
        return items

    return nav


@web.middleware
async def console_middleware(request: web.Request, handler):
    if not security.is_console(request.path):
        return await handler(request)
    deps = request.app[DEPS]
    try:
        if request.method == "POST" and not security.same_origin(request, deps.config.http.public_url):
            log.warning("console POST %s from another origin refused (%s)", request.path,
                        request.headers.get("Origin"))
            response = await forbidden_page(request, Forbidden("web_csrf_bad"))
        elif "\x00" in request.path:  # no page has one; an id with it would reach SQL (PostgreSQL refuses NUL)
            response = await _error_page(request, 404)
        elif any("\x00" in value for value in request.query.values()):  # PostgreSQL refuses NUL in text
            response = await _error_page(request, 400)
        elif request.path.startswith(security.STATIC_PREFIX) and not _static_file(request.path):
            response = await _error_page(request, 404)  # aiohttp would answer a missing file in plain text
        else:
            response = await handler(request)
    except web.HTTPException as exc:
        response = await _http_exception(request, exc)
    except Forbidden as exc:
        response = await forbidden_page(request, exc)
    except Exception:
        log.exception("console %s %s failed", request.method, request.path)
        response = await render(request, "error.html", status=500, code=500, message_key="web_error",
                                message_values={})
    security.add_headers(request, response)
    return response


ERROR_TEXTS = {404: "web_not_found", 405: "web_method_not_allowed", 413: "web_too_large"}
ERROR_HEADINGS = {413: "web_error_too_large"}


def _static_file(path: str) -> bool:
    """Whether /admin/static/<name> names a file of bot/web/static."""
    name = path[len(security.STATIC_PREFIX):]
    target = (STATIC / name).resolve()
    return bool(name) and target.is_relative_to(STATIC.resolve()) and target.is_file()


async def _error_page(request: web.Request, status: int) -> web.Response:
    """The console's error page for an HTTP error status: one line in the page's language."""
    code = status if status in ERROR_TEXTS else 400
    return await render(request, "error.html", status=status, code=code,
                        message_key=ERROR_TEXTS.get(status, "web_bad_request"),
                        message_values={"method": request.method[:10]}, heading=ERROR_HEADINGS.get(status))


async def _http_exception(request: web.Request, exc: web.HTTPException) -> web.Response:
    """A redirect as it is (with its cookies); an error (aiohttp's own 400, 404, 405, 413 …) as
    the console's page instead of aiohttp's plain English text."""
    if exc.status < 400:
        response = web.Response(status=exc.status, headers=exc.headers, text=exc.text)
        for name, morsel in exc.cookies.items():
            response.cookies[name] = morsel
        return response
    if exc.status >= 500:
        log.error("console %s %s: HTTP %d", request.method, request.path, exc.status)
        return await render(request, "error.html", status=500, code=500, message_key="web_error", message_values={})
    response = await _error_page(request, exc.status)
    if "Allow" in exc.headers:
        response.headers["Allow"] = exc.headers["Allow"]
    return response


async def _redirect_home(request: web.Request) -> web.StreamResponse:
    raise web.HTTPMovedPermanently(HOME)


@admin_required
async def home(request: web.Request) -> web.Response:
    actor = request[ACTOR]
    unit = actor.role.unit  # None: a super admin
    scope = None if unit is None else actor.tree.name(unit)
    return await render(request, "home.html", title="web_home_title", scope=scope)


def _set_session_cookie(request: web.Request, response: web.StreamResponse, value: str, deps: Deps) -> None:
    response.set_cookie(COOKIE, value, path="/admin", httponly=True, samesite="Strict",
                        secure=security.is_https(request, deps.config.http.public_url))


async def login_page(request: web.Request) -> web.Response:
    """GET /admin/login[?token=…]: with a token, a page that confirms the login by a POST (link
    previews of chat apps fetch the link too and must not use it up; console.js submits the form
    at once, so a person sees no extra step). Without one, how to get a link."""
    deps = request.app[DEPS]
    token = request.query.get("token")
    if not token:
        session = await accounts.session_for(deps, request.cookies.get(COOKIE))
        if session is not None:
            raise web.HTTPSeeOther(HOME)
        return await render(request, "login.html", title="web_login_title", token=None, refused=None,
                            bye="bye" in request.query)
    try:
        await accounts.check_link(deps, token, security.client_address(request, deps.config.web.trusted_proxies))
    except accounts.LoginRefused as exc:
        return await _refused(request, exc)
    return await render(request, "login.html", title="web_login_title", token=token, refused=None, bye=False)


async def _refused(request: web.Request, exc: accounts.LoginRefused) -> web.Response:
    status = 429 if exc.key == "web_login_too_many" else 400
    return await render(request, "login.html", status=status, title="web_login_title", token=None,
                        refused=exc.key, bye=False)


async def login_submit(request: web.Request) -> web.StreamResponse:
    """POST /admin/login: use the link up, set the session cookie, and redirect to the home page
    (the token is gone from the address bar)."""
    deps = request.app[DEPS]
    form = await request.clone().post()  # a clone: the page rendered after it clones the request again
    token = form.get("token")
    if not isinstance(token, str) or not token:
        return await _refused(request, accounts.LoginRefused("web_link_invalid"))
    try:
        session = await accounts.log_in(deps, token, security.client_address(request, deps.config.web.trusted_proxies))
    except accounts.LoginRefused as exc:
        return await _refused(request, exc)
    old = request.cookies.get(COOKIE)
    if old:
        await accounts.log_out(deps, old)
    response = web.Response(status=303, headers={"Location": HOME})
    _set_session_cookie(request, response, session.token, deps)
    return response


@admin_required
async def logout(request: web.Request) -> web.StreamResponse:
    await post_form(request)
    deps = request[REQUEST_DEPS]
    await accounts.log_out(deps, request.cookies.get(COOKIE))
    log.info("console logout: %s", request[ACTOR].user)
    response = web.Response(status=303, headers={"Location": LOGIN_PATH + "?bye=1"})
    response.del_cookie(COOKIE, path="/admin")
    return response


def routes(modules: list[ModuleType]) -> list[web.AbstractRouteDef]:
    own = [
        web.get("/admin", _redirect_home),
        web.get(HOME, home),
        web.get(LOGIN_PATH, login_page),
        web.post(LOGIN_PATH, login_submit),
        web.post(LOGOUT_PATH, logout),
        web.static("/admin/static", STATIC, append_version=False),
    ]
    for module in modules:
        own += module.routes()
    return own


def _load_charts() -> None:
    """Import matplotlib and register the CJK font (seconds of CPU on a busy machine)."""
    from matplotlib import pyplot  # noqa: F401 - imported for its start-up cost

    from bot.reports.fonts import use_cjk_font

    use_cjk_font()


async def _warm_charts(_app: web.Application) -> None:
    """Start loading the chart library in a thread when the server starts, so the first 总览 (three
    charts) does not pay for it; serving starts at once and does not wait for it. A daemon thread,
    not the loop's default executor: shutdown (Ctrl-C during start-up) joins the executor's
    threads, and would wait seconds for matplotlib's import to finish."""
    def run() -> None:
        try:
            _load_charts()
        except Exception as exc:  # noqa: BLE001 (the first 总览 loads it again, or says why)
            log.warning("loading the charts failed: %s", exc)

    threading.Thread(target=run, name="chart-warm-up", daemon=True).start()


def install(web_app: web.Application, deps: Deps) -> None:
    """Mount the console on an aiohttp application that has not started yet."""
    modules = page_modules()
    web_app[DEPS] = deps
    web_app[NAV] = nav_for(modules)
    web_app.middlewares.append(console_middleware)
    web_app.add_routes(routes(modules))
    web_app.on_startup.append(_warm_charts)
