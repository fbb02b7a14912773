"""`lawbot ARGS` in the test process: `bot.cli.main` with its own stdin, stdout, stderr and
environment, as a child process would get them, without the ~1-2 s of CPU a `python -m bot`
child costs (interpreter, imports, catalog). Tests of what only a real process shows (start-up
time, signals, the exit code of the interpreter) start one; everything else calls `lawbot` here."""

from __future__ import annotations

import contextlib
import io
import logging
import os
import sys
from dataclasses import dataclass

from bot.cli import main

# what a child of the tests gets: no language chosen by the environment but the C.UTF-8 locale
UNSET = ("LAWBOT_LANG", "LC_ALL", "LC_MESSAGES")


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str


@contextlib.contextmanager
def _environment(env: dict[str, str] | None):
    saved = dict(os.environ)
    for name in UNSET:
        os.environ.pop(name, None)
    os.environ["LANG"] = "C.UTF-8"
    os.environ.update(env or {})
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


@contextlib.contextmanager
def _root_logger():
    """The root logger as a new process has it: no handlers (a warning goes to stderr through
    logging.lastResort, `lawbot run`'s basicConfig takes effect, `lawbot chat` sends the log to a
    file in the data folder) at WARNING; the test's own handlers (pytest's) are put back after."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    for handler in handlers:
        root.removeHandler(handler)
    root.setLevel(logging.WARNING)
    try:
        yield
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
            handler.close()
        for handler in handlers:
            root.addHandler(handler)
        root.setLevel(level)


def lawbot(*args: str, stdin: str = "", env: dict[str, str] | None = None) -> Result:
    """Run `lawbot ARGS` in this process (not inside a running event loop: commands call
    asyncio.run) and return its exit code and output."""
    out, err = io.StringIO(), io.StringIO()
    saved_stdin = sys.stdin
    sys.stdin = io.StringIO(stdin)
    try:
        with _environment(env), _root_logger(), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(list(args))
            except SystemExit as exit_:  # argparse refusing the arguments
                code = exit_.code if isinstance(exit_.code, int) else 1
    finally:
        sys.stdin = saved_stdin
    return Result(code, out.getvalue(), err.getvalue())
