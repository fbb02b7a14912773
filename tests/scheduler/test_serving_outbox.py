"""`lawbot run` (serving.serve) delivers queued outbox messages to Telegram through the outbox
sender's own Bot, and a /remind opt-in made over Telegram is stored."""

from __future__ import annotations

import pytest

from tests.support.fake_bot_api import FakeBotApi
from tests.test_serving import Served, _config

pytestmark = pytest.mark.sqlite_only  # reads the SQLite file itself


async def test_serve_delivers_the_outbox_to_telegram(tmp_path):
    async with FakeBotApi() as api:
        config = _config(tmp_path, api, mode="polling")
        async with Served(config) as running:
            app = running.app
            await app.storage.users.ensure_user("tg:4242", app.clock.now())
            await app.storage.outbox.enqueue("tg", "tg:4242", {"text": "📢 学法考试本周五截止", "choices": [[["📝 去考试", "x:l"]]]},
                                      "serve-test:4242", app.clock.now())
            await api.wait_for(lambda: any(m.text == "📢 学法考试本周五截止" for m in api.messages(4242)), timeout=10)
            message = api.last_message(4242)
            assert message.reply_markup["inline_keyboard"][0][0]["callback_data"] == "x:l"
            api.push(api.text_update(4242, "/remind 20:30"))
            await api.wait_for(lambda: "20:30" in (api.last_message(4242).text or ""), timeout=10)
            assert (await app.storage.reminders.get_reminder("tg:4242")).minute == 20 * 60 + 30
            await api.wait_for(lambda: True)
        totals = await _totals(tmp_path)
        assert totals == {"sent": 1}


async def _totals(tmp_path):
    import sqlite3

    con = sqlite3.connect(tmp_path / "lawbot.sqlite3")
    try:
        return dict(con.execute("SELECT status, COUNT(*) FROM outbox GROUP BY status").fetchall())
    finally:
        con.close()
