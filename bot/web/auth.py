"""Who is asking: the session cookie, the admin's role (re-read on every request) and the CSRF
check of forms.

    @admin_required
    async def roster(request):
        actor = request[ACTOR]            # bot.services.rights.Actor, read now (keys: bot/web/keys.py)
        deps = request[REQUEST_DEPS]      # bot.deps.Deps
        form = await post_form(request)   # POST only: 403 without the session's CSRF token
        ...

Not logged in (no cookie, unknown or idle session) -> 303 to /admin/login; the user is no longer
an admin -> the 403 page and the session ends; the handler raises rights.Forbidden -> the 403
page saying why; post_form with a missing or wrong CSRF token -> 403; a body above
web.upload_max_mb -> 413. Before the handler runs, this worker's catalog takes in console exams
another worker created or saved (services.exams.refresh).
"""

from __future__ import annotations

import functools
import hmac
import logging
from collections.abc import Awaitable, Callable

from aiohttp import web
from aiohttp.http_exceptions import BadHttpMessage
from multidict import MultiDict, MultiDictProxy

from bot.services import accounts, exams
from bot.services.rights import Forbidden, actor_for
from bot.web.keys import ACTOR, CSRF, DEPS, REQUEST_DEPS, SESSION

log = logging.getLogger(__name__)

COOKIE = "lawbot_console"
LOGIN_PATH = "/admin/login"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class CsrfRefused(Forbidden):
    def __init__(self):
        super().__init__("web_csrf_bad")


class TooLarge(Forbidden):
    """A form or upload above web.upload_max_mb (answered 413)."""
    status = 413
    heading = "web_error_upload"

    def __init__(self, mb: int):
        super().__init__("web_upload_too_large", mb=mb)


async def forbidden_page(request: web.Request, exc: Forbidden) -> web.Response:
    from bot.web.render import render

    log.warning("console 403 for %s on %s %s: %s", getattr(request.get(ACTOR), "user", "-"),
                request.method, request.path, exc.key)
    status = getattr(exc, "status", 403)
    response = await render(request, "error.html", status=status, code=status, message_key=exc.key,
                            message_values=dict(exc.values), heading=getattr(exc, "heading", None))
    return response


async def load_session(request: web.Request) -> accounts.SessionInfo | None:
    """The session behind the request's cookie (cached on the request)."""
    if SESSION not in request:
        deps = request.app[DEPS]
        request[SESSION] = await accounts.session_for(deps, request.cookies.get(COOKIE))
    return request[SESSION]


def admin_required(handler: Handler) -> Handler:
    """Decorate a console handler: it runs only for a logged-in admin, with request[ACTOR],
    request[REQUEST_DEPS] and request[CSRF] set; rights.Forbidden it raises becomes the 403 page."""

    @functools.wraps(handler)
    async def wrapped(request: web.Request) -> web.StreamResponse:
        deps = request.app[DEPS]
        request[REQUEST_DEPS] = deps
        session = await load_session(request)
        if session is None:
            raise web.HTTPSeeOther(LOGIN_PATH)
        request[CSRF] = session.csrf
        try:
            request[ACTOR] = await actor_for(deps, session.user)  # the role as it is now
        except Forbidden as exc:  # no longer an admin: the session ends (a new role needs a new link)
            await accounts.log_out(deps, request.cookies.get(COOKIE))
            response = await forbidden_page(request, exc)
            response.del_cookie(COOKIE, path="/admin")
            return response
        await exams.refresh(deps)  # exams created or saved on another worker (one small query)
        try:
            return await handler(request)
        except Forbidden as exc:
            return await forbidden_page(request, exc)

    wrapped.admin_required = True  # type: ignore[attr-defined]
    return wrapped


def csrf_ok(request: web.Request, token: object) -> bool:
    expected = request.get(CSRF) or ""
    return bool(expected) and isinstance(token, str) and hmac.compare_digest(token.encode(), expected.encode())


async def post_form(request: web.Request, *, max_bytes: int | None = None) -> MultiDictProxy:
    """The POSTed form (urlencoded or multipart; files come as aiohttp FileField) after checking
    its `csrf` field against the session's token; raises Forbidden (-> 403 page) otherwise.
    Bodies may be up to web.upload_max_mb (or `max_bytes`), above http.max_body_bytes."""
    if request.method != "POST":
        raise web.HTTPMethodNotAllowed(request.method, ["POST"])
    deps = request.app[DEPS]
    limit = max_bytes or deps.config.web.upload_max_mb * 1024 * 1024
    source = request.clone(client_max_size=limit)  # the server's own limit is for chat callbacks
    try:
        form = await source.post()
    except web.HTTPRequestEntityTooLarge:
        raise TooLarge(max(1, limit // (1024 * 1024))) from None
    except BadHttpMessage as exc:  # e.g. a NUL in a multipart header (a file name): the 400 page, not a 500
        log.warning("console POST %s: unreadable form: %s", request.path, exc)
        raise web.HTTPBadRequest() from None
    if not csrf_ok(request, form.get("csrf")):
        log.warning("console POST %s without a valid CSRF token from %s", request.path, request.remote)
        raise CsrfRefused()
    return _plain(form)


def _plain(form: MultiDictProxy) -> MultiDictProxy:
    """The form as the pages expect it: text fields without NUL characters (PostgreSQL refuses
    them in text: a pasted NUL was a 500), and a file only in a field named `file` (a file sent
    in a text field would reach str methods)."""
    out: MultiDict = MultiDict()
    for name, value in form.items():
        if isinstance(value, str):
            out.add(name, value.replace("\x00", ""))
        elif name == "file":
            out.add(name, value)
    return MultiDictProxy(out)
