"""`lawbot run` processes for the multi-worker tests: a config file per worker (WeChat Official
Account callbacks in plain mode, the message API on a loopback fake), log files, health checks."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
import yaml

from tests.support.wechat_peer import APP_ID, TOKEN

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_config(folder: Path, name: str, port: int, *, database_url: str | None = None,
                 api_url: str | None = None, **extra) -> Path:
    wechat = {"enabled": True, "token": TOKEN, "app_id": APP_ID}
    if api_url:
        wechat.update(secret="app-secret", api_base_url=api_url)
    data = {"data_dir": str(folder / "data"), "content_root": str(REPO), "log_level": "INFO",
            "http": {"host": "127.0.0.1", "port": port}, "wechat": wechat, **extra}
    if database_url:
        data["database"] = {"url": database_url}
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


class Process:
    """`python -m bot --config C run [args]`, its output in <folder>/<name>.<n>.log."""

    def __init__(self, folder: Path, name: str, config: Path, *args: str):
        self.folder, self.name, self.config, self.args = folder, name, config, args
        self.proc: subprocess.Popen | None = None
        self.logs: list[Path] = []

    def start(self) -> Process:
        log = self.folder / f"{self.name}.{len(self.logs)}.log"
        self.logs.append(log)
        env = {**os.environ, "PYTHONPATH": str(REPO), "LAWBOT_LANG": "zh"}
        env.pop("LAWBOT_DATABASE_URL", None)
        with log.open("wb") as out:
            self.proc = subprocess.Popen([sys.executable, "-m", "bot", "--config", str(self.config), "run",
                                          *self.args], cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
        return self

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self, timeout: float = 60) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                return self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise
        return self.proc.returncode

    def output(self) -> str:
        return "\n".join(p.read_text(encoding="utf-8", errors="replace") for p in self.logs if p.exists())


async def wait_healthy(session: aiohttp.ClientSession, base: str, process: Process, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.proc.poll() is not None:
            raise AssertionError(f"{process.name} exited with {process.proc.returncode}:\n{process.output()[-3000:]}")
        try:
            async with session.get(f"{base}/healthz", timeout=aiohttp.ClientTimeout(total=2)) as response:
                if response.status == 200:
                    return
        except (aiohttp.ClientError, OSError, TimeoutError):
            pass
        await _sleep(0.1)
    raise AssertionError(f"{process.name} not healthy after {timeout} s:\n{process.output()[-3000:]}")


async def _sleep(seconds: float) -> None:
    import asyncio
    await asyncio.sleep(seconds)
