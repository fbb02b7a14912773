"""Answers and commands typed the way people type them on a phone: full-width letters and slashes
(Chinese input methods), check marks, the after-answer buttons' words, a second answer to the
same question, a button of someone else's practice. Each is read as meant, or refused in one
line, and nothing is counted twice."""

from __future__ import annotations

from bot.catalog.questions import parse_judge, parse_letters
from bot.domain.models import LETTERS, QType
from tests.support.transcript import Chat


def test_full_width_letters_and_check_marks_are_answers():
    assert parse_letters("ＡＣ") == [0, 2]
    assert parse_letters("ａ，ｃ") == [0, 2]
    assert parse_judge("Ｔ") is True and parse_judge("✓") is True and parse_judge("✔") is True
    assert parse_judge("✗") is False and parse_judge("✘") is False and parse_judge("Ｆ") is False
    assert parse_letters("Ａ Ｂ") == [0, 1] and parse_letters("Ｉ") is None  # only A-H


def _full_width(text: str) -> str:
    return "".join(chr(ord(ch) + 0xFEE0) if "A" <= ch <= "Z" else ch for ch in text)


async def _practice_question(app, chat):
    await chat.say("/practice")
    await chat.press("随机练习")
    for _ in range(50):  # a choice question (not 填空 or a 材料题's part)
        state = await app.storage.sessions.get_state(chat.user)
        q = app.catalog.questions[state["qid"]]
        if q.type in (QType.SINGLE, QType.MULTIPLE) and not q.parent:
            return q
        await chat.press("结束练习")
        await chat.say("/practice")
        await chat.press("随机练习")
    raise AssertionError("no choice question drawn")


async def test_full_width_answer_in_practice_is_graded(app, chat):
    q = await _practice_question(app, chat)
    right = "".join(LETTERS[i] for i in sorted(q.answer))
    await chat.say(_full_width(right))  # what a Chinese keyboard in full-width mode sends
    assert "✅ 回答正确" in chat.text
    assert await app.storage.practice.answer_stats(chat.user) == (1, 1)


async def test_second_typed_answer_is_refused_and_not_counted(app, chat):
    q = await _practice_question(app, chat)
    right = "".join(LETTERS[i] for i in sorted(q.answer))
    await chat.say(right)
    assert "✅ 回答正确" in chat.text
    wrong = next(LETTERS[i] for i in range(q.option_count) if i not in q.answer)
    await chat.say(wrong)  # changing one's mind after the feedback
    assert "已经作答过了" in chat.text and "请回复选项字母" not in chat.text
    assert any("下一题" in label for label in chat.labels())  # the way on is offered again
    assert await app.storage.practice.answer_stats(chat.user) == (1, 1)


async def test_typed_next_and_end_work_in_practice(app, chat):
    q = await _practice_question(app, chat)
    await chat.say("".join(LETTERS[i] for i in sorted(q.answer)))
    first = (await app.storage.sessions.get_state(chat.user))["serial"]
    await chat.say("下一题")
    assert "第 2 题" in chat.text
    assert (await app.storage.sessions.get_state(chat.user))["serial"] > first
    await chat.say("结束练习")
    assert "练习" in chat.text and (await app.storage.sessions.get_state(chat.user)).get("flow") is None
    assert await app.storage.practice.answer_stats(chat.user) == (1, 1)


async def test_someone_elses_practice_button_is_refused_as_not_theirs(app, chat):
    await _practice_question(app, chat)
    serial = (await app.storage.sessions.get_state(chat.user))["serial"]
    other = Chat(app, user="other")
    await other.act(f"p:a:{serial}:0")
    assert "按钮已失效或不属于您" in other.text and "已经作答过了" not in other.text
    assert await app.storage.practice.answer_stats("other") == (0, 0)


async def test_full_width_slash_and_ideographic_space_commands(chat):
    for typed in ("／law 民法典 1254", "/law　民法典　1254", "／LAW 民法典 1254"):
        await chat.say(typed)
        assert "第一千二百五十四条 禁止从建筑物中抛掷物品" in chat.text, typed
        assert "下一条 ▶" in chat.labels(), typed  # the article page itself, not a search hit list
    await chat.say("／help")
    assert "可用命令" in chat.text


