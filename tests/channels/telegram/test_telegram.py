"""The Telegram channel driven through the real python-telegram-bot Application (HTTPXRequest,
long polling) against the loopback fake Bot API in tests/support/fake_bot_api.py."""

from __future__ import annotations

import asyncio
import json
import logging
from collections import Counter

import pytest
from telegram import Update
from telegram.ext import TypeHandler

from bot.app.messages import Attachment, Choice, Reply
from bot.channels.telegram import adapter
from bot.channels.telegram.adapter import COMMANDS, TelegramSender, build_application, start_bot
from bot.channels.telegram.render import MAX_TEXT, render, split_text, utf16_len
from bot.cli_run import run_telegram
from bot.config import ConfigError
from bot.runner import drain_outbox, sweep_exams
from bot.texts import tr
from tests.support.fake_bot_api import TOKEN, Call, FakeBotApi
from tests.support.transcript import config_for

ALICE, BOB = 1001, 2002
CONTENT = ("sendMessage", "editMessageText", "editMessageReplyMarkup", "sendDocument", "sendPhoto")


class Bot:
    """The running Application plus the fake server, with a user-side view of one chat."""

    def __init__(self, api: FakeBotApi, application):
        self.api = api
        self.application = application
        self.done: Counter[int] = Counter()
        self._done_event = asyncio.Event()

        async def mark_done(update: Update, context) -> None:
            self.done[update.update_id] += 1
            self._done_event.set()

        application.add_handler(TypeHandler(Update, mark_done), group=1)  # runs after the channel's handler

    async def processed(self, update_id: int, times: int = 1, timeout: float = 30.0) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self.done[update_id] < times:
            self._done_event.clear()
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(f"update {update_id} was not processed")
            try:
                await asyncio.wait_for(self._done_event.wait(), remaining)
            except TimeoutError:
                pass

    async def deliver(self, update: dict) -> list[Call]:
        """Push one update through getUpdates; the content calls it produced."""
        before = len(self.api.calls)
        self.api.push(update)
        await self.processed(update["update_id"])
        return [c for c in self.api.calls[before:] if c.method in CONTENT]

    async def say(self, user: int, text: str, **kw) -> list[Call]:
        return await self.deliver(self.api.text_update(user, text, **kw))

    async def press(self, user: int, data: str, message_id: int | None = None) -> list[Call]:
        return await self.deliver(self.api.callback_update(user, data, message_id))

    def button(self, user: int, label_part: str, message_id: int | None = None) -> str:
        message = self.api.chats[user][message_id] if message_id else self.api.last_message(user)
        for row in (message.reply_markup or {}).get("inline_keyboard", []):
            for button in row:
                if label_part in button["text"]:
                    return button["callback_data"]
        raise AssertionError(f"no button {label_part!r} on message {message.message_id}: {message.reply_markup}")

    def buttons(self, user: int, message_id: int | None = None) -> list[str]:
        message = self.api.chats[user][message_id] if message_id else self.api.last_message(user)
        return [b["callback_data"] for row in (message.reply_markup or {}).get("inline_keyboard", []) for b in row]


@pytest.fixture
async def api():
    server = FakeBotApi()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def bot(app, api):
    application = build_application(app, TOKEN, base_url=api.base_url, base_file_url=api.base_file_url, poll_timeout=2)
    harness = Bot(api, application)
    async with application:
        await start_bot(application, poll_timeout=2)
        yield harness
        await application.updater.stop()
        await application.stop()


def _sends(calls: list[Call]) -> list[Call]:
    return [c for c in calls if c.method == "sendMessage"]


# --- menu, commands, plain text ------------------------------------------------------------
async def test_start_shows_menu_with_inline_keyboard(bot, api):
    calls = await bot.say(ALICE, "/start")
    assert [c.method for c in calls] == ["sendMessage"]
    params = calls[0].params
    assert params["chat_id"] == ALICE
    assert params["text"] == tr("zh", "welcome")
    assert "parse_mode" not in params  # plain text: markup characters are harmless
    keyboard = params["reply_markup"]["inline_keyboard"]
    assert [b["callback_data"] for row in keyboard for b in row] == \
        ["g:m", "c:m", "l:m", "p:m", "x:l", "v:j", "p:w", "p:v", "me", "lang"]
    assert keyboard[0][0]["text"] == tr("zh", "btn_guides")


