"""Login by one-time link, logout, refused links, rights (403), CSRF and the security headers,
in a real browser (Chromium driven by Playwright)."""

from __future__ import annotations

from bot.services.accounts import digest
from bot.web.security import CSP


def _token(link: str) -> str:
    return link.split("token=", 1)[1]


def test_login_by_link_lands_on_home_without_the_token_in_the_address_bar(console, page):
    console.login(page, console.SUPER)
    assert page.url == console.url("/admin/")
    assert "token" not in page.url
    assert page.locator("h1").inner_text() == "首页"
    assert page.get_by_role("link", name="操作日志").first.is_visible()
    cookies = {c["name"]: c for c in page.context.cookies()}
    session = cookies["lawbot_console"]
    assert session["httpOnly"] and session["sameSite"] == "Strict" and session["path"] == "/admin"
    assert not session["secure"]  # plain http on loopback; https sets Secure (test_security_unit)


def test_a_reused_link_is_refused(console, page, shot):
    link = console.link(console.SUPER)
    page.goto(link)
    page.wait_for_url(console.url("/admin/"))
    page.context.clear_cookies()
    response = page.goto(link)
    shot("reused")
    assert response.status == 400
    assert "已经用过" in page.locator(".error").inner_text()
    assert page.locator("form[action='/admin/login']").count() == 0


def test_an_expired_link_is_refused(console, page, shot):
    link = console.link(console.SUPER)
    console.clock.advance(10 * 60 + 1)
    response = page.goto(link)
    shot("expired")
    assert response.status == 400
    assert "已过期" in page.locator(".error").inner_text()
    page.goto(console.url("/admin/"))
    assert page.url.startswith(console.url("/admin/login"))


def test_a_link_is_not_used_up_by_a_link_preview(console, page):
    """Chat apps fetch a link for its preview: a plain GET shows the confirming form only."""
    link = console.link(console.SUPER)
    token = _token(link)
    response = page.request.get(link)
    assert response.status == 200
    user, _expires, used = console.run(console.deps.storage.web_accounts.login_token(digest(token)))
    assert user == console.SUPER and used is None
    page.goto(link)
    page.wait_for_url(console.url("/admin/"))


def test_logout_ends_the_session(console, page, shot):
    console.login(page)
    page.get_by_role("button", name="退出登录").click()
    page.wait_for_url(console.url("/admin/login?bye=1"))
    shot("logged-out")
    assert "已退出" in page.locator(".ok").inner_text()
    page.goto(console.url("/admin/audit"))
    assert page.url.startswith(console.url("/admin/login"))


def test_a_unit_admin_opening_another_units_url_gets_403(console, page, shot):
    console.login(page, console.UNIT_ADMIN)
    own = console.visit(page, f"/admin/audit?unit={console.UNIT_A1}")
    assert own.status == 200
    other = console.visit(page, f"/admin/audit?unit={console.UNIT_B}", "other-unit")
    assert other.status == 403
    assert page.locator("h1").inner_text() == "无权访问"
    assert "本单位及下级单位" in page.locator(".error").inner_text()


def test_a_post_without_the_csrf_token_is_refused(console, page):
    console.login(page)
    missing = page.request.post(console.url("/admin/logout"), form={"x": "1"}, max_redirects=0)
    assert missing.status == 403
    assert "安全令牌" in missing.text()
    wrong = page.request.post(console.url("/admin/logout"), form={"csrf": "0" * 40}, max_redirects=0)
    assert wrong.status == 403
    page.goto(console.url("/admin/"))  # still logged in: the refused POSTs did nothing
    assert page.url == console.url("/admin/")


def test_security_headers_on_pages_static_files_and_errors(console, page):
    home = console.login(page) and page.request.get(console.url("/admin/"))
    for response in (home, page.request.get(console.url("/admin/static/console.css")),
                     page.request.get(console.url("/admin/no-such-page")),
                     page.request.get(console.url("/admin/login"))):
        headers = response.headers
        assert headers["content-security-policy"] == CSP, response.url
        assert headers["x-frame-options"] == "DENY"
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "no-referrer"
    assert home.headers["cache-control"] == "no-store"
    assert page.request.get(console.url("/admin/no-such-page")).status == 404
    wrong_method = page.request.get(console.url("/admin/logout"))
    assert wrong_method.status == 405 and wrong_method.headers["x-frame-options"] == "DENY"
    assert "不支持的请求方式" in wrong_method.text() and wrong_method.headers["allow"] == "POST"


def test_no_console_page_requests_a_non_loopback_host(console, page, phone):
    """The `page` fixture aborts and reports any request off loopback; this walks every page in
    the navigation as a super admin, on a desktop and on a 390-px phone (no page wider than it)."""
    for browser_page in (page, phone):
        console.login(browser_page)
        links = browser_page.eval_on_selector_all("nav.nav a", "els => els.map(e => e.getAttribute('href'))")
        assert "/admin/audit" in links
        for href in links:
            response = console.visit(browser_page, href)
            assert response.status == 200, href
            if browser_page is phone:  # nothing wider than a 390-px phone
                assert browser_page.evaluate("document.documentElement.scrollWidth") <= 390, href
        hosts = {r.split("/")[2] for r in browser_page.requests if r.startswith("http")}
        assert hosts == {console.base.split("/")[2]}



def test_a_session_idle_for_eight_hours_ends(console, page, shot):
    console.login(page)
    console.clock.advance(7 * 3600)
    assert console.visit(page, "/admin/audit").status == 200  # in use: the idle clock restarts
    console.clock.advance(7 * 3600)
    assert console.visit(page, "/admin/").status == 200
    console.clock.advance(8 * 3600 + 1)
    page.goto(console.url("/admin/audit"))
    shot("idle")
    assert page.url == console.url("/admin/login")
    assert "/web" in page.locator("main").inner_text()


def test_wrong_links_from_one_address_are_rate_limited(console, page):
    """Behind a trusted proxy (loopback here) X-Forwarded-For names the client; after
    web.max_failures refused links from it, even a good link is refused (429), elsewhere not."""
    client = {"X-Forwarded-For": "203.0.113.7"}
    for n in range(console.config.web.max_failures):
        bad = page.request.get(console.url(f"/admin/login?token={'x' * 40}{n:03d}"), headers=client)
        assert bad.status == 400 and "无效" in bad.text()
    good = console.link()
    blocked = page.request.get(good, headers=client)
    assert blocked.status == 429 and "过多" in blocked.text()
    refused = page.request.post(console.url("/admin/login"), form={"token": good.split("token=")[1]}, headers=client,
                                max_redirects=0)
    assert refused.status == 429
    other = page.request.get(good, headers={"X-Forwarded-For": "203.0.113.8"})
    assert other.status == 200 and 'name="token"' in other.text()


def test_the_phone_menu_and_the_language_switch(console, phone, shots):
    console.login(phone, console.UNIT_ADMIN)
    nav = phone.locator("nav.nav")
    assert not nav.is_visible()
    phone.locator("label.nav-button").click()
    assert nav.is_visible()
    shots.take(phone, "menu-open")
    nav.get_by_role("link", name="操作日志").click()
    phone.wait_for_url(console.url("/admin/audit"))
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390  # nothing wider than the screen
    phone.get_by_role("link", name="English").click()
    assert phone.locator("h1").inner_text() == "Audit log"
    shots.take(phone, "english")
    phone.goto(console.url("/admin/"))  # remembered
    assert phone.locator("h1").inner_text() == "Home"
    phone.get_by_role("link", name="中文").click()
    assert phone.locator("h1").inner_text() == "首页"
