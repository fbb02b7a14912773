"""Fixtures for the admin console's tests (tests/web): a running `lawbot run` HTTP server with the
console, and Playwright pages on Debian's Chromium.

    def test_something(console, page, shot):
        console.login(page, console.SUPER)                 # or console.UNIT_ADMIN
        console.visit(page, "/admin/audit")                # goto + screenshot
        shot("after-filter")                               # another screenshot of `page`
        console.run(some_coroutine(console.deps))          # run async setup on the server's loop

`console` (function scope; the server itself is started once per session):
    base            http://127.0.0.1:<port>
    app, deps       the running bot.bootstrap.App and its Deps (storage, catalog, config, clock)
    clock           console.clock.advance(seconds) moves the server's clock (reset after each test)
    run(coro)       run a coroutine on the server's event loop and return its result
    link(user)      a fresh one-time login link for an admin
    login(page, user=SUPER)   open a link in `page` and wait for the console's home page
    visit(page, path)         page.goto(base + path) and a screenshot; returns the response
    SUPER           "cli:root", a super admin (config)
    UNIT_ADMIN      "tg:9001", admin of unit UNIT_A
    UNITS           city (市) > UNIT_A 甲局, UNIT_B 乙局; UNIT_A > UNIT_A1 甲局一科
`page` / `phone`: a new browser context per test (no cookies), 1280×800 or 390×844. Browser
tests are plain (sync) functions; do async setup through console.run(...). Every request
a page makes is recorded; a request to any host but loopback fails the test (and is aborted).
Without Chromium (/usr/bin/chromium) or the playwright package the browser tests skip with the
reason; with LAWBOT_REQUIRE_BROWSER=1 (set by .ci/run) they fail instead.
Screenshots go to $LAWBOT_ARTIFACTS or <repo>/.artifacts/ (gitignored), one folder per test.
"""

from __future__ import annotations

