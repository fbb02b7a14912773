"""A real process killed with SIGKILL mid-exam; a new process continues the same attempt."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.sqlite_only  # reads the SQLite file itself
REPO = Path(__file__).resolve().parents[2]


def _spawn(data_dir: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "chat", "--data-dir", str(data_dir), "--user", "crash"],
        cwd=REPO, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        encoding="utf-8", bufsize=1,
    )


def _read_until(proc: subprocess.Popen, needle: str, timeout: float = 30) -> str:
    seen = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        seen.append(line)
        if needle in line:
            return "".join(seen)
    raise AssertionError(f"{needle!r} not seen; got:\n{''.join(seen)[-2000:]}")


def _send(proc: subprocess.Popen, line: str) -> None:
    proc.stdin.write(line + "\n")
    proc.stdin.flush()


def test_sigkill_mid_exam_then_resume(tmp_path):
    proc = _spawn(tmp_path)
    try:
        _read_until(proc, "[6]")  # the main menu is on screen
        _send(proc, "/exam")
        _read_until(proc, "年度学法考法")
        _send(proc, "2")
        _read_until(proc, "开始考试")
        _send(proc, "1")
        _read_until(proc, "第 1/50 题")
        for n in range(2, 6):
            _send(proc, "A")  # A is a valid answer for every question type (判断: A = 正确)
            _read_until(proc, f"第 {n}/50 题")
        db = sqlite3.connect(tmp_path / "lawbot.sqlite3")
        committed = db.execute("SELECT COUNT(*) FROM attempt_answers").fetchone()[0]
        db.close()
        assert committed == 4  # acknowledged answers are already on disk
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)

    proc = _spawn(tmp_path)
    try:
        _read_until(proc, "[6]")
        _send(proc, "/exam")
        out = _read_until(proc, "进行中的考试")
        assert "已答 4/50" in out
        _send(proc, "1")
        out = _read_until(proc, "第 5/50 题")
        _send(proc, "/quit")
        proc.wait(20)
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
    db = sqlite3.connect(tmp_path / "lawbot.sqlite3")
    assert db.execute("SELECT COUNT(*) FROM attempts").fetchone()[0] == 1
    assert db.execute("SELECT status FROM attempts").fetchone()[0] == "open"
    db.close()
