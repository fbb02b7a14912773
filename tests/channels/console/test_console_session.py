"""`lawbot chat` as a person at a terminal sees it: Ctrl-C and Ctrl-D end it at once, the greeting
says how, log records stay out of the conversation, and what the console adds is in Chinese.

"At once" is measured in the chat's own CPU time from the key press to its exit (a few hundredths
of a second), not in wall-clock seconds: on a loaded machine (the suite's workers, their child
processes) a process that needs 0.07 s of CPU can wait seconds for it. A chat that ignores the key
never ends at all, and fails the generous wall-clock limit."""

from __future__ import annotations

import os
import pty
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

from bot.app.messages import Attachment, Reply
from bot.channels.console.render import render
from tests.support.transcript import REPO

ENV = {k: v for k, v in os.environ.items() if k not in ("LAWBOT_LANG", "LC_ALL", "LC_MESSAGES")}
ENV["LANG"] = "C.UTF-8"


class Terminal:
    """`python -m bot chat` on a pseudo-terminal (so it runs interactively)."""

    def __init__(self, data_dir: Path):
        self.master, slave = pty.openpty()
        self.proc = subprocess.Popen([sys.executable, "-m", "bot", "chat", "--data-dir", str(data_dir)],
                                     stdin=slave, stdout=slave, stderr=slave, cwd=REPO, env=ENV)
        os.close(slave)
        self.seen = b""
        self.cpu = 0.0  # the process's CPU seconds (user + system), known once it has ended

    def read_until(self, needle: str, timeout: float = 30) -> str:
        deadline = time.monotonic() + timeout
        while needle not in self.seen.decode("utf-8", "replace"):
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"{needle!r} not shown; the terminal shows: {self.seen.decode('utf-8', 'replace')!r}"
            ready, _, _ = select.select([self.master], [], [], min(remaining, 0.2))
            if ready:
                try:
                    self.seen += os.read(self.master, 65536)
                except OSError:  # the other side closed
                    break
        return self.seen.decode("utf-8", "replace")

    def type(self, data: bytes) -> None:
        os.write(self.master, data)

    def cpu_so_far(self) -> float:
        """CPU seconds the running process has used (Linux /proc; 0 elsewhere)."""
        try:
            fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def ended_within(self, seconds: float) -> int | None:
        """The exit status once the process has ended (its CPU time in self.cpu), or None when it
        is still running after this many seconds."""
        deadline = time.monotonic() + seconds
        while True:
            pid, status, usage = os.wait4(self.proc.pid, os.WNOHANG)
            if pid:
                self.proc.returncode = os.waitstatus_to_exitcode(status)
                self.cpu = usage.ru_utime + usage.ru_stime
                return self.proc.returncode
            if time.monotonic() > deadline:
                return None
            self.drain(0.01)  # what it writes on the way out must never fill the terminal and block it

    def drain(self, seconds: float) -> None:
        ready, _, _ = select.select([self.master], [], [], seconds)
        if ready:
            try:
                self.seen += os.read(self.master, 65536)
            except OSError:  # the other side closed
                time.sleep(seconds)

    def stacks(self) -> str:
        """Every thread's stack of a process that did not end (lawbot prints them on SIGUSR1)."""
        before = len(self.seen)
        self.proc.send_signal(signal.SIGUSR1)
        deadline = time.monotonic() + 5
        quiet = 0.0  # seconds without new output since the dump began
        while time.monotonic() < deadline and quiet < 0.5:
            size = len(self.seen)
            self.drain(0.1)
            if len(self.seen) > before and len(self.seen) == size:
                quiet += 0.1
            else:
                quiet = 0.0
        return self.seen[before:].decode("utf-8", "replace")

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        os.close(self.master)


ENDS_WITHIN = 60  # wall-clock seconds: only a chat that ignores the key (it would wait forever) takes this
AT_ONCE_CPU = 1.0  # CPU seconds from the key to the exit (measured: 0.05-0.1 s)


def _session(tmp_path: Path, end) -> tuple[int | None, str, float]:
    """(exit status or None, what the terminal showed, CPU seconds used after `end`)."""
    terminal = Terminal(tmp_path)
    try:
        shown = terminal.read_until("Ctrl-D")
        terminal.type(b"/me\n")
        terminal.read_until("我的学习", timeout=30)
        before = terminal.cpu_so_far()
        end(terminal)
        code = terminal.ended_within(ENDS_WITHIN)
        if code is None:
            return None, terminal.stacks(), 0.0
        return code, shown + terminal.seen.decode("utf-8", "replace"), terminal.cpu - before
    finally:
        terminal.close()


def test_the_greeting_says_how_to_quit_and_ctrl_c_ends_at_once(tmp_path):
    code, shown, cpu = _session(tmp_path, lambda t: t.proc.send_signal(signal.SIGINT))
    assert code is not None, f"Ctrl-C did not end the chat within {ENDS_WITHIN} s; its threads:\n{shown}"
    assert cpu < AT_ONCE_CPU, f"the chat worked {cpu:.2f} s of CPU after Ctrl-C before it ended"
    assert "输入 /quit 或按 Ctrl-D" in shown and "Ctrl-C" in shown
    assert "Traceback" not in shown and "KeyboardInterrupt" not in shown


def test_ctrl_d_ends_the_chat_cleanly(tmp_path):
    code, shown, cpu = _session(tmp_path, lambda t: t.type(b"\x04"))
    assert code == 0 and cpu < AT_ONCE_CPU and "Traceback" not in shown


def test_sigusr1_prints_every_threads_stack_and_the_chat_goes_on(tmp_path):
    terminal = Terminal(tmp_path)
    try:
        terminal.read_until("Ctrl-D")
        dumps = []
        for _ in range(3):  # a dump taken at an odd moment (the thread between frames) can show none
            dumps.append(terminal.stacks())
            if 'File "' in dumps[-1]:
                break
        dump = dumps[-1]
        assert "Current thread" in dump or "Thread 0x" in dump, dumps
        assert 'File "' in dump, dumps
        terminal.type(b"/me\n")
        terminal.read_until("我的学习", timeout=30)
    finally:
        terminal.close()


def test_log_records_stay_out_of_the_conversation(tmp_path):
    # a refused admin command is logged as a warning; it goes to <data_dir>/lawbot.log
    result = subprocess.run([sys.executable, "-m", "bot", "chat", "--data-dir", str(tmp_path)],
                            input="/stats\n/export\n", capture_output=True, text=True, cwd=REPO, env=ENV,
                            timeout=60)
    assert result.returncode == 0
    assert "WARNING" not in result.stdout + result.stderr and "bot.app" not in result.stdout + result.stderr
    assert "refused admin command" in (tmp_path / "lawbot.log").read_text(encoding="utf-8")


def test_what_the_console_adds_is_in_the_session_language(tmp_path):
    reply = Reply("题库导出：共 3 题（xlsx）。", attachment=Attachment("bank.xlsx", b"1234"))
    text, _ = render(reply)
    assert "（附件 bank.xlsx，4 字节）" in text and "attachment" not in text
    text, _ = render(reply, tmp_path / "bank.xlsx")
    assert f"已保存到 {tmp_path / 'bank.xlsx'}" in text
    text, _ = render(reply, None, "en")
    assert "(attachment bank.xlsx, 4 bytes)" in text
