"""`lawbot run` against a Bot API server that refuses or drops start-up calls (a self-hosted or
test server without setMyCommands, a flaky network): the command menu is optional, getMe and
setWebhook are retried with doubling waits, and a lasting failure is one line, not a traceback."""

from __future__ import annotations

import asyncio
import os
import signal
import sys

import pytest

from bot.channels.telegram import startup
from bot.channels.telegram.startup import TelegramStartError
from bot.cli_run import run_telegram
from bot.serving import serve
from tests.support.cli import lawbot
from tests.support.fake_bot_api import TOKEN, FakeBotApi
from tests.support.transcript import REPO, config_for

ALICE = 1001


@pytest.fixture
async def api():
    server = FakeBotApi()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
def waits(monkeypatch) -> list[float]:
    """The back-off waits start-up asked for (not actually waited)."""
    asked: list[float] = []

    async def no_wait(seconds: float) -> None:
        asked.append(seconds)

    monkeypatch.setattr(startup, "_sleep", no_wait)
    return asked


def _polling(tmp_path, api, monkeypatch):
    monkeypatch.setenv("LAWBOT_TELEGRAM_TOKEN", TOKEN)
    # no admin console: nothing binds the default HTTP port 8080, which another test (or another
    # pytest-xdist worker's `lawbot run`) may hold at the same moment
    return config_for(tmp_path, telegram={"base_url": api.base_url, "poll_timeout": 1}, web={"enabled": False})


async def _serves_start(api: FakeBotApi, task: asyncio.Task) -> None:
    api.push(api.text_update(ALICE, "/start"))
    await api.wait_calls("sendMessage", 1, timeout=20)
    assert "学法练习" in str(api.last_message(ALICE).reply_markup)
    assert not task.done()


async def test_a_server_without_set_my_commands_still_serves(tmp_path, api, monkeypatch, caplog):
    api.fail_always("setMyCommands", 500, "Internal Server Error")
    stop = asyncio.Event()
    task = asyncio.create_task(run_telegram(_polling(tmp_path, api, monkeypatch), stop=stop))
    await _serves_start(api, task)
    stop.set()
    assert await asyncio.wait_for(task, 10) == 0
    assert api.counts["setMyCommands"] >= 1 and not api.commands
    assert "command menu was not registered" in caplog.text


async def test_get_me_is_retried_with_doubling_waits(tmp_path, api, monkeypatch, waits):
    api.fail_next("getMe", 500, "Internal Server Error")
    api.fail_next("getMe", 502, "Bad Gateway")
    stop = asyncio.Event()
    task = asyncio.create_task(run_telegram(_polling(tmp_path, api, monkeypatch), stop=stop))
    await _serves_start(api, task)
    stop.set()
    assert await asyncio.wait_for(task, 10) == 0
    assert waits[:2] == [startup.FIRST_WAIT, startup.FIRST_WAIT * 2]


async def test_get_me_failing_for_good_is_one_line(tmp_path, api, monkeypatch, waits):
    api.fail_always("getMe", 500, "Internal Server Error")
    with pytest.raises(TelegramStartError) as info:
        await asyncio.wait_for(run_telegram(_polling(tmp_path, api, monkeypatch)), 20)
    message = str(info.value)
    assert "getMe" in message and f"{startup.START_TRIES} 次" in message and "telegram.base_url" in message
    assert "\n" not in message and TOKEN not in message
    assert api.counts["getMe"] == startup.START_TRIES and len(waits) == startup.START_TRIES - 1


async def test_a_refused_token_is_one_line_without_retries(tmp_path, api, monkeypatch, waits):
    api.fail_always("getMe", 401, "Unauthorized")
    with pytest.raises(TelegramStartError) as info:
        await run_telegram(_polling(tmp_path, api, monkeypatch))
    assert "令牌" in str(info.value) and TOKEN not in str(info.value) and api.counts["getMe"] == 1


def _webhook(tmp_path, api):
    return config_for(tmp_path, telegram={"token": TOKEN, "base_url": api.base_url, "mode": "webhook",
                                          "webhook_url": "https://bot.example.org/telegram",
                                          "secret_token": "s3cret-Token_1"})