async def test_command_menu_registered_in_chinese_and_english(bot, api):
    assert [c["command"] for c in api.commands[""]] == list(COMMANDS)
    assert {"start", "help", "practice", "exam", "wrong", "review", "cancel"} <= set(COMMANDS)
    assert [c["description"] for c in api.commands[""]] == [tr("zh", f"cmd_{n}") for n in COMMANDS]
    assert [c["description"] for c in api.commands["en"]] == [tr("en", f"cmd_{n}") for n in COMMANDS]
    for locale in ("zh", "en"):  # every description is real text, not a missing-key fallback
        assert all(tr(locale, f"cmd_{n}") != f"cmd_{n}" for n in COMMANDS)


async def test_english_client_and_markup_characters_are_plain_text(bot, api):
    calls = await bot.say(BOB, "/help", language_code="en")
    assert calls[0].params["text"] == tr("en", "help") + "\n\n" + tr("en", "help_tips")
    calls = await bot.say(BOB, "<b>*hi*</b> _[x](y)_", language_code="en")
    assert calls[0].params["text"].startswith(tr("en", "lookup_unsure"))  # free text goes to the lookup
    assert "parse_mode" not in calls[0].params


async def test_non_text_message_reaches_the_core_as_empty(bot, api):
    update = api.text_update(ALICE, "x")
    del update["message"]["text"]
    update["message"]["sticker"] = {"file_id": "s", "file_unique_id": "s", "width": 1, "height": 1,
                                    "is_animated": False, "is_video": False, "type": "regular"}
    calls = await bot.deliver(update)
    assert calls[0].params["text"] == tr("zh", "empty")


# --- practice ------------------------------------------------------------------------------
async def test_practice_answer_by_button_gives_feedback(bot, api):
    await bot.say(ALICE, "/practice")
    calls = await bot.press(ALICE, bot.button(ALICE, tr("zh", "btn_random")))
    assert len(_sends(calls)) == 1  # the question comes as a new message
    option = next(d for d in bot.buttons(ALICE) if d.startswith("p:a:"))
    calls = await bot.press(ALICE, option)
    text = calls[-1].params["text"]
    assert ("✅" in text or "❌" in text) and "解析" in text
    assert bot.button(ALICE, tr("zh", "btn_next")).startswith("p:n:")
    assert api.counts["answerCallbackQuery"] == 2  # every press stops the spinner


async def test_topic_menu_buttons_all_fit(bot, api):
    await bot.say(ALICE, "/practice")
    await bot.press(ALICE, "p:t")
    data = bot.buttons(ALICE)
    assert len(data) > 10 and all(len(d.encode()) <= 64 for d in data)


# --- mock exam -----------------------------------------------------------------------------
async def _start_exam(bot, user: int, exam_id: str = "kemu1") -> int:
    await bot.say(user, "/exam")
    await bot.press(user, f"x:i:{exam_id}")
    calls = await bot.press(user, f"x:go:{exam_id}")
    sends = _sends(calls)
    assert len(sends) == 1 and "第 1/100 题" in sends[0].params["text"]
    return sends[0].result["message_id"]


