"""Mock exam transcripts: a full paper handed in, the timer, navigation, refusals."""

from __future__ import annotations

import re

from bot.domain.models import LETTERS, QType
from bot.runner import drain_outbox, sweep_exams


def _attempt_id(chat) -> int:
    for action in chat.actions():
        if action.startswith("x:") and action.split(":")[2].isdigit():
            return int(action.split(":")[2])
    raise AssertionError("no exam on screen")


async def _attempt(app, chat):
    return await app.storage.attempts.get_attempt(_attempt_id(chat))


def _display_letters(app, attempt, pos, right=True) -> str:
    item = attempt.paper[pos]
    q = app.catalog.questions[item.qid]
    others = [i for i in range(q.option_count) if i not in q.answer]
    # a wrong answer: an option that is not right, or (every option right) only one of them
    wanted = q.answer if right else frozenset({others[0]} if others else sorted(q.answer)[:1])
    return "".join(LETTERS[item.order.index(i)] for i in sorted(wanted)) if q.type is not QType.JUDGE else (
        "对" if (0 in wanted) else "错")


async def _start(chat, exam_title="年度学法考法"):
    await chat.say("/exam")
    await chat.press(exam_title)
    assert "限时" in chat.text
    await chat.press("开始考试")
    assert "第 1/" in chat.text and "⏱ 剩余" in chat.text


async def test_full_mock_exam_handed_in_with_review(app, chat, clock):
    await _start(chat)
    attempt = await _attempt(app, chat)
    count = len(attempt.paper)
    assert count == 50
    for pos in range(count):
        assert f"第 {pos + 1}/{count} 题" in chat.text
        assert "✅" not in chat.text and "❌" not in chat.text  # no feedback before hand-in
        await chat.say(_display_letters(app, attempt, pos, right=pos >= 5))  # first five wrong
        clock.advance(20)
    await chat.press("交卷")
    assert "成绩" in chat.text
    # 5 wrong questions: score = 100 - their points
    lost = sum(item.points for item in attempt.paper[:5])
    assert f"成绩：{100 - lost:g} 分" in chat.text
    assert "✅ 通过" in chat.text and "答对 45/50 题" in chat.text
    assert "用时 16:40" in chat.text
    await chat.press("查看错题")
    assert "错题回顾 1/5" in chat.text and "【解析】" in chat.text
    await chat.press("下一题")
    assert "错题回顾 2/5" in chat.text
    # missed exam questions feed the mistake notebook
    assert len(await app.storage.reviews.wrong_entries(chat.user)) == 5


async def test_navigation_change_answer_and_confirm_unanswered(app, chat):
    await _start(chat)
    attempt = await _attempt(app, chat)
    await chat.say(_display_letters(app, attempt, 0, right=False))
    assert "第 2/50 题" in chat.text
    await chat.press("上一题")
    assert "第 1/50 题" in chat.text and "✓" in chat.text
    await chat.say(_display_letters(app, attempt, 0, right=True))  # change the answer
    await chat.press("答题卡")
    assert "已答 1/50 题" in chat.text
    await chat.press("第3题")
    assert "第 3/50 题" in chat.text
    await chat.press("交卷")
    assert "还有 49 题未作答" in chat.text
    await chat.press("继续答题")
    assert "第 2/50 题" in chat.text
    await chat.press("交卷")
    await chat.press("确定交卷")
    assert "答对 1/50 题" in chat.text
    assert "❌ 未通过" in chat.text


async def test_timeout_auto_submits_even_if_user_went_away(app, chat, clock):
    await _start(chat, "科目一")
    attempt = await _attempt(app, chat)
    for pos in range(3):
        await chat.say(_display_letters(app, attempt, pos))
    clock.advance(45 * 60 + 1)
    assert await sweep_exams(app) == 1
    assert await sweep_exams(app) == 0  # closed once
    delivered = []

    class Sender:
        async def send(self, user, payload):
            delivered.append((user, payload["text"]))
            return True

    assert await drain_outbox(app, "cli", Sender()) == 1
    assert await drain_outbox(app, "cli", Sender()) == 0
    user, text = delivered[0]
    assert user == chat.user and "考试时间已到" in text and "成绩：3 分" in text
    stored = await app.storage.attempts.get_attempt(attempt.id)
    assert stored.status == "expired" and stored.submitted_at == attempt.deadline
    # the user comes back and tries to answer: refused, nothing changes
    await chat.say("A")
    assert "已经结束" in chat.text or "没有理解" in chat.text
    assert (await app.storage.attempts.get_attempt(attempt.id)).answers == stored.answers


async def test_answer_after_deadline_is_refused_and_paper_submitted(app, chat, clock):
    await _start(chat, "科目一")
    attempt = await _attempt(app, chat)
    await chat.say(_display_letters(app, attempt, 0))
    clock.advance(45 * 60)
    await chat.say(_display_letters(app, attempt, 1))
    assert "考试时间已到" in chat.text and "成绩：1 分" in chat.text
    stored = await app.storage.attempts.get_attempt(attempt.id)
    assert stored.status == "expired" and list(stored.answers) == [0]