async def _exam(app, chat):
    await chat.say("/exam")
    await chat.press("年度学法考法")
    await chat.press("开始考试")
    action = next(a for a in chat.actions() if a.startswith(("x:g:", "x:a:")))
    return await app.storage.attempts.get_attempt(int(action.split(":")[2]))


async def test_full_width_answer_in_an_exam_is_saved(app, chat):
    attempt = await _exam(app, chat)
    item = attempt.paper[0]
    question = app.catalog.questions[item.qid]
    typed = "Ｂ" if question.type is not QType.JUDGE else "✗"
    await chat.say(typed)
    assert "第 2/50 题" in chat.text and "已答 1/50" in chat.text
    saved = (await app.storage.attempts.get_attempt(attempt.id)).answers[0]
    assert saved == frozenset({item.order[1]} if question.type is not QType.JUDGE else {1})


async def test_typed_confirm_hands_in_from_the_confirmation(app, chat):
    attempt = await _exam(app, chat)
    await chat.say("交卷")
    assert "确定交卷吗" in chat.text
    await chat.say("确定交卷")
    assert "成绩" in chat.text
    assert (await app.storage.attempts.get_attempt(attempt.id)).status == "submitted"


async def test_a_full_width_number_picks_from_a_text_channels_numbered_menu(app):
    """WeChat shows choices as a numbered list; a phone's input method in full-width mode sends ３."""
    from bot.app.messages import Incoming

    await app.service.handle(Incoming(user="wx:fw", text="/practice", numbered=True))
    replies = await app.service.handle(Incoming(user="wx:fw", text="３", numbered=True, update_id="wx:1"))
    assert "【随机练习】第 1 题" in replies[0].text
    assert (await app.storage.sessions.get_state("wx:fw"))["mode"] == "random"


async def test_lang_with_an_unknown_language_changes_nothing(app, chat):
    await chat.say("/lang xx")
    assert "没有“xx”这种语言" in chat.text and "/lang en" in chat.text
    assert (await app.storage.sessions.get_state(chat.user))["locale"] == "zh"
    await chat.say("/lang English")
    assert "Language set to English" in chat.text
    await chat.say("/lang zh-CN")
    assert "已切换为中文" in chat.text


async def test_case_quiz_second_typed_answer_and_someone_elses_button(app, chat):
    quiz = [q for q in app.catalog.cases["gaokong-paowu"].quiz if q in app.catalog.questions]
    assert len(quiz) >= 2
    await chat.act("c:q:gaokong-paowu")
    q = app.catalog.questions[quiz[0]]
    typed = ("对" if 0 in q.answer else "错") if q.type is QType.JUDGE else "".join(LETTERS[i] for i in sorted(q.answer))
    await chat.say(_full_width(typed))
    assert "回答正确" in chat.text
    await chat.say(typed)  # once more
    assert "已经作答过了" in chat.text and "请回复选项字母" not in chat.text
    assert await app.storage.practice.answer_stats(chat.user) == (1, 1)
    serial = (await app.storage.sessions.get_state(chat.user))["serial"]
    other = Chat(app, user="other")
    await other.act(f"c:a:{serial}:0")
    assert "按钮已失效或不属于您" in other.text


async def test_letters_that_do_not_fit_the_question_say_why_and_save_nothing(app, chat):
    attempt = await _exam(app, chat)
    kinds = {app.catalog.questions[item.qid].type: pos for pos, item in reversed(list(enumerate(attempt.paper)))}
    single, judge = kinds[QType.SINGLE], kinds[QType.JUDGE]
    count = app.catalog.questions[attempt.paper[single].qid].option_count
    await chat.act(f"x:g:{attempt.id}:{single}")
    await chat.say("A C")
    assert "本题是单选题，只能选一个答案" in chat.text
    await chat.say(LETTERS[count])  # one past the last option
    assert f"本题只有 A–{LETTERS[count - 1]} 这几个选项" in chat.text
    await chat.act(f"x:g:{attempt.id}:{judge}")
    await chat.say("C")
    assert "本题是判断题，请回复 对 或 错" in chat.text
    assert (await app.storage.attempts.get_attempt(attempt.id)).answers == {}