async def test_exam_edits_the_question_message_in_place_then_hands_in(bot, api):
    question = await _start_exam(bot, ALICE)
    sends_before = api.counts["sendMessage"]
    for n in range(1, 6):
        option = next(d for d in bot.buttons(ALICE, question) if d.startswith("x:a:"))
        calls = await bot.press(ALICE, option, question)
        assert [c.method for c in calls] == ["editMessageText"]
        assert calls[0].params["message_id"] == question
        assert f"第 {n + 1}/100 题" in calls[0].params["text"] and f"已答 {n}/100" in calls[0].params["text"]
    assert api.counts["sendMessage"] == sends_before  # no re-posting per question
    assert api.chats[ALICE][question].edits == 5
    edits = api.calls_of("editMessageText")
    assert {c.params["message_id"] for c in edits} == {question}

    # navigation edits the same message too
    calls = await bot.press(ALICE, bot.button(ALICE, "上一题", question), question)
    assert calls[0].method == "editMessageText" and "第 5/100 题" in calls[0].params["text"]

    # hand in: the confirmation replaces the question, the result is a new message
    calls = await bot.press(ALICE, bot.button(ALICE, tr("zh", "btn_submit"), question), question)
    assert calls[0].method == "editMessageText" and "未作答" in calls[0].params["text"]
    calls = await bot.press(ALICE, bot.button(ALICE, tr("zh", "btn_confirm_submit"), question), question)
    result = calls[-1].params["text"]
    assert "成绩" in result and "分" in result
    assert bot.button(ALICE, tr("zh", "btn_review_wrong")).startswith("x:r:")


async def test_xuefa_multiple_choice_toggles_edit_in_place(bot, api):
    await bot.say(ALICE, "/exam")
    await bot.press(ALICE, "x:i:xuefa")
    calls = await bot.press(ALICE, "x:go:xuefa")
    question = _sends(calls)[0].result["message_id"]
    # answer until a multiple-choice question (x:m:) shows up, then tick two options
    for _ in range(50):
        data = bot.buttons(ALICE, question)
        if any(d.startswith("x:m:") for d in data):
            break
        await bot.press(ALICE, next(d for d in data if d.startswith("x:a:")), question)
    ticks = [d for d in bot.buttons(ALICE, question) if d.startswith("x:m:")]
    calls = await bot.press(ALICE, ticks[0], question)
    assert [c.method for c in calls] == ["editMessageText"] and calls[0].params["message_id"] == question
    assert api.counts["sendMessage"] == 3  # exam list, exam info, first question: no more


async def test_redelivered_callback_update_is_applied_once(bot, api):
    question = await _start_exam(bot, ALICE)
    option = next(d for d in bot.buttons(ALICE, question) if d.startswith("x:a:"))
    update = api.callback_update(ALICE, option, question)
    calls = await bot.deliver(update)
    assert "已答 1/100" in calls[0].params["text"]
    answers = api.counts["answerCallbackQuery"]
    content = sum(api.counts.get(m, 0) for m in CONTENT)

    # a restart before the offset was confirmed: the same update arrives again
    again = Update.de_json(update, bot.application.bot)
    await bot.application.update_queue.put(again)
    await bot.processed(update["update_id"], times=2)
    assert api.counts["answerCallbackQuery"] == answers + 1  # the spinner still stops
    assert sum(api.counts.get(m, 0) for m in CONTENT) == content  # nothing re-sent or re-edited
    calls = await bot.press(ALICE, bot.button(ALICE, "下一题", question), question)
    assert "已答 1/100" in calls[0].params["text"]  # still one answer recorded


async def test_forged_callback_data_is_refused_plainly(bot, api, caplog):
    question = await _start_exam(bot, ALICE)
    attempt = next(d for d in bot.buttons(ALICE, question) if d.startswith("x:a:")).split(":")[2]
    await bot.say(BOB, "/start")
    refusal = tr("zh", "bad_action")
    forged = [
        f"x:a:{attempt}:0:0",  # Alice's attempt, pressed by Bob
        f"x:H:{attempt}",  # hand in Alice's paper
        "x:g:999999:0",  # an attempt that does not exist
        "garbage; DROP TABLE users",
        "x:a:1:0:0" + "9" * 60,  # over 64 bytes
        "",
    ]
    with caplog.at_level(logging.WARNING):
        for data in forged:
            calls = await bot.press(BOB, data)
            assert calls and calls[-1].params["text"] == refusal, data
    # Alice's own paper, a position outside it
    calls = await bot.press(ALICE, f"x:g:{attempt}:100", question)
    assert calls[-1].params["text"] == refusal
    calls = await bot.press(ALICE, f"x:a:{attempt}:100:0", question)
    assert calls[-1].params["text"] == refusal
    assert not any(r.exc_info for r in caplog.records), "no traceback for forged data"
    assert not any(r.levelno >= logging.ERROR for r in caplog.records)
    # Alice's attempt is untouched
    calls = await bot.press(ALICE, f"x:g:{attempt}:0", question)
    assert "已答 0/100" in calls[-1].params["text"]