async def test_exam_survives_restart_with_answers_and_remaining_time(tmp_path, clock):
    from tests.support.transcript import Chat, make_app

    app = await make_app(tmp_path, clock)
    chat = Chat(app)
    await _start(chat)
    attempt = await _attempt(app, chat)
    for pos in range(4):
        await chat.say(_display_letters(app, attempt, pos))
    clock.advance(600)
    await app.close()

    app2 = await make_app(tmp_path, clock)  # same database file: a restarted process
    chat2 = Chat(app2)
    await chat2.say("/exam")
    assert "进行中的考试" in chat2.text and "已答 4/50" in chat2.text and "剩余 1:20:00" in chat2.text
    await chat2.press("继续考试")
    assert "第 5/50 题" in chat2.text
    await app2.close()


async def test_forged_exam_actions_are_refused(app, chat, tmp_path):
    from tests.support.transcript import Chat

    await _start(chat)
    attempt_id = _attempt_id(chat)
    other = Chat(app, user="intruder")
    await other.act(f"x:a:{attempt_id}:0:0")
    assert "按钮已失效或不属于您" in other.text
    for forged in (f"x:a:{attempt_id}:999:0", f"x:a:{attempt_id}:0:99", "x:a:abc:0:0", f"x:m:{attempt_id}:0:-1",
                   "x:go:nonexistent", "x:" + "9" * 80, "p:t:不存在的法", "zz", "x:a:999999:0:0"):
        await chat.act(forged)
        assert "按钮已失效" in chat.text, forged
    attempt = await app.storage.attempts.get_attempt(attempt_id)
    assert attempt.answers == {}


async def test_starting_twice_resumes_instead_of_a_second_attempt(app, chat):
    await _start(chat)
    first = _attempt_id(chat)
    await chat.act("x:go:xuefa")
    assert _attempt_id(chat) == first
    assert await app.storage.attempts.count_attempts(chat.user, "xuefa") == 1


async def test_duplicate_update_is_applied_once(app, chat):
    await _start(chat)
    attempt_id = _attempt_id(chat)
    await chat.act(f"x:a:{attempt_id}:0:0", update_id="tg:1001")
    assert "第 2/50 题" in chat.text
    replies = await app.service.handle(
        __import__("bot.app.messages", fromlist=["Incoming"]).Incoming(
            user=chat.user, action=f"x:a:{attempt_id}:0:1", update_id="tg:1001"))
    assert replies == []
    attempt = await app.storage.attempts.get_attempt(attempt_id)
    item = attempt.paper[0]
    assert attempt.answers[0] == frozenset({item.order[0]})


async def test_attempt_limit_is_enforced(app, chat):
    import dataclasses

    definition = app.catalog.exams["xuefa"]
    app.catalog.exams["xuefa"] = dataclasses.replace(definition, attempts_allowed=1)
    try:
        await _start(chat)
        await chat.press("交卷")
        await chat.press("确定交卷")
        await chat.press("再考一次")
        assert "还可参加 0 次" in chat.text and "考试次数已用完" in chat.text
        assert "交卷前可以前后翻题" not in chat.text and "▶ 开始考试" not in chat.labels()
        await chat.act("x:go:xuefa")  # an old start button
        assert "考试次数已用完" in chat.text
    finally:
        app.catalog.exams["xuefa"] = definition


async def test_options_are_shuffled_per_attempt(app, chat):
    await _start(chat)
    first = await _attempt(app, chat)
    await chat.press("交卷")
    await chat.press("确定交卷")
    await chat.press("再考一次")
    await chat.press("开始考试")
    second = await _attempt(app, chat)
    assert first.id != second.id
    assert [p.qid for p in first.paper] != [p.qid for p in second.paper]
    orders = [p.order for p in first.paper + second.paper if len(p.order) > 2]
    assert any(order != tuple(sorted(order)) for order in orders)
    assert re.search(r"第 1/50 题", chat.text)


async def test_starting_another_exam_while_one_is_open_offers_to_resume(app, chat):
    await _start(chat)
    first = _attempt_id(chat)
    await chat.act("x:go:kemu1")
    assert "还有一场进行中的考试" in chat.text
    await chat.press("继续考试")
    assert _attempt_id(chat) == first and "第 1/50 题" in chat.text


async def test_multiple_choice_hint_matches_the_exam_keyboard(app, chat):
    await _start(chat)
    attempt = await _attempt(app, chat)
    pos = next(i for i, item in enumerate(attempt.paper) if app.catalog.questions[item.qid].type is QType.MULTIPLE)
    await chat.act(f"x:g:{attempt.id}:{pos}")
    assert "· 多选 ·" in chat.text and "每点一次即保存" in chat.text
    assert ("「确认」" in chat.text) == any("确认" in label for label in chat.labels())  # no 确认 button here


async def test_typed_button_words_work_in_text_only_channels(app, chat):
    await _start(chat)
    attempt = await _attempt(app, chat)
    await chat.say(_display_letters(app, attempt, 0))
    await chat.say("上一题")
    assert "第 1/50 题" in chat.text
    await chat.say("下一题")
    assert "第 2/50 题" in chat.text
    await chat.say("答题卡")
    assert "已答 1/50 题" in chat.text
    await chat.say("交卷")
    assert "还有 49 题未作答" in chat.text
