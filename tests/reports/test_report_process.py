"""The statistics workbook and charts built in the report process (bot/reports/process.py): the
same workbook as the in-thread path, the bot process's own CPU (and so its event loop and its
interpreter lock) left to the users while an export runs, and a report process that dies gives
the admin one line of Chinese and the next export a new process. Runs on PostgreSQL too
(LAWBOT_TEST_BACKEND=postgresql)."""

from __future__ import annotations

import asyncio
import io
import os
import signal
import time

import pytest
from openpyxl import load_workbook

from bot.app.messages import Incoming
from bot.reports import process
from bot.texts import tr
from tests.reports.test_export_off_loop import ADMIN, EXAM, STALL_BOUND, TICK, unit_of_thousands
from tests.support.loop_lag import loop_lag
from tests.support.transcript import make_app

pytestmark = pytest.mark.slow  # spawns the report process and exports a unit of 20,000 people

PEOPLE = 20_000  # the export dominates the fixed costs of a call (folds, file read back)


def _sheets(data: bytes) -> list[tuple[str, list[tuple]]]:
    book = load_workbook(io.BytesIO(data), read_only=True)
    try:
        return [(ws.title, list(ws.iter_rows(values_only=True))) for ws in book.worksheets]
    finally:
        book.close()


async def _export(app) -> tuple[bytes, float, float]:
    """/export of the unit: (the .xlsx, this process's CPU seconds spent, the loop's worst lateness)."""
    async with loop_lag(TICK) as late:
        cpu = time.process_time()
        try:
            replies = await app.service.handle(Incoming(user=ADMIN, text=f"/export {EXAM}"))
        finally:
            cpu = time.process_time() - cpu
    files = [r.attachment for r in replies if r.attachment is not None]
    assert files and files[0].filename.endswith(".xlsx"), replies[0].text
    return files[0].data, cpu, max(late, default=0.0)


async def test_export_in_the_report_process_is_the_same_workbook_and_leaves_the_cpu(tmp_path, clock, monkeypatch):
    app = await make_app(tmp_path, clock, admin={"super_admins": [ADMIN], "export_max_rows": 50_000})
    exports = app.config.data_dir / process.EXPORT_DIR
    try:
        await unit_of_thousands(app, PEOPLE)
        assert process.enabled(app.service.deps)
        await _export(app)  # starts the report process (its imports are its own CPU, not ours)
        assert process.worker_pids() and os.getpid() not in process.worker_pids()
        there, cpu_there, late_there = await _export(app)
        monkeypatch.setenv("LAWBOT_REPORT_PROCESS", "0")  # the in-thread path, as before
        here, cpu_here, _late_here = await _export(app)
    finally:
        await app.close()
    assert _sheets(there) == _sheets(here)
    assert len(_sheets(there)[1][1]) == PEOPLE + 1
    # CPU time, not wall time: a loaded machine slows both alike. Built in a thread of this process,
    # the export's CPU is ours (and holds the GIL the event loop needs); built in the report process,
    # this process only folds the logs, waits and reads the file back.
    assert cpu_there < cpu_here / 4, f"this process spent {cpu_there:.2f} s of CPU (in a thread: {cpu_here:.2f} s)"
    assert late_there < STALL_BOUND, f"the loop stalled {late_there:.2f} s during the export"
    assert exports.is_dir() and not list(exports.iterdir()), "the files handed back are removed"


async def test_a_dead_report_process_gives_one_line_and_the_next_export_works(tmp_path, clock):
    app = await make_app(tmp_path, clock, admin={"super_admins": [ADMIN], "export_max_rows": 50_000})
    try:
        await unit_of_thousands(app)
        process.shutdown()  # a fresh report process: it is still importing when it is killed
        export = asyncio.create_task(app.service.handle(Incoming(user=ADMIN, text=f"/export {EXAM}")))
        deadline = time.monotonic() + 60
        while not process.worker_pids() and time.monotonic() < deadline:
            await asyncio.sleep(0.005)
        killed = process.worker_pids()
        assert killed, "the report process started"
        for pid in killed:
            os.kill(pid, signal.SIGKILL)
        replies = await asyncio.wait_for(export, 120)
        assert [r.text for r in replies] == [tr("zh", "report_failed")]
        assert "\n" not in replies[0].text and replies[0].attachment is None

        data, _cpu, _late = await asyncio.wait_for(_export(app), 300)  # a new report process
        assert len(_sheets(data)[1][1]) == 6000 + 1
        assert process.worker_pids() and not set(process.worker_pids()) & set(killed)
    finally:
        await app.close()


async def test_shutdown_leaves_no_report_process(tmp_path, clock):
    app = await make_app(tmp_path, clock, admin={"super_admins": [ADMIN]})
    try:
        await app.service.handle(Incoming(user=ADMIN, action="a:c:0:"))  # a chart: starts the process
        pids = process.worker_pids()
        assert pids
    finally:
        await app.close()
    process.shutdown()
    assert not process.worker_pids()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if not any(_alive(pid) for pid in pids):
            break
        await asyncio.sleep(0.05)
    assert not any(_alive(pid) for pid in pids)


def _alive(pid: int) -> bool:
    try:
        waited, _status = os.waitpid(pid, os.WNOHANG)  # our child: reap it if it has exited
        return waited == 0
    except ChildProcessError:
        return False
