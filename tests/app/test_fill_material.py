"""填空 and 材料题 as chat transcripts through the console channel: practice, the mistake
notebook, review, and a timed exam with per-blank credit."""

from __future__ import annotations

from bot.domain.models import LETTERS, QType


async def _topic_at(app, chat, law: str, qid: str) -> None:
    """Open 专项练习 for law at the given question (saved progress points there)."""
    ids = app.service.practice._by_law[law]
    await app.storage.practice.set_progress(chat.user, f"topic:{law}", ids.index(qid))
    await chat.say("/practice")
    await chat.press("专项练习")
    await chat.press(law)


def _letters(question) -> str:
    if question.type is QType.JUDGE:
        return "对" if 0 in question.answer else "错"
    return "".join(LETTERS[i] for i in sorted(question.answer))


async def test_fill_in_practice_typed_answers_width_and_punctuation_ignored(app, chat):
    await _topic_at(app, chat, "行政处罚法", "tk-xzcf-05")
    assert "填空" in chat.text and "＿①＿" in chat.text and "＿②＿" in chat.text
    await chat.say("两年")  # one answer for two blanks: asked again, not graded
    assert "本题共 2 个空" in chat.text
    assert not await app.storage.reviews.wrong_entries(chat.user)
    await chat.say("２年；五年。")  # full-width digit, trailing punctuation
    assert "✅ 回答正确" in chat.text and "【法条】《行政处罚法》第三十六条" in chat.text


async def test_wrong_fill_marks_each_blank_and_enters_the_notebook(app, chat):
    await _topic_at(app, chat, "行政处罚法", "tk-xzcf-05")
    await chat.say("二年 十年")
    assert "❌ 回答错误" in chat.text and "①二年" in chat.text and "②五年" in chat.text
    assert "第①空 ✓ 二年" in chat.text and "第②空 ✗ 您填：十年" in chat.text
    assert [e.question_id for e in await app.storage.reviews.wrong_entries(chat.user)] == ["tk-xzcf-05"]
    await chat.say("/wrong")
    await chat.press("开始练错题")
    assert "错题本" in chat.text and "＿②＿" in chat.text
    await chat.say("两年 五年")
    assert "✅ 回答正确" in chat.text


async def test_material_in_practice_one_part_at_a_time_with_the_case_on_demand(app, chat):
    material = app.catalog.questions["cl-xzcf-01"]
    subs = material.subs
    await _topic_at(app, chat, "行政处罚法", material.id)
    first_screen = chat.text
    assert "【材料】" in first_screen and material.stem[:20] in first_screen
    assert "材料题 第 1/3 小题" in first_screen and subs[0].stem in first_screen
    await chat.press("查看材料")
    assert material.stem[:20] in chat.text and subs[0].stem in chat.text  # the case, then the question again
    await chat.say(_letters(subs[0]))
    assert "✅ 回答正确" in chat.text
    await chat.press("下一小题")
    assert "材料题 第 2/3 小题" in chat.text and "【材料】" not in chat.text  # shown once, then on demand
    wrong = next(LETTERS[i] for i in range(subs[1].option_count) if i not in subs[1].answer)
    await chat.say(wrong)
    assert "❌ 回答错误" in chat.text
    await chat.press("查看材料")  # after answering: the case, with the way on
    assert material.stem[:20] in chat.text and "下一小题" in " ".join(chat.labels())
    await chat.press("下一小题")
    await chat.say(_letters(subs[2]))
    assert "✅ 回答正确" in chat.text and "下一题" in " ".join(chat.labels()) and "下一小题" not in " ".join(chat.labels())
    # each part is logged on its own; the missed one is in the notebook and on the review schedule
    assert [e.question_id for e in await app.storage.reviews.wrong_entries(chat.user)] == [subs[1].id]
    # the material counts as one step of 专项练习
    ids = app.service.practice._by_law["行政处罚法"]
    assert await app.storage.practice.get_progress(chat.user, "topic:行政处罚法") == ids.index(material.id) + 1
    # from the notebook the part comes back with its case
    await chat.say("/wrong")
    await chat.press("开始练错题")
    assert "【材料】" in chat.text and subs[1].stem in chat.text and "查看材料" in " ".join(chat.labels())
    await chat.say(_letters(subs[1]))
    assert "✅ 回答正确" in chat.text


async def test_timed_exam_with_fill_and_material_partial_credit(app, chat, clock):
    await chat.say("/exam")
    await chat.press("综合题型模拟考试")
    await chat.press("开始考试")
    attempt_id = next(int(a.split(":")[2]) for a in chat.actions() if a.startswith("x:") and a.split(":")[2].isdigit())
    attempt = await app.storage.attempts.get_attempt(attempt_id)
    paper = attempt.paper
    kinds = [app.catalog.questions[item.qid] for item in paper]
    fills = [pos for pos, q in enumerate(kinds) if q.type is QType.FILL]
    parts = [pos for pos, q in enumerate(kinds) if q.parent]
    assert len(fills) == 10 and len({kinds[p].parent for p in parts}) == 4
    assert abs(sum(item.points for item in paper) - 100) < 1e-6
    partial_pos, wrong_sub_pos = fills[0], parts[1]
    expected = 0.0
    for pos, item in enumerate(paper):
        q = kinds[pos]
        assert f"第 {pos + 1}/{len(paper)} 题" in chat.text
        if q.type is QType.FILL:
            assert "＿①＿" in chat.text
            if pos == partial_pos:
                if len(q.blanks) > 1:
                    await chat.say("空")  # too few answers: asked again, nothing saved
                    assert f"本题共 {len(q.blanks)} 个空" in chat.text
                typed = [q.blanks[0][0]] + ["不对"] * (len(q.blanks) - 1)
                if len(q.blanks) == 1:
                    typed = ["不对"]
                share = 1 / len(q.blanks) if len(q.blanks) > 1 else 0.0  # the first blank only
            else:
                typed = [f"　{alternatives[-1]}。" for alternatives in q.blanks]  # full-width space, punctuation
                share = 1.0
            await chat.say("；".join(typed))
        else:
            if q.parent:
                material = app.catalog.questions[q.parent]
                if material.subs[0].id == q.id:
                    assert "【材料】" in chat.text and material.stem[:15] in chat.text
                else:
                    await chat.press("查看材料")
                    assert material.stem[:15] in chat.text and f"第 {pos + 1}/{len(paper)} 题" in chat.text
            right = pos != wrong_sub_pos
            if q.type is QType.JUDGE:
                verdict = (0 in q.answer) == right
                await chat.say("对" if verdict else "错")
            else:
                chosen = q.answer if right else frozenset({next(i for i in range(q.option_count) if i not in q.answer)})
                await chat.say("".join(LETTERS[item.order.index(i)] for i in sorted(chosen)))
            share = 1.0 if right else 0.0
        expected += item.points * share
        clock.advance(10)
    saved = await app.storage.attempts.get_attempt(attempt_id)
    assert isinstance(saved.answers[partial_pos], tuple)  # typed blanks are stored as text
    await chat.press("交卷")
    assert f"成绩：{round(expected, 2):g} 分" in chat.text and "✅ 通过" in chat.text
    wrong = {e.question_id for e in await app.storage.reviews.wrong_entries(chat.user)}
    assert wrong == {paper[partial_pos].qid, paper[wrong_sub_pos].qid}
    await chat.press("查看错题")
    assert "错题回顾 1/2" in chat.text and "【解析】" in chat.text
