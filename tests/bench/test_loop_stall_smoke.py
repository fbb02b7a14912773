"""Smoke test for bench/loop_stall.py: a small city, a few users practising while the admin
exports and draws the three charts; asserts the export lists everyone and no answer failed,
not timing."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench" / "loop_stall.py"


@pytest.fixture(scope="module")
def loop_stall():
    spec = importlib.util.spec_from_file_location("loop_stall", BENCH)
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("loop_stall", module)
    spec.loader.exec_module(module)
    return module


@pytest.mark.sqlite_only  # the bench writes its city into the SQLite file directly (or via COPY on a server)
async def test_export_and_charts_complete_while_users_practise(loop_stall, tmp_path):
    results = await loop_stall.run(tmp_path / "bench.sqlite3", tmp_path, people=400, users=3, runs=1, questions=2,
                                   seed=5, warmup=0.1)
    (result,) = results
    assert result["people_rows"] == 400
    assert result["failures"] == 0, result["failure_examples"]
    assert set(result["charts_s"]) == {"c", "h", "t"}
    assert set(result["phase_stall_ms"]) == {"export", "chart c", "chart h", "chart t"}
    assert result["stall_ms"] >= 0 and result["export_s"] > 0
