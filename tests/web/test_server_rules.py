"""Console rules checked over plain HTTP (no browser): the upload limit (413), the Secure cookie
behind HTTPS, and a cross-site POST refused before its handler runs."""

from __future__ import annotations

import aiohttp
import pytest

from bot.httpserver import HttpServer
from bot.services import accounts
from bot.web.app import install
from tests.support.transcript import make_app

SUPER = "cli:root"


@pytest.fixture
async def served(tmp_path, clock):
    app = await make_app(tmp_path, clock, admin={"super_admins": [SUPER]}, web={"upload_max_mb": 1},
                         http={"public_url": "https://bot.example.org"})
    server = HttpServer("127.0.0.1", 0, app.config.http.max_body_bytes, 5, [])  # as lawbot run has it
    install(server.web_app, app.service.deps)
    port = await server.start()
    jar = aiohttp.CookieJar(unsafe=True)
    async with aiohttp.ClientSession(f"http://127.0.0.1:{port}", cookie_jar=jar) as session:
        yield app.service.deps, session
    await server.stop()
    await app.close()


async def _log_in(deps, session) -> tuple[str, str]:
    link = await accounts.issue_link(deps, SUPER)
    token = link.url.split("token=", 1)[1]
    async with session.post("/admin/login", data={"token": token}, allow_redirects=False) as response:
        assert response.status == 303
        cookie = response.cookies["lawbot_console"]
    return cookie.value, accounts.csrf_for(cookie.value)


async def test_the_cookie_is_secure_when_the_console_is_served_over_https(served):
    deps, session = served
    link = await accounts.issue_link(deps, SUPER)
    assert link.url.startswith("https://bot.example.org/admin/login?token=")
    async with session.post("/admin/login", data={"token": link.url.split("token=")[1]},
                            allow_redirects=False) as response:
        cookie = response.cookies["lawbot_console"]
        assert cookie["secure"] and cookie["httponly"] and cookie["samesite"] == "Strict"
        assert cookie["path"] == "/admin"
    async with session.get("/admin/login?lang=en", allow_redirects=False) as response:
        lang = response.cookies["lawbot_lang"]  # the language choice too (it was sent over http as well)
        assert lang["secure"] and lang["httponly"] and lang["samesite"] == "Strict"


async def test_a_form_above_the_upload_limit_is_refused_with_413(served):
    deps, session = served
    raw, csrf = await _log_in(deps, session)
    cookies = {"lawbot_console": raw}
    form = aiohttp.FormData()
    form.add_field("csrf", csrf)
    form.add_field("file", b"x" * (1024 * 1024 + 10), filename="big.csv", content_type="text/csv")
    async with session.post("/admin/logout", data=form, cookies=cookies, allow_redirects=False) as response:
        assert response.status == 413
        assert "文件太大，最大 1 MB" in await response.text()
    async with session.post("/admin/logout", data={"csrf": csrf, "note": "y" * 200_000}, cookies=cookies,
                            allow_redirects=False) as response:
        assert response.status == 303  # a form above http.max_body_bytes (64 KB) but under 1 MB is read


async def test_a_post_from_another_site_is_refused_before_the_handler(served):
    deps, session = served
    raw, csrf = await _log_in(deps, session)
    cookies = {"lawbot_console": raw}
    for headers in ({"Sec-Fetch-Site": "cross-site"}, {"Origin": "https://evil.example"}):
        async with session.post("/admin/logout", data={"csrf": csrf}, headers=headers, cookies=cookies,
                                allow_redirects=False) as response:
            assert response.status == 403, headers
    assert await accounts.session_for(deps, raw) is not None  # not logged out
    async with session.post("/admin/logout", data={"csrf": csrf}, cookies=cookies,
                            headers={"Origin": "null", "Sec-Fetch-Site": "same-origin"},
                            allow_redirects=False) as response:
        assert response.status == 303
    assert await accounts.session_for(deps, raw) is None
