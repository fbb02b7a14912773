"""A typed answer answers only the question on screen (after the menu, another reply or a restart
the question is shown again instead); replies that change nothing keep the flow's own choices; the
daily question takes typed answers like its buttons."""

from __future__ import annotations

import json

from bot.channels.console.adapter import ConsoleSender
from bot.clock import ManualClock
from bot.domain.models import LETTERS, QType
from bot.runner import drain_once
from bot.scheduler.wiring import build_scheduler
from tests.app.test_exam import _attempt, _display_letters, _start
from tests.app.test_reminders import at
from tests.support.sql import sql_all, sql_one
from tests.support.transcript import Chat, make_app


async def test_replies_that_change_nothing_keep_the_practice_choices(app, chat):
    await chat.say("/practice")
    await chat.press("随机练习")
    question = chat.actions()
    for text in ("", "/stats", "/export", "/broadcast 你好", "/nonsense"):
        await chat.say(text)
        assert chat.last[0].choices == [] and chat.actions() == question, text
    assert "仅限管理员" in await chat.say("/stats")
    await chat.say("1")  # still the question's first button, not the main menu's 办事指南
    assert chat.text.startswith(("✅", "❌")) or "☑" in chat.text  # answered, or (多选) ticked


async def test_after_a_restart_a_letter_shows_the_exam_instead_of_answering(tmp_path):
    clock = ManualClock()
    app = await make_app(tmp_path, clock)
    chat = Chat(app)
    await _start(chat)
    attempt = await _attempt(app, chat)
    await chat.say(_display_letters(app, attempt, 0))  # answered; question 2 on screen
    await app.close()

    app = await make_app(tmp_path, clock)  # a restart: a new console session opens with /start
    try:
        chat = Chat(app)
        clock.advance(600)
        text = await chat.say("/start")
        assert "进行中的考试《年度学法考法模拟考试》，剩余 1:20:00，已答 1/50 题" in text
        assert chat.labels()[0] == "▶ 继续考试" and "📜 查法条" in chat.labels()
        text = await chat.say("B")
        assert "没有作答" in text and "第 2/50 题" in text and "剩余 1:20:00" in text
        assert set((await app.storage.attempts.get_attempt(attempt.id)).answers) == {0}
        await chat.say(_display_letters(app, attempt, 1))  # now it is on screen: it answers question 2
        assert set((await app.storage.attempts.get_attempt(attempt.id)).answers) == {0, 1} and "第 3/50 题" in chat.text
        # the menu (typed or pressed) takes the paper off the screen again; so does another reply
        for leave in ("菜单", "/law 宪法 1", "/cancel"):
            await chat.say(leave)
            text = await chat.say(_display_letters(app, attempt, 2))
            assert "没有作答" in text and "第 3/50 题" in text, leave
            assert set((await app.storage.attempts.get_attempt(attempt.id)).answers) == {0, 1}, leave
        await chat.say("答题卡")
        await chat.say("交卷")  # the paper's words still work from the answer sheet
        assert "还有 48 题未作答" in chat.text
    finally:
        await app.close()


def _typed(question) -> str:
    if question.type is QType.JUDGE:
        return "对" if 0 in question.answer else "错"
    return LETTERS[min(question.answer)]


async def test_the_daily_question_takes_a_typed_answer_while_it_is_on_screen(tmp_path):
    app = await make_app(tmp_path, ManualClock(at(7, 0)))
    try:
        chat, other = Chat(app), Chat(app, "other")
        await chat.say("/remind 08:00")
        await other.say("/remind 08:00")
        table = build_scheduler(app).table
        app.clock.t = at(8, 0)
        await table.run_due()
        assert await drain_once(app, {"cli": ConsoleSender(chat.channel)}) == 1
        assert await drain_once(app, {"cli": ConsoleSender(other.channel)}) == 1
        payload = await sql_one(app.storage, "SELECT payload FROM outbox WHERE dedupe_key = ?",
                                         (f"daily:2026-03-02:{chat.user}",))
        qid = json.loads(payload[0])["choices"][0][0][1].split(":")[2]
        question = app.catalog.questions[qid]
        text = await chat.say(_typed(question))
        assert "回答正确" in text
        logged = await sql_all(app.storage, "SELECT correct FROM answer_log WHERE user_key = ?", (chat.user,))
        assert logged == [(1,)]
        # something else came after it on the other screen: the letter no longer answers it
        app.clock.t = at(8, 1)
        await other.say("/me")
        await other.say(_typed(question))
        assert "回答正确" not in other.text
        assert await sql_all(app.storage, "SELECT correct FROM answer_log WHERE user_key = ?", (other.user,)) == []
    finally:
        await app.close()
