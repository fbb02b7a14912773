"""以案释法 as chat transcripts: browse, search, case of the day, read, quiz, study credit."""

from __future__ import annotations

from bot.domain.models import LETTERS, QType


def _right(app, qid: str) -> str:
    q = app.catalog.questions[qid]
    if q.type is QType.JUDGE:
        return "对" if 0 in q.answer else "错"
    return "".join(LETTERS[i] for i in sorted(q.answer))


async def test_browse_read_and_answer_the_quiz(app, chat):
    await chat.say("/start")
    await chat.press("以案释法")
    await chat.press("民法典·侵权责任")
    await chat.press("高空抛物")
    text = chat.text
    for section in ("【案情】", "【争议焦点】", "【法律分析】", "【法条】", "【普法提示】"):
        assert section in text
    assert "第一千二百五十四条 禁止从建筑物中抛掷物品" in text
    assert await app.storage.activity.activity_count(chat.user, "case_read") == 1
    quiz = [q for q in app.catalog.cases["gaokong-paowu"].quiz if q in app.catalog.questions]
    await chat.press("道题巩固")
    assert f"第 1/{len(quiz)} 题" in chat.text
    for i, qid in enumerate(quiz):
        await chat.say(_right(app, qid))
        assert "回答正确" in chat.text
        if i + 1 < len(quiz):
            await chat.press("下一题")
    assert f"答对 {len(quiz)}/{len(quiz)} 题" in chat.text


async def test_wrong_answer_by_button_gets_feedback(app, chat):
    await chat.act("c:q:gaokong-paowu")
    qid = app.catalog.cases["gaokong-paowu"].quiz[0]
    q = app.catalog.questions[qid]
    wrong = next(i for i in range(q.option_count) if i not in q.answer)
    serial = (await app.storage.sessions.get_state(chat.user))["serial"]
    if q.type is QType.MULTIPLE:
        await chat.act(f"c:x:{serial}:{1 << wrong}")
        await chat.act(f"c:c:{serial}")
    else:
        await chat.act(f"c:a:{serial}:{wrong}")
    assert "回答错误" in chat.text or "正确答案" in chat.text
    await chat.act(f"c:a:{serial}:0")  # the same question again: stale
    assert "已经作答" in chat.text


async def test_case_of_the_day_is_deterministic_per_date(app, chat, clock):
    await chat.act("c:d")
    first = chat.text.splitlines()[0]
    await chat.act("c:d")
    assert chat.text.splitlines()[0] == first
    clock.advance(86400)
    await chat.act("c:d")
    assert chat.text.splitlines()[0] != first


async def test_search_cases(chat):
    await chat.say("/case 以房养老")
    assert "相关的案例" in chat.text
    assert any("以房养老" in label for label in chat.labels())


async def test_forged_quiz_buttons(chat):
    await chat.act("c:q:nope")
    assert "按钮已失效" in chat.text
    await chat.act("c:a:99:0")
    assert "已经作答" in chat.text or "失效" in chat.text
