"""Console accounts without passwords: one-time login links for admins, exchanged for a session.

- `issue_link(deps, user)`: an admin (super admin in the config, or a unit admin) gets a link to
  `<console base>/admin/login?token=…`, valid `web.link_ttl_minutes` (10), single use, bound to that
  admin. Only the token's SHA-256 is stored.
- `check_link` (peek, for the confirmation page) and `log_in` (consume): a wrong, expired or used
  link is refused, logged and counted against the client address; too many failures from one
  address within `web.failure_window_minutes` refuse every link from it for that long.
- `session_for(deps, raw)`: the session behind a cookie, or None once it has been idle for
  `web.session_idle_hours` (8). Sessions are stored hashed in the database, so every worker of
  `lawbot run --workers N` sees them. `log_out` ends one.
- `csrf_for(raw)`: the session's CSRF token (derived from the raw session token, never stored).

Roles are not cached here: the console re-reads them (rights.actor_for) on every request.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass

from bot.config import Config
from bot.deps import Deps
from bot.services.audit import record
from bot.services.rights import Actor, Forbidden, actor_for

log = logging.getLogger(__name__)

TOUCH_EVERY = 60.0  # a session's last-seen time is written at most once a minute


class LoginRefused(Exception):
    """A login link that does not log anyone in; `key` names the text that says why."""

    def __init__(self, key: str):
        super().__init__(key)
        self.key = key


@dataclass(frozen=True, slots=True)
class LoginLink:
    user: str
    url: str
    expires_at: float


@dataclass(frozen=True, slots=True)
class NewSession:
    user: str
    token: str  # the raw cookie value (only its hash is stored)
    csrf: str


@dataclass(frozen=True, slots=True)
class SessionInfo:
    user: str
    csrf: str
    created_at: float
    last_seen: float


def digest(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def csrf_for(raw_session: str) -> str:
    """The CSRF token of a session: an HMAC of the raw session token (an attacker who reads the
    database sees only the session's hash, so cannot forge it either)."""
    return hmac.new(raw_session.encode("utf-8"), b"lawbot-console-csrf", hashlib.sha256).hexdigest()[:40]


def console_base(config: Config) -> str:
    """Where people reach the console: http.public_url, else the HTTP server's host and port."""
    if config.http.public_url:
        return config.http.public_url.rstrip("/")
    host = config.http.host
    if host in ("0.0.0.0", "::", ""):
        host = "127.0.0.1"
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"http://{host}:{config.http.port}"


async def issue_link(deps: Deps, user: str, *, base: str | None = None) -> LoginLink:
    """A one-time login link for `user`; raises rights.Forbidden when `user` is not an admin."""
    await actor_for(deps, user)  # admins only
    now = deps.clock.now()
    ttl = deps.config.web.link_ttl_minutes * 60
    token = secrets.token_urlsafe(32)
    async with deps.storage.atomic():
        await deps.storage.web_accounts.add_login_token(digest(token), user, now, now + ttl)
    log.info("console login link issued for %s", user)
    return LoginLink(user, f"{(base or console_base(deps.config)).rstrip('/')}/admin/login?token={token}", now + ttl)


async def _refuse(deps: Deps, address: str, key: str, now: float) -> LoginRefused:
    log.warning("console login refused for %s: %s", address, key)
    async with deps.storage.atomic():
        await deps.storage.web_accounts.add_login_failure(address[:100], key, now)
    return LoginRefused(key)


async def _too_many(deps: Deps, address: str, now: float) -> bool:
    web = deps.config.web
    since = now - web.failure_window_minutes * 60
    return await deps.storage.web_accounts.login_failures(address[:100], since) >= web.max_failures


def _well_formed(token: str) -> bool:
    return 20 <= len(token) <= 100 and all(c.isalnum() or c in "-_" for c in token)


async def check_link(deps: Deps, token: str, address: str) -> str:
    """The admin a link would log in (without using it up); raises LoginRefused."""
    now = deps.clock.now()
    if await _too_many(deps, address, now):
        log.warning("console login from %s refused: too many failed links", address)
        raise LoginRefused("web_login_too_many")
    row = await deps.storage.web_accounts.login_token(digest(token)) if _well_formed(token) else None
    if row is None:
        raise await _refuse(deps, address, "web_link_invalid", now)
    user, expires_at, used_at = row
    if used_at is not None:
        raise await _refuse(deps, address, "web_link_used", now)
    if expires_at <= now:
        raise await _refuse(deps, address, "web_link_expired", now)
    return user


async def log_in(deps: Deps, token: str, address: str) -> NewSession:
    """Use a login link up and open a session for its admin; raises LoginRefused (a link that
    is wrong, used, expired, or whose admin is no longer an admin)."""
    user = await check_link(deps, token, address)
    now = deps.clock.now()
    try:
        actor: Actor = await actor_for(deps, user)
    except Forbidden:  # the role was taken away since the link was sent
        raise await _refuse(deps, address, "web_link_invalid", now) from None
    raw = secrets.token_urlsafe(32)
    async with deps.storage.atomic():
        if not await deps.storage.web_accounts.use_login_token(digest(token), now):
            used = True
        else:
            used = False
            await deps.storage.web_accounts.add_session(digest(raw), user, now)
            await record(deps, actor, "web.login", f"user:{user}", after={"address": address[:100]})
    if used:  # another request used it between the check and now
        raise await _refuse(deps, address, "web_link_used", now)
    log.info("console login: %s from %s", user, address)
    await purge(deps)  # expired links, idle sessions, old failures: a few indexed deletes per login
    return NewSession(user, raw, csrf_for(raw))


async def session_for(deps: Deps, raw: str | None) -> SessionInfo | None:
    """The live session behind a cookie value, its idle clock restarted; None when unknown or
    idle too long (an idle session is deleted)."""
    if not raw or len(raw) > 200:
        return None
    now = deps.clock.now()
    key = digest(raw)
    repo = deps.storage.web_accounts
    row = await repo.session(key)
    if row is None:
        return None
    user, created_at, last_seen = row
    if now - last_seen >= deps.config.web.session_idle_hours * 3600:
        async with deps.storage.atomic():
            await repo.end_session(key)
        return None
    if now - last_seen >= TOUCH_EVERY:
        async with deps.storage.atomic():
            await repo.touch_session(key, now)
        last_seen = now
    return SessionInfo(user, csrf_for(raw), created_at, last_seen)


async def log_out(deps: Deps, raw: str | None) -> bool:
    if not raw:
        return False
    async with deps.storage.atomic():
        return await deps.storage.web_accounts.end_session(digest(raw))


async def purge(deps: Deps) -> int:
    """Delete expired links, idle sessions and old failure records (run at every login)."""
    now = deps.clock.now()
    web = deps.config.web
    async with deps.storage.atomic():
        return await deps.storage.web_accounts.purge_web(now, web.session_idle_hours * 3600,
                                                         web.failure_window_minutes * 60)
