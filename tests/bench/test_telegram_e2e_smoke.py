"""Smoke test for bench/telegram_e2e.py: a few users through the real channel against the fake
Bot API, with the sampling profile; asserts every update got its replies and the profile counted
the storage layer and the HTTP client, not timing."""

from __future__ import annotations

import importlib
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench"


def test_a_small_run_completes_and_says_where_the_cpu_went(capsys, monkeypatch):
    monkeypatch.syspath_prepend(str(BENCH))  # the bench's spawned processes import it by name
    module = importlib.import_module("telegram_e2e")
    assert module.main(["--only", "lawbot", "--users", "4", "--per-user", "8", "--runs", "1", "--profile"]) == 0
    out = capsys.readouterr().out
    assert "where lawbot's CPU went" in out
    shares = {line.rsplit(None, 1)[0].strip(): float(line.rsplit(None, 1)[1].rstrip("%"))
              for line in out.split("where lawbot's CPU went", 1)[1].splitlines()[1:] if line.endswith("%")}
    assert shares.get("core: storage (SQLite)", 0) > 0 and shares.get("Bot API: aiohttp", 0) > 0
    assert abs(sum(shares.values()) - 100) < 1