# --- delivery details ----------------------------------------------------------------------
async def test_edit_failure_falls_back_to_a_new_message(bot, api):
    question = await _start_exam(bot, ALICE)
    api.fail_next("editMessageText", 400, "Bad Request: message to edit not found")
    option = next(d for d in bot.buttons(ALICE, question) if d.startswith("x:a:"))
    calls = await bot.press(ALICE, option, question)
    assert [c.method for c in calls] == ["editMessageText", "sendMessage"]
    assert "第 2/100 题" in calls[-1].params["text"]


async def test_message_not_modified_is_ignored(bot, api, caplog):
    question = await _start_exam(bot, ALICE)
    attempt = next(d for d in bot.buttons(ALICE, question) if d.startswith("x:a:")).split(":")[2]
    # "go to question 1" while question 1 is shown asks for the same content
    with caplog.at_level(logging.INFO):
        calls = await bot.press(ALICE, f"x:g:{attempt}:0", question)
    assert [c.method for c in calls] == ["editMessageText"]
    assert "not modified" in calls[0].result["description"]
    assert not any(r.levelno >= logging.ERROR for r in caplog.records)


async def test_inaccessible_message_gets_a_new_message(bot, api):
    await _start_exam(bot, ALICE)
    option = next(d for d in bot.buttons(ALICE) if d.startswith("x:a:"))
    update = api.callback_update(ALICE, option, message_id=None)
    update["callback_query"]["message"] = {"chat": {"id": ALICE, "type": "private"}, "message_id": 5, "date": 0}
    calls = await bot.deliver(update)
    assert [c.method for c in calls] == ["sendMessage"]


async def test_long_reply_is_split_on_line_breaks_with_keyboard_last(bot, api):
    lines = [f"第{i}行 " + "法" * 90 for i in range(120)]  # about 11,000 characters
    text = "\n".join(lines)
    choices = [[Choice("A", "m")]]
    channel = bot.application.bot_data["channel"]
    await channel.deliver(bot.application.bot, ALICE, [Reply(text, choices, edit=True)])
    sends = api.calls_of("sendMessage")
    assert len(sends) == 3
    assert all(utf16_len(c.params["text"]) <= MAX_TEXT for c in sends)
    assert "\n".join(c.params["text"] for c in sends) == text  # split between lines, nothing lost
    assert [("reply_markup" in c.params) for c in sends] == [False, False, True]


def test_split_text_edge_cases():
    assert split_text("short") == ["short"]
    one_line = "😀" * 3000  # 6000 UTF-16 units, no line break
    parts = split_text(one_line)
    assert "".join(parts) == one_line and all(utf16_len(p) <= MAX_TEXT for p in parts)
    exact = "a" * MAX_TEXT
    assert split_text(exact) == [exact]
    assert [len(p) for p in split_text(exact + "\n" + "b")] == [MAX_TEXT, 1]
    assert render(Reply("")) == []
    markup = render(Reply("x", [[Choice("bad", "z" * 65)], [Choice("ok", "m")]]))[0].markup
    assert markup is not None and json.loads(markup)["inline_keyboard"] == [[{"text": "ok", "callback_data": "m"}]]


