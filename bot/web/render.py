"""Templates (Jinja2, autoescaped) and server-side paging for the console.

    return await render(request, "roster.html", people=people, paging=paging, total=total)

Every template extends base.html and gets: `t(key, **values)` (bot/texts.py in the page's
locale), `csrf_field()` (the hidden CSRF input; put it inside every <form method="post">),
`csrf` (the token itself), `actor` (bot.services.rights.Actor, or None on the login page), `nav`
(the pages this actor may open: [(path, label key)]), `path` (the request path), `request`, `lang`,
`static(name)` (a versioned URL of bot/web/static/<name>), `url(**query)` (this page's URL with
some query parameters changed), `fmt_time(epoch)` (local time, the configured time zone) and
`has_text(key)` (whether bot/texts.py has that key, for labels built from data).
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

import jinja2
from aiohttp import web
from markupsafe import Markup

from bot.texts import TEXTS, normalize_locale, tr
from bot.web.keys import ACTOR, CSRF, DEPS, LOCALE, NAV
from bot.web.security import is_https

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"
LANG_COOKIE = "lawbot_lang"


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)),
                             autoescape=jinja2.select_autoescape(default=True, default_for_string=True),
                             trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined,
                             enable_async=False)
    return env


@lru_cache(maxsize=64)
def _static_version(name: str) -> str:
    try:
        return hashlib.sha256((STATIC / name).read_bytes()).hexdigest()[:10]
    except OSError:
        return "0"


def static_url(name: str) -> str:
    return f"/admin/static/{name}?v={_static_version(name)}"


async def locale_of(request: web.Request) -> str:
    """?lang= (remembered in a cookie), else the cookie, else the admin's chat locale, else the
    configured default."""
    deps = request.app[DEPS]
    wanted = request.query.get("lang") or request.cookies.get(LANG_COOKIE)
    if wanted in ("zh", "en"):
        return wanted
    actor = request.get(ACTOR)
    default = deps.config.default_locale
    if actor is not None:
        state = await deps.storage.sessions.get_state(actor.user)
        return normalize_locale(state.get("locale"), default)
    return default


def page_url(request: web.Request, **changes: object) -> str:
    query = dict(request.query)
    for key, value in changes.items():
        if value is None:
            query.pop(key, None)
        else:
            query[key] = str(value)
    return request.path + ("?" + urlencode(query) if query else "")


async def _get_path(request: web.Request) -> str:
    """The address a GET reopens this page at: its own, or after a POST (a preview, a refused form,
    a result) the nearest address above it that a GET opens (/admin/roster for /admin/roster/upload)."""
    path = request.path
    if request.method in ("GET", "HEAD"):
        return path
    while path.startswith("/admin/") and path != "/admin/":
        try:
            probe = request.clone(method="GET", rel_url=path)
        except RuntimeError:  # aiohttp clones no request whose body a handler read itself
            break
        if (await request.app.router.resolve(probe)).http_exception is None:
            return path
        path = path.rstrip("/").rsplit("/", 1)[0] or "/admin/"
    return "/admin/"


async def render(request: web.Request, template: str, *, status: int = 200, **context) -> web.Response:
    """The template rendered as an HTML response (security headers are added by the console's
    middleware). `status` sets the HTTP status (e.g. 400 for a form with errors)."""
    locale = await locale_of(request)
    request[LOCALE] = locale
    deps = request.app[DEPS]
    zone = ZoneInfo(deps.config.timezone)
    csrf = request.get(CSRF, "")

    def t(key: str, **values: object) -> str:
        return tr(locale, key, **values)

    def csrf_field() -> Markup:
        return Markup('<input type="hidden" name="csrf" value="{}">').format(csrf)

    def fmt_time(epoch: float | None, with_seconds: bool = False) -> str:
        if epoch is None:
            return ""
        moment = datetime.fromtimestamp(epoch, UTC).astimezone(zone)
        return moment.strftime("%Y-%m-%d %H:%M:%S" if with_seconds else "%Y-%m-%d %H:%M")

    actor = request.get(ACTOR)
    other = "en" if locale == "zh" else "zh"
    here = await _get_path(request)  # the language switch of a page a POST rendered must not POST-only GET (405)
    lang_link = page_url(request, lang=other, token=None) if here == request.path else f"{here}?lang={other}"
    values = {
        "t": t, "csrf_field": csrf_field, "csrf": csrf, "actor": actor, "lang": locale,
        "nav": request.app[NAV](actor) if actor is not None else [], "path": request.path, "request": request,
        "static": static_url, "url": lambda **changes: page_url(request, **changes), "fmt_time": fmt_time,
        "title": context.pop("title", None), "has_text": lambda key: key in TEXTS["zh"], "lang_link": lang_link,
    }
    values.update(context)
    body = environment().get_template(template).render(values)
    response = web.Response(status=status, text=body, content_type="text/html", charset="utf-8")
    if request.query.get("lang") in ("zh", "en"):
        response.set_cookie(LANG_COOKIE, request.query["lang"], max_age=365 * 86400, httponly=True,
                            samesite="Strict", path="/admin", secure=is_https(request, deps.config.http.public_url))
    return response


@dataclass(frozen=True, slots=True)
class Paging:
    """Page, size and sort order of a server-side table, parsed from the query string.

        paging = Paging.parse(request, sorts=("name", "unit", "rate"), default="name", size=50)
        rows, total = await service(..., offset=paging.offset, limit=paging.size,
                                    sort=paging.sort, descending=paging.descending)

    Only the whitelisted sort keys are accepted (others fall back to the default); `size` is
    capped at `max_size`; `page` starts at 1. In templates: `paging.url(request, page=3)`,
    `paging.sort_url(request, "unit")`, `paging.pages(total)`."""
    page: int = 1
    size: int = 50
    sort: str = ""
    descending: bool = False

    @classmethod
    def parse(cls, request: web.Request, *, sorts: tuple[str, ...] = (), default: str = "", size: int = 50,
              max_size: int = 200, descending: bool = False) -> Paging:
        q = request.query
        page = _int(q.get("page"), 1, 1, 1_000_000)
        per_page = _int(q.get("size"), size, 1, max_size)
        sort = q.get("sort", default)
        if sort not in sorts:
            sort = default
        order = q.get("order")
        desc = descending if order not in ("asc", "desc") else order == "desc"
        return cls(page, per_page, sort, desc)

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.size

    @property
    def limit(self) -> int:
        return self.size

    def pages(self, total: int) -> int:
        return max(1, math.ceil(total / self.size))

    def url(self, request: web.Request, **changes: object) -> str:
        values: dict[str, object] = {"page": self.page, "size": self.size, "sort": self.sort or None,
                                     "order": ("desc" if self.descending else "asc") if self.sort else None}
        values.update(changes)
        return page_url(request, **values)

    def sort_url(self, request: web.Request, key: str) -> str:
        """The URL that sorts by `key` (ascending; descending when already ascending by it)."""
        order = "desc" if self.sort == key and not self.descending else "asc"
        return self.url(request, sort=key, order=order, page=1)


async def unknown_unit_page(request: web.Request, unit: str) -> web.Response:
    """404 for a ?unit= the unit tree lacks, on every page that takes one (总览, 公平性提示, 人员名册,
    操作日志, 排行榜); a unit that exists outside the admin's scope is 403 (Forbidden) instead."""
    return await render(request, "error.html", status=404, code=404, message_key="admin_unknown_unit",
                        message_values={"unit": unit[:40]})


def attachment(filename: str) -> str:
    """The Content-Disposition of a download named `filename` in any language: an ASCII name for
    old clients (RFC 6266: no raw UTF-8 in a header) and the real name as filename* (browsers)."""
    fallback = "".join(c if c.isascii() and (c.isalnum() or c in "-_.") else "_" for c in filename).strip("._")
    return f"attachment; filename=\"{fallback or 'download'}\"; filename*=UTF-8''{quote(filename, safe='')}"


def whole_number(text: object, digits: int = 18) -> int | None:
    """`text` as a non-negative whole number when it is 1 to `digits` ASCII digits (so it fits a
    database integer), else None: "abc", "-1", "²", "١٢" and 20-digit ids are not numbers here."""
    if not isinstance(text, str) or not 0 < len(text) <= digits or not (text.isascii() and text.isdigit()):
        return None
    return int(text)


def _int(value: str | None, default: int, low: int, high: int) -> int:
    try:
        number = int(value) if value is not None else default
    except ValueError:
        number = default
    return min(max(number, low), high)
