"""A question bank file sent to the bot on Telegram: python-telegram-bot's real getFile and
download path against the fake Bot API, the preview with its buttons, 导入, and the size cap."""

from __future__ import annotations

import pytest

from bot.texts import tr
from tests.app import test_bank_upload as bank
from tests.channels.telegram.test_telegram import api, bot  # noqa: F401 (fixtures; `bot` uses the `app` below)

ADMIN, OTHER = 1001, 2002


@pytest.fixture
async def app(tmp_path):
    app = await bank.make_bank_app(tmp_path, admin={"super_admins": [f"tg:{ADMIN}"]}, bank={"upload_max_mb": 1})
    yield app
    await app.close()


async def test_admin_sends_a_bank_file_and_imports_it(bot, api, app, tmp_path):
    data = bank.workbook(tmp_path / "新题.xlsx", bank.NEW_ROW).read_bytes()
    calls = await bot.deliver(api.document_update(ADMIN, "新题.xlsx", data, caption="请导入"))
    assert [c.params["file_id"] for c in api.calls_of("getFile")] == ["upload1"]
    assert [c.params["file_path"] for c in api.calls_of("downloadFile")] == ["documents/file_1.xlsx"]
    assert "已检查“新题.xlsx”：共 1 题，新增 1 题" in calls[-1].params["text"]
    confirm = bot.button(ADMIN, tr("zh", "btn_bank_import"))
    assert confirm.startswith("u:ok:")

    calls = await bot.press(ADMIN, confirm)
    assert "已导入“新题.xlsx”：新增 1 题" in calls[-1].params["text"]
    assert calls[-1].method == "editMessageText"  # the preview's buttons are gone
    assert (app.catalog.root / "quizzes" / "bank" / "imported.yaml").is_file()

    # the template comes back as a document
    calls = await bot.say(ADMIN, "/bank template")
    assert calls[-1].method == "sendDocument"
    assert api.last_message(ADMIN).file_name == "题库导入模板.xlsx"


async def test_other_users_and_oversized_files(bot, api, tmp_path):
    data = bank.workbook(tmp_path / "新题.xlsx", bank.NEW_ROW).read_bytes()
    calls = await bot.deliver(api.document_update(OTHER, "新题.xlsx", data))
    assert calls[-1].params["text"].startswith(tr("zh", "bank_refused"))

    before = api.counts.get("getFile", 0)
    calls = await bot.deliver(api.document_update(ADMIN, "huge.xlsx", b"x", file_size=5 << 20))
    assert calls[-1].params["text"] == tr("zh", "bank_file_too_big", name="huge.xlsx", limit=1)
    assert api.counts.get("getFile", 0) == before  # over the cap: not downloaded at all

    # in a group chat the export is refused (Incoming.private comes from the chat type)
    update = api.text_update(ADMIN, "/bank export")
    update["message"]["chat"] = {"id": -100, "type": "group", "title": "G"}
    calls = await bot.deliver(update)
    assert calls[-1].params["text"] == tr("zh", "export_private_only")
