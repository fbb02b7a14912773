"""The test suite itself: every function pytest collects as a test is defined in its test module
(a helper imported under a test_ name would be collected and run as a test), and no test outside
the slow set sleeps for long."""

from __future__ import annotations

import ast
import importlib
import inspect
from fnmatch import fnmatch
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def test_no_imported_helper_is_collected_as_a_test():
    strays = []
    for path in sorted(TESTS.rglob("test_*.py")):
        name = ".".join(path.relative_to(TESTS.parent).with_suffix("").parts)
        module = importlib.import_module(name)
        for attr, value in vars(module).items():
            if attr.startswith("test") and inspect.isfunction(value) and value.__module__ != name:
                strays.append(f"{name}.{attr} (from {value.__module__})")
    assert strays == []


MAX_SLEEP = 0.2  # seconds a test outside the slow set may really sleep at once (README "Test it")


def _long_sleeps(source: str) -> list[int]:
    """The lines of `source` that sleep for a literal number of seconds above MAX_SLEEP
    (asyncio.sleep, time.sleep, or any other *sleep)."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and ast.unparse(node.func).split(".")[-1].endswith("sleep") and node.args:
            first = node.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, int | float) and first.value > MAX_SLEEP:
                lines.append(node.lineno)
    return sorted(lines)


def test_the_sleep_check_finds_long_sleeps():
    assert _long_sleeps("import asyncio, time\nasync def f():\n    await asyncio.sleep(0.5)\n    time.sleep(1)\n"
                        "    await asyncio.sleep(0.2)\n    await asyncio.sleep(0)\n    await asyncio.sleep(t)\n") == [3, 4]


def test_no_test_outside_the_slow_set_sleeps_longer_than_max_sleep():
    """Tests wait for an event, or move an injected clock (ManualClock, a fake sleep), instead of
    sleeping: the everyday run's wall time is work, not waiting."""
    from tests.conftest import SLOW_PATHS

    found = []
    for path in sorted(TESTS.rglob("*.py")):
        relative = path.relative_to(TESTS).as_posix()
        if any(fnmatch(relative, pattern) for pattern in SLOW_PATHS):
            continue
        found += [f"{relative}:{line}" for line in _long_sleeps(path.read_text(encoding="utf-8"))]
    assert found == []
