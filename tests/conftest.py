"""Shared fixtures. Tests never reach the network: sockets may only connect to loopback.

LAWBOT_TEST_BACKEND=postgresql runs the whole suite on PostgreSQL: every SQLite path a test
opens becomes a fresh database on the test server (see tests/support/pg.py), dropped afterwards.
Tests marked `sqlite_only` (they read the SQLite file itself, or start a child process on it)
are skipped then.

Tests marked `slow` are left out of the everyday run, `pytest -m "not slow"`; `.ci/run` runs
every test. Marked here: everything under tests/multiworker (it starts `lawbot run` processes)
and the benchmark scripts' smoke tests (tests/bench/test_*_smoke.py), and every test that uses Chromium or the
console's server (tests/web), and the few others named in SLOW_TESTS (child processes that load
the whole catalog, whole-bank round trips); other tests carry @pytest.mark.slow themselves (the
Excel exports of a 6,000-person unit in tests/reports)."""

from __future__ import annotations  # noqa: I001 - tests.support.bytecode stays first

import tests.support.bytecode  # noqa: F401 - first: what is imported after it is cached (see there)
import os
import socket
import tempfile
from fnmatch import fnmatch
from pathlib import Path

import pytest

import bot.storage.sql.store as store_module
from bot.clock import ManualClock
from tests.support import pg, shared_index, templates
from tests.support.transcript import Chat, make_app

shared_index.install()  # one search index per process for the shipped content (see its docstring)

# One cache folder for the run, its pytest-xdist workers and the `lawbot` child processes they
# start (they inherit the variable): the checked catalog (bot.catalog.cache) and the search index
# (bot.search.cache, for the bots that tests start and for the command line) are made once per
# content version and read by every later process instead of parsing and indexing the content
# again. Kept between runs; its files are keyed by the content's hash.
if not os.environ.get("LAWBOT_CACHE_DIR"):
    os.environ["LAWBOT_CACHE_DIR"] = str(Path(tempfile.gettempdir()) / f"lawbot-tests-cache-{os.getuid()}")

ON_POSTGRES = os.environ.get("LAWBOT_TEST_BACKEND") == "postgresql"
TESTS = Path(__file__).resolve().parent

_real_connect = socket.socket.connect


def _loopback_only(self, address):
    host = address[0] if isinstance(address, tuple) else address
    if isinstance(host, str) and not (host.startswith(("127.", "/")) or host in ("localhost", "::1")):
        raise RuntimeError(f"network access to {host!r} is not allowed in tests")
    return _real_connect(self, address)


@pytest.fixture(autouse=True)
def _no_network(monkeypatch):
    monkeypatch.setattr(socket.socket, "connect", _loopback_only)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
async def app(tmp_path, clock):
    application = await make_app(tmp_path, clock)
    yield application
    await application.close()


@pytest.fixture
def chat(app) -> Chat:
    return Chat(app)


def pytest_configure(config):
    config.addinivalue_line("markers", "sqlite_only: reads the SQLite file directly; skipped on PostgreSQL runs")
    config.addinivalue_line("markers", "slow: left out of the everyday run (pytest -m 'not slow'); .ci/run runs it")


