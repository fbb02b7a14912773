"""Ctrl-C must wake the chat whichever thread the kernel delivers SIGINT to. asyncio.run's own
handler runs only when the main thread next executes Python code, so a SIGINT landing on the
input-reader thread could leave the chat asleep in select(). The chat installs the loop's signal
handler, which also sets the signal wake-up fd: this checks that a running chat has one."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from tests.support.transcript import REPO

PROBE = textwrap.dedent("""
    import asyncio, os, signal, sys, tempfile
    from bot.cli_chat import run_console

    async def probe():
        r, w = os.pipe()
        before = signal.getsignal(signal.SIGINT)
        chat = asyncio.create_task(run_console(data_dir=tempfile.mkdtemp(), stdin=os.fdopen(r, "r")))
        for _ in range(600):  # until the chat has taken over SIGINT (or ended)
            if chat.done() or signal.getsignal(signal.SIGINT) is not before:
                break
            await asyncio.sleep(0.05)
        fd = signal.set_wakeup_fd(-1)
        signal.set_wakeup_fd(fd)
        os.write(w, b"/quit\\n")
        code = await chat
        print("WAKEUP", fd, "CODE", code, file=sys.stderr)

    asyncio.run(probe())
""")


def test_a_running_chat_has_a_signal_wakeup_fd_so_ctrl_c_on_any_thread_wakes_it(tmp_path):
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, cwd=REPO, timeout=120)
    line = [x for x in done.stderr.splitlines() if x.startswith("WAKEUP")]
    assert line, done.stderr[-2000:]
    _, fd, _, code = line[-1].split()
    assert code == "0"
    assert int(fd) >= 0, "no wake-up fd: a SIGINT delivered to another thread would not wake the chat"