async def test_attachments_are_sent_as_document_and_photo(bot, api):
    channel = bot.application.bot_data["channel"]
    await channel.deliver(bot.application.bot, ALICE, [
        Reply("caption", [[Choice("OK", "m")]], attachment=Attachment("sheet.pdf", b"%PDF-1.4 data")),
        Reply("picture", attachment=Attachment("chart.png", b"\x89PNG....", kind="image")),
    ])
    document, photo = api.calls_of("sendDocument")[0], api.calls_of("sendPhoto")[0]
    assert document.params["document"] == {"filename": "sheet.pdf", "data": b"%PDF-1.4 data"}
    assert document.params["caption"] == "caption" and document.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "m"
    assert photo.params["photo"]["data"] == b"\x89PNG...." and photo.params["caption"] == "picture"


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # PTB's own RetryAfter.__init__
async def test_rate_limit_retry_after_is_obeyed(bot, api, monkeypatch):
    waited = []

    async def fake_sleep(seconds):
        waited.append(seconds)

    monkeypatch.setattr(adapter, "_sleep", fake_sleep)
    api.fail_next("sendMessage", 429, "Too Many Requests: retry after 3", retry_after=3)
    calls = await bot.say(ALICE, "/start")
    assert [c.method for c in calls] == ["sendMessage", "sendMessage"]
    assert calls[0].result["error_code"] == 429 and calls[1].params["text"] == tr("zh", "welcome")
    assert waited == [3]


# --- proactive messages --------------------------------------------------------------------
async def test_exam_result_at_the_deadline_goes_through_the_outbox(bot, api, app, clock):
    await _start_exam(bot, ALICE)
    clock.advance(46 * 60)
    assert await sweep_exams(app) == 1
    sender = TelegramSender(bot.application.bot, rate=0)
    assert await drain_outbox(app, "tg", sender) == 1
    sent = api.calls_of("sendMessage")[-1]
    assert sent.params["chat_id"] == ALICE and "成绩" in sent.params["text"]
    assert sent.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"].startswith("x:r:")
    assert await sender.send("wx:someone", {"text": "x"}) is False


async def test_run_telegram_polls_until_stopped(tmp_path, api, monkeypatch):
    """`lawbot run` with a token polls, answers and stops. The waits are generous (a loaded
    machine may take seconds per step); a bot that never polls or never stops fails them all the
    same. The search index is read from the run's cache folder, or built by a child process,
    never on a thread of this process (it held the interpreter for seconds: bot.search.builder)."""
    monkeypatch.setenv("LAWBOT_TELEGRAM_TOKEN", TOKEN)
    config = config_for(tmp_path, telegram={"base_url": api.base_url, "poll_timeout": 1})
    stop = asyncio.Event()
    task = asyncio.create_task(run_telegram(config, stop=stop))
    await api.wait_for(lambda: api.counts.get("getMe", 0) >= 1 or task.done(), timeout=60)
    api.push(api.text_update(ALICE, "/start"))  # answered only once the bot polls (getUpdates)
    await api.wait_for(lambda: api.counts.get("sendMessage", 0) >= 1 or task.done(), timeout=60)
    assert not task.done(), task.exception()
    stop.set()
    assert await asyncio.wait_for(task, 30) == 0
    assert api.commands[""] and api.commands["en"]


async def test_run_telegram_without_token_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.delenv("LAWBOT_TELEGRAM_TOKEN", raising=False)
    with pytest.raises(ConfigError, match="LAWBOT_TELEGRAM_TOKEN"):
        await run_telegram(config_for(tmp_path))


async def test_updates_of_one_user_are_handled_in_order(bot, api):
    """A burst of presses from one user, fetched in one getUpdates batch, is applied in order."""
    question = await _start_exam(bot, ALICE)
    attempt = next(d for d in bot.buttons(ALICE, question) if d.startswith("x:a:")).split(":")[2]
    updates = [api.callback_update(ALICE, f"x:g:{attempt}:{n}", question) for n in (1, 2, 3)]
    for update in updates:
        api.push(update)
    for update in updates:
        await bot.processed(update["update_id"])
    edits = [c for c in api.calls_of("editMessageText") if c.params["message_id"] == question]
    assert [next(n for n in (2, 3, 4) if f"第 {n}/100 题" in c.params["text"]) for c in edits] == [2, 3, 4]
    assert "第 4/100 题" in api.chats[ALICE][question].text
