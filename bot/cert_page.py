"""GET /verify/<serial> on lawbot's HTTP server: the public certificate verification page
(有效 / 无效 / 已撤销 and the certificate's facts, the name masked; nothing else personal)."""

from __future__ import annotations

import html
import logging

from aiohttp import web

from bot.app.certs import Certificates, NoKey, verdict_text
from bot.domain import certificate as rules
from bot.texts import tr

log = logging.getLogger(__name__)
STATUS = {rules.VALID: 200, rules.REVOKED: 410, rules.INVALID: 404}
COLOUR = {rules.VALID: "#1b7f3b", rules.REVOKED: "#b36b00", rules.INVALID: "#b02020"}


def _page(locale: str, title: str, status_word: str, colour: str, body: str, note: str) -> str:
    lines = "".join(f"<p>{html.escape(line)}</p>" for line in body.splitlines())
    return (f'<!doctype html><html lang="{"zh-CN" if locale == "zh" else "en"}"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f'<meta name="robots" content="noindex"><title>{html.escape(title)}</title>'
            '<style>body{font-family:sans-serif;max-width:36em;margin:2em auto;padding:0 1em;color:#222}'
            'h1{font-size:1.3em}.s{font-size:1.6em;font-weight:bold}p{margin:.4em 0}small{color:#777}</style>'
            f'</head><body><h1>{html.escape(title)}</h1>'
            f'<p class="s" style="color:{colour}">{html.escape(status_word)}</p>{lines}'
            f'<p><small>{html.escape(note)}</small></p></body></html>')


def verify_routes(certs: Certificates) -> list[web.RouteDef]:
    zone = certs.config.timezone

    async def verify(request: web.Request) -> web.Response:
        locale = "en" if request.query.get("lang") == "en" else "zh"
        title = tr(locale, "cert_page_title")
        try:
            verdict = await certs.verify(request.match_info["serial"])
        except NoKey as exc:
            log.error("certificate verification unavailable: %s", exc)
            return web.Response(status=503, text=tr(locale, "cert_page_unavailable"))
        page = _page(locale, title, tr(locale, f"cert_status_{verdict.status}"), COLOUR[verdict.status],
                     verdict_text(locale, verdict, zone), tr(locale, "cert_page_note"))
        return web.Response(status=STATUS[verdict.status], text=page, content_type="text/html", charset="utf-8",
                            headers={"Cache-Control": "no-store", "X-Robots-Tag": "noindex"})

    return [web.get("/verify/{serial}", verify)]