import asyncio
import inspect
import os
import re
import shutil
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from bot.config import load_config
from bot.domain.units import Unit

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("LAWBOT_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
REQUIRE_BROWSER = os.environ.get("LAWBOT_REQUIRE_BROWSER") == "1"
LOOPBACK = ("127.0.0.1", "localhost", "::1", "[::1]")

SUPER = "cli:root"
UNIT_ADMIN = "tg:9001"
CITY, UNIT_A, UNIT_B, UNIT_A1 = "city", "ua", "ub", "ua1"
UNITS = [Unit(CITY, "市", None, 0), Unit(UNIT_A, "甲局", CITY, 1), Unit(UNIT_B, "乙局", CITY, 2),
         Unit(UNIT_A1, "甲局一科", UNIT_A, 1)]


def artifacts_root() -> Path:
    return Path(os.environ.get("LAWBOT_ARTIFACTS") or REPO / ".artifacts")


class OffsetClock:
    """The wall clock plus an offset the tests move (the server's deps.clock)."""

    def __init__(self):
        self.offset = 0.0

    def now(self) -> float:
        return time.time() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += seconds


class ConsoleServer:
    """`lawbot run` (bot.serving.serve) in a thread with its own event loop, on a loopback port."""

    def __init__(self, data_dir: Path, content_root: Path = REPO, **overrides):
        from tests.conftest import ON_POSTGRES
        from tests.support import pg

        settings = {"admin": {"super_admins": [SUPER]}, "http": {"host": "127.0.0.1"}}
        settings.update(overrides)
        # A server outlives the per-test PostgreSQL mapping of tests/conftest.py (it starts before
        # any test's fixtures): on LAWBOT_TEST_BACKEND=postgresql runs it gets a database of its
        # own on the test server, dropped in stop().
        self.database_url: str | None = None
        if ON_POSTGRES and "database" not in settings:
            pg.require()
            self.database_url = pg.create_database()
            settings["database"] = {"url": self.database_url}
        self.config = load_config(None, data_dir=str(data_dir), content_root=str(content_root), **settings)
        self.clock = OffsetClock()
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self.running = None
        self._thread = threading.Thread(target=self._main, name="console-server", daemon=True)

    def _main(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as exc:  # noqa: BLE001 - reported to the test thread
            self._error = exc
            self._ready.set()

    async def _serve(self) -> None:
        from bot.serving import serve

        self.loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()

        def ready(running) -> None:
            self.running = running
            running.app.service.deps.clock = self.clock
            self._ready.set()

        await serve(self.config, stop=self._stop, on_ready=ready, port=0)

    def start(self) -> ConsoleServer:
        self._thread.start()
        if not self._ready.wait(120):
            raise RuntimeError("the console server did not start within 120 s")
        if self._error is not None:
            raise self._error
        self.base = self.running.server.url
        self.app = self.running.app
        self.deps = self.app.service.deps
        expected = "postgresql" if self.database_url else "sqlite"
        assert self.deps.storage.dialect == expected, (self.deps.storage.dialect, expected)
        self.run(self._seed())
        return self

    async def _seed(self) -> None:
        store = self.deps.storage
        async with store.atomic():
            await store.roster.upsert_units(UNITS)
            await store.admins.set_admin(UNIT_ADMIN, UNIT_A, SUPER, self.clock.now())

    def run(self, coro, timeout: float = 60):
        """Run a coroutine on the server's loop (its storage connections live there)."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def stop(self) -> None:
        if self.loop is not None and self._thread.is_alive():
            self.loop.call_soon_threadsafe(self._stop.set)
            self._thread.join(30)
        if self.database_url:
            from tests.support import pg

            pg.drop_database(self.database_url)
            self.database_url = None


class Console:
    """What a test gets: the shared server plus helpers bound to this test."""
    SUPER = SUPER
    UNIT_ADMIN = UNIT_ADMIN
    CITY, UNIT_A, UNIT_B, UNIT_A1 = CITY, UNIT_A, UNIT_B, UNIT_A1

    def __init__(self, server: ConsoleServer, shots: Shots):
        self.server = server
        self.base = server.base
        self.app = server.app
        self.deps = server.deps
        self.config = server.config
        self.clock = server.clock
        self.shots = shots

    def run(self, coro, timeout: float = 60):
        return self.server.run(coro, timeout)

    def link(self, user: str = SUPER) -> str:
        from bot.services import accounts

        return self.run(accounts.issue_link(self.deps, user, base=self.base)).url

    def url(self, path: str) -> str:
        return self.base + path

    def login(self, page, user: str = SUPER):
        page.goto(self.link(user))
        page.wait_for_url(self.base + "/admin/", timeout=15_000)
        self.shots.take(page, "home")
        return page

    def visit(self, page, path: str, name: str | None = None):
        response = page.goto(self.base + path)
        self.shots.take(page, name or path)
        return response


class Shots:
    """Screenshots of one test: <artifacts>/<test name>/<nn>-<name>.png."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.n = 0

    def take(self, page, name: str = "page") -> Path | None:
        self.n += 1
        slug = re.sub(r"[^\w.-]+", "_", name).strip("_")[:60] or "page"
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"{self.n:02d}-{slug}.png"
        try:
            page.screenshot(path=str(path), full_page=True)
        except Exception:  # noqa: BLE001 - a closed page: no screenshot, not a failure
            return None
        return path


def _test_folder(request) -> Path:
    name = re.sub(r"[^\w.-]+", "_", request.node.nodeid.split("tests/", 1)[-1])[:150]
    return artifacts_root() / name


@pytest.fixture(scope="session")
def console_server():
    data = Path(tempfile.mkdtemp(prefix="lawbot-console-"))
    server = ConsoleServer(data).start()
    yield server
    server.stop()
    shutil.rmtree(data, ignore_errors=True)


@pytest.fixture
def shots(request) -> Shots:
    folder = _test_folder(request)
    shutil.rmtree(folder, ignore_errors=True)  # only this run's screenshots
    return Shots(folder)


@pytest.fixture
def console(console_server, shots) -> Console:
    yield Console(console_server, shots)
    console_server.clock.offset = 0.0


def _browser_missing() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (pip install -e '.[test]')"
    if not (os.path.exists(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        return f"no Chromium at {CHROMIUM} (apt-get install -y chromium)"
    return None


class _Browser:
    """One Chromium for a module's browser tests, started on first use. Playwright's sync API
    leaves its event loop marked as running in the main thread, so it is stopped before any
    async test (or fixture) runs and at the end of each module; the next browser test starts
    it again (about a second)."""

    def __init__(self):
        self.playwright = None
        self.chromium = None

    def get(self):
        if self.chromium is None:
            from playwright.sync_api import sync_playwright

            self.playwright = sync_playwright().start()
            try:
                self.chromium = self.playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS,
                                                                headless=True)
            except Exception:
                self.close()
                raise
        return self.chromium

    def close(self) -> None:
        if self.chromium is not None:
            self.chromium.close()
        if self.playwright is not None:
            self.playwright.stop()
        self.chromium = self.playwright = None


_BROWSER = _Browser()


@pytest.fixture(scope="module", autouse=True)
def _browser_per_module():
    yield
    _BROWSER.close()


@pytest.fixture(autouse=True)
def _no_browser_under_async_tests(request):
    if inspect.iscoroutinefunction(request.function):
        _BROWSER.close()


@pytest.fixture
def browser():
    reason = _browser_missing()
    if reason is not None:
        if REQUIRE_BROWSER:
            pytest.fail(f"LAWBOT_REQUIRE_BROWSER=1 but {reason}", pytrace=False)
        pytest.skip(f"browser tests skipped: {reason}")
    try:
        return _BROWSER.get()
    except Exception as exc:  # noqa: BLE001
        if REQUIRE_BROWSER:
            pytest.fail(f"Chromium did not start: {exc}", pytrace=False)
        pytest.skip(f"browser tests skipped: Chromium did not start: {str(exc).splitlines()[0]}")


def _loopback(url: str) -> bool:
    if url.startswith(("data:", "blob:", "about:")):
        return True
    return (urlsplit(url).hostname or "") in LOOPBACK


def _page(browser, shots: Shots, **context_options):
    context = browser.new_context(locale="zh-CN", **context_options)
    context.set_default_timeout(15_000)
    outside: list[str] = []

    def guard(route):
        url = route.request.url
        if _loopback(url):
            route.continue_()
        else:
            outside.append(url)
            route.abort()

    context.route("**/*", guard)
    page = context.new_page()
    page.requests = []  # every URL this page requested, for tests that look at them
    page.on("request", lambda r: page.requests.append(r.url))
    return context, page, outside


def _opened(browser, shots: Shots, last_shot: str, **context_options):
    """A page for one test; afterwards its last screenshot, and no request outside loopback."""
    context, page, outside = _page(browser, shots, **context_options)
    yield page
    shots.take(page, last_shot)
    context.close()
    assert not outside, f"console pages requested non-loopback URLs: {outside}"


@pytest.fixture
def page(browser, shots):
    yield from _opened(browser, shots, "last", viewport={"width": 1280, "height": 800})


@pytest.fixture
def phone(browser, shots):
    yield from _opened(browser, shots, "last-phone", viewport={"width": 390, "height": 844}, is_mobile=True,
                       has_touch=True, device_scale_factor=2)


@pytest.fixture
def shot(page, shots):
    """shot("name"): a screenshot of `page` now."""
    return lambda name="page": shots.take(page, name)