# The slow set (see SLOW_PATHS and _slow below): left out by `pytest -m "not slow"`, run by .ci/run.
SLOW_PATHS = {  # globs under tests/
    "multiworker/*": "starts `lawbot run` processes (workers, supervisor, nginx) or races workers",
    "bench/test_*_smoke.py": "runs a benchmark script on small inputs",
}
SLOW_TESTS = {  # path under tests/ :: test function (all its parameters); measured at 2-18 s each
    "app/test_crash_resume.py::test_sigkill_mid_exam_then_resume":
        "kills a `lawbot chat` child process mid-exam and starts another (each loads the whole catalog)",
    "catalog/test_bank_io.py::test_cli_import_export_template": "runs `lawbot bank` child processes",
    "catalog/test_bank_io.py::test_whole_shipped_bank_round_trips_losslessly":
        "writes and reads the whole shipped bank in each format",
    "catalog/test_bank_cli_publish.py::test_cli_import_reaches_a_running_worker":
        "a `lawbot bank import` child process and a running worker",
    "catalog/test_near_duplicates.py::test_same_pairs_as_before_on_the_shipped_bank":
        "compares the pairs of the whole shipped bank",
    "catalog/test_near_duplicates.py::test_same_pairs_as_before_on_near_duplicates":
        "compares the pairs of ~7,000 synthetic stems at five thresholds",
    # each 2-5 s of wall time at idle (measured 2026-11-25): processes, real-time waits, big data
    "scheduler/test_bot_api_limits.py::test_sigkill_mid_campaign_then_restart_loses_nothing":
        "two outbox-sender child processes, one SIGKILLed, sending 600 messages to a rate-capped server",
    "scheduler/test_bot_api_limits.py::test_limits_429_403_and_5xx_every_message_once":
        "waits out the rate-capped server's real one-second retry_after several times",
    "reports/test_streamed_export.py::test_a_generated_city_streams_to_the_same_workbook":
        "generates a 3,000-person city and exports it twice per unit and exam",
    "reports/test_streamed_export.py::test_export_memory_does_not_grow_with_the_organisation":
        "generates 1,000- and 5,000-person cities and traces the export's memory",
    "search/test_index_cache.py::test_two_processes_starting_at_once_build_one_file_and_both_answer":
        "two child processes each load jieba and build the index",
    "search/test_index_cache.py::test_a_question_during_start_up_awaits_the_index_without_blocking_the_loop":
        "a builder child process loads jieba and builds the index",
    "search/test_index_cache.py::test_without_a_cache_folder_a_bot_still_builds_apart_and_keeps_nothing":
        "a builder child process loads jieba and builds the index",
    "channels/console/test_console_session.py::test_log_records_stay_out_of_the_conversation":
        "a `lawbot chat` child process runs two admin commands",
    "storage/test_concurrent_open.py::test_processes_that_open_a_new_file_together_all_succeed":
        "several child processes open one new database file at once",
}
BROWSER_FIXTURES = {"browser", "console_server"}  # Chromium, or the console's `lawbot run` server


def _slow(item) -> str | None:
    """Why a test is slow (None: it is not): its folder, its fixtures, or its own marker."""
    path = item.path.relative_to(TESTS).as_posix()
    for pattern, reason in SLOW_PATHS.items():
        if fnmatch(path, pattern):
            return reason
    if BROWSER_FIXTURES & set(getattr(item, "fixturenames", ())):
        return "drives Chromium or the console's server"
    return SLOW_TESTS.get(f"{path}::{getattr(item, 'originalname', item.name)}")


def pytest_collection_modifyitems(config, items):
    for item in items:
        if _slow(item) is not None and not item.get_closest_marker("slow"):
            item.add_marker(pytest.mark.slow)
        if BROWSER_FIXTURES & set(getattr(item, "fixturenames", ())):
            # under pytest-xdist (--dist loadgroup) the console server and Chromium stay in one worker
            item.add_marker(pytest.mark.xdist_group("console"))
        elif fnmatch(item.path.relative_to(TESTS).as_posix(), "multiworker/*"):
            # and the tests that start several `lawbot run` processes (or race workers) run one at
            # a time, in one worker: two of them at once on two cores would starve each other
            item.add_marker(pytest.mark.xdist_group("multiworker"))
    if ON_POSTGRES:
        for item in items:
            if item.get_closest_marker("sqlite_only"):
                item.add_marker(pytest.mark.skip(reason="reads the SQLite file itself (LAWBOT_TEST_BACKEND=postgresql)"))


@pytest.fixture(autouse=True)
def _storage_backend(request, monkeypatch):
    """On PostgreSQL runs, map each SQLite path a test opens to its own fresh database."""
    if not ON_POSTGRES or request.node.get_closest_marker("sqlite_only"):
        yield
        return
    pg.require()
    real = store_module.database_url
    databases: dict[str, str] = {}

    def mapped(target):
        text = str(target)
        if "://" in text:
            return real(target)
        if text not in databases:  # a file migrated_sqlite filled: a migrated database here too
            databases[text] = pg.create_database(migrated=text in templates.copied)
        return real(databases[text])

    monkeypatch.setattr(store_module, "database_url", mapped)
    yield
    for url in databases.values():
        pg.drop_database(url)


@pytest.fixture(autouse=True)
def _shared_catalog_untouched():
    """The checked catalog is loaded once per process and shared by every test: a test (or a
    bench script it imports) that adds or removes exams in it would change what later tests see."""
    from bot import bootstrap

    before = {root: set(catalog.exams) for root, catalog in bootstrap._CATALOGS.items()}
    yield
    for root, exams in before.items():
        catalog = bootstrap._CATALOGS.get(root)
        if catalog is not None:
            assert set(catalog.exams) == exams, f"this test changed the shared catalog's exams under {root}"


def pytest_sessionfinish(session):
    pg.drop_templates()  # this process's migrated template database, if one was made