async def test_set_webhook_is_retried_then_serves(tmp_path, api, waits):
    api.fail_next("setWebhook", 500, "Internal Server Error")
    api.fail_always("setMyCommands", 500, "Internal Server Error")
    stop, ready = asyncio.Event(), asyncio.get_running_loop().create_future()
    task = asyncio.create_task(serve(_webhook(tmp_path, api), stop=stop, port=0, on_ready=ready.set_result))
    await asyncio.wait_for(ready, 20)
    assert len(api.calls_of("setWebhook")) == 2 and waits == [startup.FIRST_WAIT]
    stop.set()
    assert await asyncio.wait_for(task, 10) == 0


async def test_set_webhook_failing_for_good_is_one_line(tmp_path, api, waits):
    api.fail_always("setWebhook", 500, "Internal Server Error")
    with pytest.raises(TelegramStartError, match="setWebhook"):
        await asyncio.wait_for(serve(_webhook(tmp_path, api), stop=asyncio.Event(), port=0), 20)
    assert len(api.calls_of("setWebhook")) == startup.START_TRIES


async def _lawbot_run(tmp_path, api) -> asyncio.subprocess.Process:
    config = tmp_path / "config.yaml"
    config.write_text(f"data_dir: {tmp_path / 'data'}\ntelegram:\n  base_url: {api.base_url}\n  poll_timeout: 1\n"
                      "web:\n  enabled: false\n", encoding="utf-8")  # no HTTP port taken (see _polling)
    env = {**os.environ, "LAWBOT_TELEGRAM_TOKEN": TOKEN, "LANG": "C.UTF-8"}
    env.pop("LAWBOT_LANG", None)
    return await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", "--config", str(config), "run",
                                                cwd=REPO, env=env, stdout=asyncio.subprocess.PIPE,
                                                stderr=asyncio.subprocess.PIPE)


async def test_lawbot_run_starts_and_serves_when_set_my_commands_fails(tmp_path, api):
    api.fail_always("setMyCommands", 500, "Internal Server Error")
    proc = await _lawbot_run(tmp_path, api)
    try:
        api.push(api.text_update(ALICE, "/start"))
        await api.wait_calls("sendMessage", 1, timeout=60)
        proc.send_signal(signal.SIGINT)
        _out, err = await asyncio.wait_for(proc.communicate(), 20)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert proc.returncode == 0, err.decode()
    assert "Traceback" not in err.decode() and "command menu was not registered" in err.decode()


async def test_lawbot_run_with_an_unreachable_api_exits_with_one_line(tmp_path, api, waits):
    """`lawbot run` in this process (on a thread with its own loop; the fake API serves on this
    one), the back-off waits not waited: the child process above is the real one."""
    api.fail_always("getMe", 500, "Internal Server Error")
    config = tmp_path / "config.yaml"
    config.write_text(f"data_dir: {tmp_path / 'data'}\ntelegram:\n  base_url: {api.base_url}\n  poll_timeout: 1\n",
                      encoding="utf-8")
    result = await asyncio.wait_for(asyncio.to_thread(lawbot, "--config", str(config), "run",
                                                      env={"LAWBOT_TELEGRAM_TOKEN": TOKEN}), 60)
    text = result.stderr
    assert result.returncode == 2 and "Traceback" not in text
    last = text.strip().splitlines()[-1]
    assert last.startswith("lawbot: 无法连接 Telegram Bot API：getMe") and TOKEN not in text
    assert api.counts["getMe"] == startup.START_TRIES and len(waits) == startup.START_TRIES - 1


def test_settling_the_heap_freezes_it_and_collects_young_objects_less_often(monkeypatch):
    import gc

    saved = gc.get_threshold()
    monkeypatch.setattr(startup, "_heap_settled", False)
    gc.set_threshold(700, 10, 10)
    try:
        startup.settle_heap()
        assert gc.get_threshold() == (startup.YOUNG_THRESHOLD, 10, 10)
        assert gc.get_freeze_count() > 0
        startup.settle_heap()  # once per process
        assert gc.get_threshold() == (startup.YOUNG_THRESHOLD, 10, 10)
    finally:
        gc.set_threshold(*saved)
