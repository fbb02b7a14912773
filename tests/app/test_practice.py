"""Practice flows as chat transcripts through the console channel."""

from __future__ import annotations

from bot.app.practice import TOPIC_PAGE
from bot.domain.models import LETTERS, QType


async def _shown(app, chat):
    """The question on screen in practice (of a material, the sub-question being asked)."""
    state = await _state(app, chat)
    q = app.catalog.questions[state["qid"]]
    return q.subs[state.get("sub", 0)] if q.type is QType.MATERIAL else q


async def _right_letter(app, chat) -> str:
    """What to type to answer the question on screen right (letters, 对/错, or the blanks' text)."""
    q = await _shown(app, chat)
    if q.type is QType.FILL:
        return "；".join(alternatives[0] for alternatives in q.blanks)
    if q.type is QType.JUDGE:
        return "对" if 0 in q.answer else "错"
    return "".join(LETTERS[i] for i in sorted(q.answer))


async def _wrong_letter(app, chat) -> str:
    q = await _shown(app, chat)
    if q.type is QType.FILL:
        return "；".join("不对" for _ in q.blanks)
    if q.type is QType.JUDGE:
        return "错" if 0 in q.answer else "对"
    wrong = next(i for i in range(q.option_count) if i not in q.answer)
    return LETTERS[wrong]


async def _state(app, chat) -> dict:
    return await app.storage.sessions.get_state(chat.user)


async def test_start_shows_menu(chat):
    text = await chat.say("/start")
    assert "法治学习与办事助手" in text
    assert "📘 学法练习" in chat.labels() and "📝 模拟考试" in chat.labels()


async def test_topic_practice_gives_feedback_with_explanation_and_article(app, chat):
    await chat.say("/practice")
    await chat.press("专项练习")
    await chat.press("行政处罚法")
    assert "【专项·行政处罚法 1/" in chat.text
    await chat.say(await _right_letter(app, chat))
    assert "✅ 回答正确" in chat.text
    assert "【解析】" in chat.text and "【法条】《行政处罚法》第" in chat.text
    await chat.press("下一题")
    assert "【专项·行政处罚法 2/" in chat.text


async def test_sequential_practice_resumes_where_the_user_stopped(app, chat):
    await chat.say("/practice")
    await chat.press("顺序练习")
    assert "顺序练习 1/" in chat.text
    await chat.say(await _right_letter(app, chat))
    await chat.press("下一题")
    await chat.say(await _right_letter(app, chat))
    await chat.say("/cancel")
    assert "本次练习 2 题，答对 2 题" in chat.text
    await chat.say("/practice")
    await chat.press("顺序练习")
    assert "顺序练习 3/" in chat.text


async def test_wrong_answer_enters_notebook_and_leaves_after_n_right(app, chat):
    need = app.config.practice.wrong_book_clear_after
    await chat.say("/practice")
    await chat.press("随机练习")
    qid = (await _state(app, chat))["qid"]
    await chat.say(await _wrong_letter(app, chat))
    assert "❌ 回答错误" in chat.text and "已加入错题本" in chat.text
    await chat.say("/cancel")
    await chat.say("/wrong")
    assert "错题本共 1 题" in chat.text
    await chat.press("开始练错题")
    for n in range(1, need + 1):
        assert (await _state(app, chat))["qid"] == qid
        await chat.say(await _right_letter(app, chat))
        if n < need:
            assert f"已连续答对 {n}/{need} 次" in chat.text
            await chat.press("下一题")
    assert "已移出错题本" in chat.text
    await chat.press("下一题")
    assert "错题本是空的" in chat.text


async def test_wrong_in_notebook_resets_streak(app, chat):
    await chat.say("/practice")
    await chat.press("随机练习")
    await chat.say(await _wrong_letter(app, chat))
    await chat.say("/wrong")
    await chat.press("开始练错题")
    await chat.say(await _right_letter(app, chat))
    assert "1/2" in chat.text
    await chat.press("下一题")
    await chat.say(await _wrong_letter(app, chat))
    assert "0/2" in chat.text


