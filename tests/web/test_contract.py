"""The page contract of docs/web.md, checked over every page module and template (no browser):
every console route but login and static files is behind admin_required, no template has inline
script, style or event handlers (the CSP would block them), every POST form carries the CSRF
field, and every text key a template or NAV names exists in Chinese and English."""

from __future__ import annotations

import re

from aiohttp import web

from bot.texts import EN, ZH
from bot.web.app import page_modules, routes
from bot.web.render import TEMPLATES

PUBLIC = {("GET", "/admin"), ("GET", "/admin/login"), ("POST", "/admin/login")}


def _templates():
    return sorted(TEMPLATES.glob("*.html"))


def test_every_console_route_is_under_admin_and_behind_admin_required():
    modules = page_modules()
    assert modules, "PAGES lists no module"
    for module in modules:
        for route in module.routes():
            assert route.path.startswith("/admin/"), (module.__name__, route.path)
    for route in routes(modules):
        if isinstance(route, web.StaticDef):
            continue
        if (route.method, route.path) in PUBLIC:
            continue
        assert getattr(route.handler, "admin_required", False), f"{route.method} {route.path} is not @admin_required"


def test_nav_entries_name_existing_texts():
    for module in page_modules():
        nav = getattr(module, "NAV", None)
        assert nav is None or (nav[0].startswith("/admin/") and nav[1] in ZH and nav[1] in EN), module.__name__


def test_templates_have_no_inline_script_style_or_handlers_and_post_forms_carry_csrf():
    for path in _templates():
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), f"{path.name}: inline <script>"
        assert "<style" not in text, f"{path.name}: <style>"
        assert not re.search(r"\sstyle\s*=", text), f"{path.name}: style= attribute"
        assert not re.search(r"\son[a-z]+\s*=", text), f"{path.name}: on…= handler"
        assert "javascript:" not in text, f"{path.name}: javascript: URL"
        for form in re.findall(r"<form\b[^>]*>.*?</form>", text, re.S | re.I):
            if re.search(r"method=[\"']?post", form, re.I):
                assert "csrf_field()" in form or 'name="token"' in form, f"{path.name}: POST form without csrf_field()"


def test_text_keys_named_in_templates_exist_in_both_languages():
    missing = []
    for path in _templates():
        for key in re.findall(r"""\bt\(\s*["']([a-z0-9_]+)["']\s*[,)]""", path.read_text(encoding="utf-8")):
            if key not in ZH or key not in EN:
                missing.append(f"{path.name}: {key}")
    assert not missing, missing
