"""Smoke test for bench/web.py: a small generated city, every timed page answers 200 over HTTP
with the console's session cookie, and the summary line is printed. Not a timing test."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench" / "web.py"

pytestmark = pytest.mark.sqlite_only  # the generator writes the SQLite file itself


@pytest.fixture(scope="module")
def web_bench():
    spec = importlib.util.spec_from_file_location("bench_web", BENCH)
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("bench_web", module)
    spec.loader.exec_module(module)
    return module


async def test_small_city_every_page_answers(web_bench, tmp_path, capsys):
    code = await web_bench.main(["--people", "300", "--questions", "2", "--runs", "2", "--dir", str(tmp_path)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "300 roster entries" in out
    for label, _path in web_bench.pages("bench-a"):
        assert label in out  # a page that did not answer 200 stops the run with its status
    assert "slowest cold page" in out and "targets:" in out