async def test_review_serves_missed_questions_when_due(app, chat, clock):
    await chat.say("/review")
    assert "今天没有需要复习的题目" in chat.text
    await chat.say("/practice")
    await chat.press("随机练习")
    qid = (await _state(app, chat))["qid"]
    await chat.say(await _wrong_letter(app, chat))
    await chat.say("/cancel")
    clock.advance(24 * 3600)
    await chat.say("/review")
    assert "今日复习" in chat.text and (await _state(app, chat))["qid"] == qid
    await chat.say(await _right_letter(app, chat))
    assert "✅" in chat.text
    await chat.press("下一题")
    assert "今天的复习已全部完成" in chat.text
    due = await app.storage.reviews.count_due(chat.user, clock.now())
    assert due == 0


async def test_multiple_choice_toggle_then_confirm(app, chat):
    first_page = app.catalog.law_tags()[:TOPIC_PAGE]
    multi = next(q for q in app.catalog.question_list if q.type is QType.MULTIPLE and q.cite.law in first_page)
    await chat.say("/practice")
    await chat.press("专项练习")
    await chat.press(multi.cite.law)
    for _ in range(len(app.catalog.question_list)):
        if app.catalog.questions[(await _state(app, chat))["qid"]].type is QType.MULTIPLE:
            break
        await chat.say(await _right_letter(app, chat))
        await chat.press("下一题")
    q = app.catalog.questions[(await _state(app, chat))["qid"]]
    await chat.press("确认")
    assert "请先选择至少一个选项" in chat.text
    for i in sorted(q.answer):
        await chat.press(f"☐{LETTERS[i]}")
        assert f"☑ {LETTERS[i]}." in chat.text
    # a double tap on the same box sends the same resulting selection again: harmless
    await chat.act(chat.actions()[0])
    await chat.act(chat.actions()[0])
    await chat.press("确认")
    assert "回答" in chat.text


async def test_answer_is_logged_once_even_if_button_pressed_twice(app, chat):
    await chat.say("/practice")
    await chat.press("随机练习")
    q = app.catalog.questions[(await _state(app, chat))["qid"]]
    if q.type is QType.MULTIPLE:
        await chat.say(await _right_letter(app, chat))
        action = None
    else:
        action = chat.actions()[0]
        await chat.act(action)
        assert "回答" in chat.text
        await chat.act(action)
        assert "已经作答过了" in chat.text
    answers, _ = await app.storage.practice.answer_stats(chat.user)
    assert answers == 1


async def test_language_switch_to_english(chat):
    await chat.say("/lang en")
    assert "Language set to English" in chat.text
    await chat.say("/practice")
    assert "Practice: choose a mode" in chat.text
    await chat.say("/lang")
    assert "已切换为中文" in chat.text


async def test_answer_helpers_cover_every_question_type(app, chat):
    """The helpers other tests use to answer a random practice question (the overview browser
    test, for one) type a real answer for every type the bank has: 填空 and 材料题 included."""
    seen: set[QType] = set()
    await chat.say("/practice")
    await chat.press("随机练习")
    for _ in range(400):
        q = await _shown(app, chat)
        typed = await _right_letter(app, chat)
        assert typed, f"nothing to type for {q.id} ({q.type})"
        text = await chat.say(typed)
        assert "回答正确" in text or "✅" in text, (q.id, q.type, typed, text)
        seen.add(QType.MATERIAL if q.parent else q.type)
        if seen >= {QType.FILL, QType.MATERIAL, QType.JUDGE}:
            break
        following = [c.action for c in chat.channel.choices if c.label.startswith("➡")]
        assert following, [c.label for c in chat.channel.choices]
        await chat.act(following[0])
    assert {QType.FILL, QType.MATERIAL} <= seen, seen
