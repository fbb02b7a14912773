"""`lawbot run --workers N`: N processes accept on one socket, one of them leads, a killed worker
is started again, SIGTERM stops them all; Telegram polling refuses extra workers in one line."""

from __future__ import annotations

import asyncio
import os
import re
import signal
from pathlib import Path

import aiohttp
import pytest

from tests.multiworker.processes import Process, free_port, wait_healthy, write_config
from tests.support.fake_bot_api import TOKEN, FakeBotApi
from tests.support.wechat_peer import WeChatPeer

pytestmark = pytest.mark.sqlite_only  # the workers open the SQLite file under their data_dir


def _pids(output: str) -> dict[int, int]:
    """worker index -> pid of its latest start."""
    return {int(i): int(pid) for i, pid in re.findall(r"worker (\d+) started \(pid (\d+)\)", output)}


async def test_workers_share_the_port_one_leads_and_a_killed_worker_comes_back(tmp_path):
    from bot.clock import SystemClock

    port = free_port()
    config = write_config(tmp_path, "sup", port)
    supervisor = Process(tmp_path, "sup", config, "--workers", "3").start()
    try:
        async with aiohttp.ClientSession() as session:
            base = f"http://127.0.0.1:{port}"
            await wait_healthy(session, base, supervisor)
            peer = WeChatPeer(session, f"{base}/wechat", SystemClock())
            for n in range(12):
                answer = await peer.say(f"oSup{n:04d}", "菜单")
                assert answer.status == 200 and "回复" in (answer.content or ""), answer.body
            for _ in range(300):
                pids = _pids(supervisor.output())
                if len(pids) == 3 and supervisor.output().count("is the leader") == 1:
                    break
                await asyncio.sleep(0.1)
            assert len(pids) == 3 and supervisor.output().count("is the leader") == 1
            os.kill(pids[1], signal.SIGKILL)
            for _ in range(300):
                if _pids(supervisor.output())[1] != pids[1]:
                    break
                await asyncio.sleep(0.1)
            assert _pids(supervisor.output())[1] != pids[1] and "worker 1 (pid" in supervisor.output()
            await wait_healthy(session, base, supervisor)
        assert supervisor.stop() == 0, supervisor.output()[-4000:]
        for pid in _pids(supervisor.output()).values():
            assert not os.path.exists(f"/proc/{pid}") or Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z"
    finally:
        if supervisor.proc.poll() is None:
            supervisor.proc.kill()


async def test_polling_stays_one_process_and_says_so(tmp_path):
    async with FakeBotApi() as api:
        config = write_config(tmp_path, "poll", free_port(),
                              telegram={"token": TOKEN, "base_url": api.base_url, "mode": "polling", "poll_timeout": 1})
        process = Process(tmp_path, "poll", config, "--workers", "3").start()
        try:
            for _ in range(900):
                if "lawbot is running" in process.output() or process.proc.poll() is not None:
                    break
                await asyncio.sleep(0.1)
            out = process.output()
            assert "Telegram 轮询（polling）模式只能单进程运行，已忽略 --workers 3" in out, out[-2000:]
            assert "lawbot is running" in out and "worker 0 started" not in out
        finally:
            assert process.stop() == 0, process.output()[-4000:]