async def test_reminder_time_typed_in_full_width(chat):
    await chat.say("/remind ２０：３０")  # a Chinese input method in full-width mode
    assert "没有看懂" not in chat.text and "20:30" in chat.text
    await chat.say("/remind")
    assert "每天 20:30" in chat.text


async def test_bind_with_a_full_width_staff_number_or_the_name_first(app):
    from bot.domain.units import RosterEntry, Unit

    await app.storage.roster.upsert_units([Unit("u1", "一处")])
    await app.storage.roster.upsert_roster([RosterEntry(staff_no="SL0001", name="示例甲", unit_id="u1"),
                                            RosterEntry(staff_no="SL0002", name="示例乙", unit_id="u1")], 1.0)
    first = Chat(app, user="first")
    await first.say("/bind ＳＬ０００１　示例甲")  # full-width letters, digits and space
    assert "绑定成功" in first.text, first.text
    second = Chat(app, user="second")
    await second.say("/bind 示例乙，SL0002")  # name first, a Chinese comma between
    assert "绑定成功" in second.text, second.text
    third = Chat(app, user="third")
    await third.say("/bind SL0002 示例甲")  # a staff number with someone else's name: still refused
    assert "未能绑定" in third.text
    await app.storage.roster.upsert_roster([RosterEntry(staff_no="SL0003", name="示例丙", unit_id="u1")], 2.0)
    await third.say("/bind sl0003 示例丙")  # typed in lower case
    assert "绑定成功" in third.text, third.text


async def test_an_answer_with_the_words_around_it(app, chat):
    from bot.app.views import answer_core

    q = await _practice_question(app, chat)
    right = "".join(LETTERS[i] for i in sorted(q.answer))
    await chat.say(f"我选 {right}。")
    assert "✅ 回答正确" in chat.text
    attempt = await _exam(app, chat)
    item = attempt.paper[0]
    typed = "答案：对" if app.catalog.questions[item.qid].type is QType.JUDGE else "选B"
    await chat.say(typed)
    assert "第 2/50 题" in chat.text and "已答 1/50" in chat.text
    assert 0 in (await app.storage.attempts.get_attempt(attempt.id)).answers
    assert answer_core("是否") == "是否" and answer_core("B选项") == "B"


async def test_someone_elses_pk_buttons_are_not_theirs(app, chat, clock):
    from bot.runner import sweep_pk

    await chat.say("/pk")
    clock.advance(31)
    assert await sweep_pk(app) == 1  # the robot plays
    match = await app.storage.pk.get_match(await app.storage.pk.active_match_of(chat.user))
    other = Chat(app, user="other")
    for action in (f"v:a:{match.id}:{match.pos}:0", f"v:q:{match.id}", f"v:r:{match.id}"):
        await other.act(action)
        assert "按钮已失效或不属于您" in other.text and "已经作答过了" not in other.text, action
    assert await app.storage.pk.answers(match.id) == [] and (await app.storage.pk.get_match(match.id)).status == "active"


async def test_practice_with_a_law_name_starts_that_laws_practice(app, chat):
    await chat.say("/practice 中华人民共和国民法典")
    state = await app.storage.sessions.get_state(chat.user)
    assert state["mode"] == "topic" and state["scope"] == "民法典" and "第 1 题" in chat.text
    await chat.say("/cancel")
    await chat.say("/practice 不存在的法")
    assert "没有“不存在的法”的专项练习题" in chat.text and "专项练习" in " ".join(chat.labels())


async def test_view_material_on_a_question_without_one_says_so(app, chat):
    q = await _practice_question(app, chat)
    await chat.say("查看材料")
    assert chat.text == "这道题不是材料题，没有材料可看；请直接作答。"
    state = await app.storage.sessions.get_state(chat.user)
    assert state["qid"] == q.id and not state.get("answered")  # nothing answered, the question stays
    await chat.say("A")
    assert "回答正确" in chat.text or "回答错误" in chat.text
    attempt = await _exam(app, chat)
    assert app.catalog.material_of(app.catalog.questions[attempt.paper[0].qid]) is None
    await chat.say("查看材料")
    assert chat.text == "这道题不是材料题，没有材料可看；请直接作答。"
    assert 0 not in (await app.storage.attempts.get_attempt(attempt.id)).answers
