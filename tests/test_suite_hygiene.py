"""The test suite itself: every function pytest collects as a test is defined in its test module
(a helper imported under a test_ name would be collected and run as a test)."""

from __future__ import annotations

import importlib
import inspect
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
