"""Smoke test for bench/exam_load.py: a few users sit a few questions in both modes; asserts the
correctness check (every answer stored, every attempt submitted, no error replies), not timing."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench" / "exam_load.py"


@pytest.fixture(scope="module")
def exam_load():
    spec = importlib.util.spec_from_file_location("exam_load", BENCH)
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("exam_load", module)  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


async def test_saturation_stores_every_answer(exam_load, tmp_path):
    result = await exam_load.saturation(tmp_path, users=4, questions=5, seed=3)
    check = result["check"]
    assert result["failures"] == 0
    assert result["answers"] == 4 * 5
    assert check["stored_answers"] == check["expected_answers"] == 4 * 5
    assert check["attempts"] == check["submitted"] == 4
    assert check["ok"]


async def test_open_loop_latency_stores_every_answer(exam_load, tmp_path):
    # 3 users at 60 answers/s for 0.25 s: 5 answers each, offered on a fixed schedule
    result = await exam_load.latency(tmp_path, users=3, rate=60.0, duration=0.25, questions=10, seed=3)
    check = result["check"]
    assert result["failures"] == 0
    assert result["questions"] == 5 and result["answers"] == 3 * 5
    assert check["stored_answers"] == check["expected_answers"] == 3 * 5
    assert check["attempts"] == check["submitted"] == 3
    assert check["ok"]


def test_quick_cli_run_passes_its_check(exam_load, capsys):
    code = exam_load.main(["--quick", "--users", "3", "--questions", "3", "--rate", "30", "--duration", "0.2",
                           "--in-process"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "correctness: OK" in out
