"""Odd input: always a plain reply, never a traceback, nothing lost or double-counted."""

from __future__ import annotations

import pytest

from bot.app.messages import Incoming
from bot.app.service import clean_text
from tests.support.sql import sql_write

ODD_TEXTS = [
    "", "   ", "\n\n", "a" * 5000, "学" * 5000, "😀🎉🙏", "\u200b\u200b", "\u200bA\u200d", "\x00\x01\x07\x1b[31m",
    "<b>bold</b> <script>alert(1)</script>", "*bold* _x_ [link](http://x) `code`", "/start junk args here",
    "/exam 1 2 3", "/unknowncommand", "/", "//", "/lang xx", "/help@lawbot_bot", "\ud800" if False else "𝕏",
    "１２３", "Ａ", "%s %d {0} {name}", "' OR 1=1; DROP TABLE users; --", "\r\n\t",
]


@pytest.mark.parametrize("text", ODD_TEXTS)
async def test_odd_text_gets_a_plain_reply(app, text):
    replies = await app.service.handle(Incoming(user="cli:odd", text=text))
    assert replies and all(r.text.strip() for r in replies)
    assert "Traceback" not in replies[0].text and "error" not in replies[0].text.lower()


async def test_too_long_message_is_refused_politely(app):
    replies = await app.service.handle(Incoming(user="cli:odd", text="学" * 5000))
    assert "消息太长" in replies[0].text


async def test_empty_message_gets_the_menu(app):
    replies = await app.service.handle(Incoming(user="cli:odd", text="\u200b \x00"))
    assert "空消息" in replies[0].text and replies[0].choices


@pytest.mark.parametrize("action", [
    "", ":", "p", "p:", "p:a", "p:a:x:y", "p:a:1:99", "p:n:-1", "x", "x:", "x:g", "x:g:1", "x:r:1:0",
    "x:H:0", "m:extra", "lang:de", "me:1", "p:t:" + "法" * 30, "x:a:1:0:0\n", "x:a:1:0:0;DROP", "🙂",
    "x:i:../../etc/passwd", "a" * 65, "p:x:1:999999999",
])
async def test_forged_button_data_is_refused(app, action):
    replies = await app.service.handle(Incoming(user="cli:forger", action=action))
    assert replies and replies[0].text
    assert "Traceback" not in replies[0].text


async def test_internal_error_becomes_a_plain_apology_and_nothing_is_half_written(app, monkeypatch):
    async def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    await app.service.handle(Incoming(user="cli:e", text="/practice"))
    await app.service.handle(Incoming(user="cli:e", action="p:r"))
    monkeypatch.setattr(app.storage.reviews, "put_wrong", broken)
    monkeypatch.setattr(app.storage.reviews, "put_card", broken)
    state = await app.storage.sessions.get_state("cli:e")
    q = app.catalog.questions[state["qid"]]
    wrong = next(i for i in range(q.option_count) if i not in q.answer)
    action = f"p:a:{state['serial']}:{wrong}" if q.type.value != "multiple" else None
    if action is None:
        replies = await app.service.handle(Incoming(user="cli:e", text="".join("ABCDEFGH"[i] for i in range(q.option_count) if i not in q.answer) or "A"))
    else:
        replies = await app.service.handle(Incoming(user="cli:e", action=action))
    assert "出了点问题" in replies[0].text
    # the whole turn was rolled back: no answer logged, the question is still open
    assert await app.storage.practice.answer_stats("cli:e") == (0, 0)
    assert (await app.storage.sessions.get_state("cli:e")).get("answered") is False


def test_clean_text_removes_invisible_and_control_characters():
    assert clean_text("\u200bA\u200d\x00\x1b") == "A"
    assert clean_text(" 你好\n世界 ") == "你好\n世界"


async def test_a_user_who_writes_again_is_no_longer_marked_blocked_and_new_locale_is_kept(app):
    await app.service.handle(Incoming(user="tg:42", text="/start", locale="en-GB"))
    assert (await app.storage.sessions.get_state("tg:42"))["locale"] == "en"
    await sql_write(app.storage, "UPDATE users SET blocked = 1 WHERE key = ?", ("tg:42",))
    assert await app.storage.users.is_blocked("tg:42")
    await app.service.handle(Incoming(user="tg:42", text="/help"))
    assert not await app.storage.users.is_blocked("tg:42")
