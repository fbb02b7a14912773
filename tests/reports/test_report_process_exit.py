"""The report process (bot/reports/process.py) is started, stopped and killed with public APIs
only, and still never holds up the bot: a job past its time is killed and the next call gets a
new process, and the interpreter exits at once with a job under way, the process killed."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.reports import process
from tests.support.transcript import make_app

REPO = Path(__file__).resolve().parents[2]
NAP = "tests.reports.naps:nap"


DOCUMENTED = {"os._exit"}  # public despite the underscore


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def test_the_report_process_module_uses_no_private_api():
    """No `thing._name` (nor getattr(thing, "_name")) but on self: it used
    ProcessPoolExecutor._processes and threading._register_atexit, which a Python release may
    change without notice."""
    tree = ast.parse(Path(process.__file__).read_text(encoding="utf-8"))
    private = sorted(f"{ast.unparse(node)} (line {node.lineno})" for node in ast.walk(tree)
                     if isinstance(node, ast.Attribute) and _private(node.attr)
                     and not (isinstance(node.value, ast.Name) and node.value.id == "self")
                     and ast.unparse(node) not in DOCUMENTED)
    private += sorted(f"{ast.unparse(node)} (line {node.lineno})" for node in ast.walk(tree)
                      if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "getattr"
                      and len(node.args) > 1 and isinstance(node.args[1], ast.Constant)
                      and isinstance(node.args[1].value, str) and _private(node.args[1].value))
    assert private == []


def _gone(pid: int, within: float) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            waited, _status = os.waitpid(pid, os.WNOHANG)  # our child: reap it if it has exited
            if waited:
                return True
        except ChildProcessError:  # not (or no longer) our child
            if not Path(f"/proc/{pid}").exists():
                return True
        time.sleep(0.05)
    return False


@pytest.mark.slow  # spawns the report process twice
async def test_a_job_past_its_time_is_killed_and_the_next_call_gets_a_new_process(tmp_path, clock, monkeypatch):
    app = await make_app(tmp_path, clock)
    try:
        deps = app.service.deps
        assert process.enabled(deps)
        first = await process.call(deps, NAP, 0)  # started (its imports are not the job's time)
        assert process.worker_pids() == [first] and first != os.getpid()
        monkeypatch.setattr(process, "JOB_TIMEOUT", 1.0)
        started = time.monotonic()
        with pytest.raises(process.ReportFailed):
            await process.call(deps, NAP, 60)
        assert time.monotonic() - started < 30
        assert _gone(first, 10), "the stuck report process was killed"
        monkeypatch.setattr(process, "JOB_TIMEOUT", 300.0)
        second = await process.call(deps, NAP, 0)
        assert second not in (first, os.getpid()) and process.worker_pids() == [second]
    finally:
        await app.close()
        process.shutdown()


@pytest.mark.slow  # spawns the report process twice
async def test_a_process_grown_too_big_exits_after_its_job_and_the_next_call_gets_a_new_one(tmp_path, clock,
                                                                                          monkeypatch):
    app = await make_app(tmp_path, clock)
    try:
        deps = app.service.deps
        monkeypatch.setattr(process, "RECYCLE_RSS", 0)  # every process is too big after its job
        first = await process.call(deps, NAP, 0)
        assert process.worker_pids() == []  # retired: its job's answer came back all the same
        assert _gone(first, 10), "the retired report process exited when its pipe closed"
        second = await process.call(deps, NAP, 0)
        assert second not in (first, os.getpid())
    finally:
        await app.close()
        process.shutdown()


EXIT_SCRIPT = """
import asyncio, sys
from pathlib import Path
from bot.clock import ManualClock
from bot.reports import process
from tests.support.transcript import make_app

async def main(folder):
    app = await make_app(folder, ManualClock())
    marker = folder / "napping"
    job = asyncio.ensure_future(process.call(app.service.deps, "tests.reports.naps:nap", 600, str(marker)))
    while not marker.exists():
        await asyncio.sleep(0.05)
    print(process.worker_pids()[0], flush=True)  # and leave, the job under way

asyncio.run(main(Path(sys.argv[1])))
"""


@pytest.mark.slow  # a child interpreter that loads the catalog and spawns the report process
def test_the_interpreter_exits_at_once_with_a_job_under_way(tmp_path):
    child = subprocess.Popen([sys.executable, "-c", EXIT_SCRIPT, str(tmp_path)], cwd=REPO,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None
        line = child.stdout.readline()
        left = time.monotonic()
        assert line.strip().isdigit(), line + child.stderr.read() if child.stderr else line
        child.wait(timeout=120)
        took = time.monotonic() - left
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert took < 20, f"the exit waited {took:.1f} s for the job"
    assert _gone(int(line), 10), "the report process was killed at exit"
