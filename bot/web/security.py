"""What every console response carries, and the checks made before any handler runs.

- Security headers on every response under /admin (pages, static files, errors): a
  Content-Security-Policy that allows no inline script or style and no other origin, frame and
  content-type protection, no referrer; `Cache-Control: no-store` on everything but static files.
- A POST whose Origin header names another host is refused before the handler runs (the CSRF
  token in the form is the main defence; this is the second one).
- The client address: the peer, or X-Forwarded-For's last hop when the peer is a trusted proxy
  (web.trusted_proxies; nginx in front, see docs/deploy.md).
"""

from __future__ import annotations

import ipaddress
import logging
from urllib.parse import urlsplit

from aiohttp import web

log = logging.getLogger(__name__)

PREFIX = "/admin"
STATIC_PREFIX = "/admin/static/"

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}
STATIC_CACHE = "private, max-age=3600"


def is_console(path: str) -> bool:
    return path == PREFIX or path.startswith(PREFIX + "/")


def add_headers(request: web.Request, response: web.StreamResponse) -> None:
    for name, value in HEADERS.items():
        response.headers[name] = value
    if request.path.startswith(STATIC_PREFIX) and response.status == 200:
        response.headers["Cache-Control"] = STATIC_CACHE
    else:
        response.headers["Cache-Control"] = "no-store"
        response.headers["Pragma"] = "no-cache"


LOCAL_PROXIES = ("127.0.0.0/8", "::1/128")


def client_address(request: web.Request, trusted_proxies: list[str] | tuple[str, ...] = LOCAL_PROXIES) -> str:
    """The client's address: the peer, or the last hop of X-Forwarded-For when the peer is one of
    the trusted proxies (web.trusted_proxies; nginx appends the address it saw)."""
    peer = request.remote or ""
    forwarded = request.headers.get("X-Forwarded-For", "")
    if forwarded and _trusted(peer, trusted_proxies):
        return forwarded.split(",")[-1].strip()[:100] or peer
    return peer


def _trusted(address: str, networks) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in ipaddress.ip_network(net, strict=False) for net in networks)


def _loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return address in ("", "localhost")  # unix socket / test client


def is_https(request: web.Request, public_url: str | None) -> bool:
    """Served over HTTPS: directly, behind a proxy that says so, or at an https public_url."""
    if request.secure or request.headers.get("X-Forwarded-Proto", "").lower() == "https":
        return True
    return bool(public_url and public_url.lower().startswith("https://"))


def same_origin(request: web.Request, public_url: str | None) -> bool:
    """A POST from a page of this console: Sec-Fetch-Site, when the browser sends it, says
    same-origin; the Origin header, when it names one, is this host or
    the public URL's host. (Under Referrer-Policy: no-referrer browsers send `Origin: null` for
    form posts, which says nothing; the form's CSRF token is the main defence.)"""
    if request.headers.get("Sec-Fetch-Site", "same-origin") != "same-origin":
        return False
    origin = request.headers.get("Origin")
    if origin is None or origin == "null":  # Referrer-Policy no-referrer makes browsers send "null"
        return True
    host = urlsplit(origin).netloc.lower()
    allowed = {request.host.lower()}
    if public_url:
        allowed.add(urlsplit(public_url).netloc.lower())
    forwarded_host = request.headers.get("X-Forwarded-Host")
    if forwarded_host and _loopback(request.remote or ""):
        allowed.add(forwarded_host.lower())
    return host in allowed
