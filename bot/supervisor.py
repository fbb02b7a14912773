"""`lawbot run --workers N`: N worker processes behind one listening socket.

The supervisor binds http.host:http.port once and starts N copies of `lawbot run`, each
inheriting the socket (LAWBOT_LISTEN_FD) and accepting on it, so the kernel spreads Telegram
webhook and WeChat/WeCom callback requests over them. Every worker is a complete `lawbot run`
on the shared database: one of them is elected leader (bot/storage/sql/leader.py) and runs the
scheduler and the outbox senders. A worker that dies is started again (after a pause that grows
while it keeps dying); SIGTERM/SIGINT are passed on to every worker, which stop gracefully.

N `lawbot run` on several machines with one config need no supervisor: put them behind a load
balancer (docs/deploy.md)."""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass

log = logging.getLogger(__name__)

LISTEN_FD_ENV = "LAWBOT_LISTEN_FD"
WORKER_ENV = "LAWBOT_WORKER"
RESTART_MIN, RESTART_MAX = 1.0, 30.0
STOP_GRACE = 30.0


def listening_socket(host: str, port: int, backlog: int = 1024) -> socket.socket:
    """Bind and listen once; the workers inherit the descriptor."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(backlog)
    sock.set_inheritable(True)
    return sock


def inherited_socket() -> socket.socket | None:
    """The listening socket a supervisor handed this worker, if any."""
    fd = os.environ.get(LISTEN_FD_ENV)
    if not fd:
        return None
    sock = socket.socket(fileno=int(fd))
    sock.setblocking(False)
    return sock


@dataclass
class _Worker:
    index: int
    process: subprocess.Popen | None = None
    started: float = 0.0
    delay: float = RESTART_MIN
    due: float = 0.0  # when to start it again after it died


class Supervisor:
    def __init__(self, argv: list[str], workers: int, sock: socket.socket, env: dict[str, str] | None = None):
        self.argv = argv  # the worker's command line
        self.sock = sock
        self.env = dict(os.environ if env is None else env)
        self.workers = [_Worker(i) for i in range(workers)]
        self.stopping = False

    def _start(self, worker: _Worker) -> None:
        env = {**self.env, LISTEN_FD_ENV: str(self.sock.fileno()), WORKER_ENV: str(worker.index)}
        worker.process = subprocess.Popen(self.argv, env=env, pass_fds=(self.sock.fileno(),))
        worker.started = time.monotonic()
        log.info("worker %d started (pid %d)", worker.index, worker.process.pid)

    def run(self) -> int:
        def stop(signum, _frame):
            self.stopping = True
            for w in self.workers:
                if w.process is not None and w.process.poll() is None:
                    w.process.send_signal(signal.SIGTERM)

        previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            for w in self.workers:
                self._start(w)
            while not self.stopping:
                self._tend()
                time.sleep(0.2)
            return self._wait_all()
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def _tend(self) -> None:
        now = time.monotonic()
        for w in self.workers:
            if w.process is not None:
                code = w.process.poll()
                if code is None:
                    if now - w.started > 60:
                        w.delay = RESTART_MIN  # it ran a while: the next crash restarts quickly
                    continue
                log.warning("worker %d (pid %d) exited with %s; starting it again in %.0f s",
                            w.index, w.process.pid, code, w.delay)
                w.process, w.due = None, now + w.delay
                w.delay = min(RESTART_MAX, w.delay * 2)
            elif now >= w.due and not self.stopping:
                self._start(w)

    def _wait_all(self) -> int:
        deadline = time.monotonic() + STOP_GRACE
        code = 0
        for w in self.workers:
            if w.process is None:
                continue
            try:
                w.process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log.warning("worker %d did not stop in time; killed", w.index)
                w.process.kill()
                w.process.wait()
            code = code or (w.process.returncode if w.process.returncode and w.process.returncode > 0 else 0)
        return code


def worker_argv(config_path: str | None) -> list[str]:
    argv = [sys.executable, "-m", "bot"]
    if config_path:
        argv += ["--config", config_path]
    return argv + ["run"]


def supervise(config, config_path: str | None, workers: int) -> int:
    sock = listening_socket(config.http.host, config.http.port)
    log.info("lawbot: %d workers on %s:%s", workers, config.http.host, sock.getsockname()[1])
    try:
        return Supervisor(worker_argv(config_path), workers, sock).run()
    finally:
        sock.close()
