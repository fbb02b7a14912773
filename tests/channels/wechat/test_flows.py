"""Practice and a mock exam over WeChat: signed (and encrypted) callbacks over loopback HTTP,
numbered replies, the numbered menu kept in the database."""

from __future__ import annotations

import pytest

from bot.channels.wechat.adapter import wechat_channels
from tests.channels.wechat.harness import serve
from tests.support.fake_wechat_api import FakeWeChatApi
from tests.support.wechat_peer import number_of, shows_menu

USER = "oUser_openid_000000000001"


@pytest.mark.parametrize("mode", ["plain", "safe", "wecom"])
async def test_practice_flow_with_numbered_replies(tmp_path, clock, mode):
    async with serve(tmp_path, clock, mode) as h:
        answer = await h.peer.say(USER, "练习")
        assert answer.status == 200, answer.body
        assert "学法练习" in answer.content and shows_menu(answer.content)
        assert "1. 📚 专项练习" in answer.content
        assert answer.reply["ToUserName"] == USER and answer.reply["MsgType"] == "text"
        answer = await h.peer.say(USER, number_of(answer.content, "专项练习"))
        assert "专项练习：请选择法律" in answer.content and "民法典" in answer.content
        answer = await h.peer.say(USER, number_of(answer.content, "民法典"))
        assert "第 1 题" in answer.content and "回复 1-3 选择" in answer.content
        answer = await h.peer.say(USER, "2")  # the second numbered choice: an answer option
        assert "回答正确" in answer.content or "回答错误" in answer.content
        assert "下一题" in answer.content
        prefix = "wecom" if mode == "wecom" else "wx"
        answers, _ = await h.app.storage.practice.answer_stats(f"{prefix}:{USER}")
        assert answers == 1
        answer = await h.peer.say(USER, "A")  # letters still work; no question on screen: not an answer
        assert answer.status == 200


async def test_numbered_menu_survives_a_restart(tmp_path, clock):
    async with serve(tmp_path, clock, "plain") as h:
        await h.peer.say(USER, "菜单")
        menu = await h.app.storage.sessions.get_menu(f"wx:{USER}")
        assert "x:l" in menu and "p:m" in menu
        h.channel.__init__(h.app, h.channel.platform)  # a fresh channel: nothing in process memory
        answer = await h.peer.say(USER, str(menu.index("x:l") + 1))
        assert "模拟考试：请选择试卷" in answer.content


async def test_out_of_range_numbers_and_odd_text_are_plain_text(tmp_path, clock):
    async with serve(tmp_path, clock, "safe") as h:
        await h.peer.say(USER, "菜单")
        for text in ("7", "0", "99999999999999999999", "😀", "]]><xml>"):
            answer = await h.peer.say(USER, text)
            assert answer.status == 200 and answer.content, text
            assert shows_menu(answer.content)  # the core answered with the menu


async def test_menu_click_event_is_an_action(tmp_path, clock):
    async with serve(tmp_path, clock, "plain") as h:
        answer = await h.peer.post(h.peer.click_xml(USER, "x:l"))
        assert "模拟考试：请选择试卷" in answer.content
        answer = await h.peer.post(h.peer.click_xml(USER, "forged:data", create_time=int(clock.now()) + 1))
        assert answer.status == 200 and "回复" in answer.content  # refused plainly, with the menu


async def _exam_letters(app, user: str, wrong: int) -> list[str]:
    """What to type for each question: the right answer, except for the first `wrong` ones."""
    from bot.domain.models import LETTERS, QType

    attempt = await app.storage.attempts.open_attempt_for(user)
    letters = []
    for pos, item in enumerate(attempt.paper):
        q = app.catalog.questions[item.qid]
        answer = q.answer if pos >= wrong else frozenset(
            {next(i for i in range(q.option_count) if i not in q.answer)})
        if q.type is QType.JUDGE:
            letters.append("对" if 0 in answer else "错")
        else:
            letters.append("".join(LETTERS[item.order.index(i)] for i in sorted(answer)))
    return letters


async def test_mock_exam_over_wechat_with_result_through_the_message_api(tmp_path, clock):
    api = FakeWeChatApi()
    await api.start()
    try:
        async with serve(tmp_path, clock, "safe", api_url=api.base_url) as h:
            answer = await h.peer.say(USER, "考试")
            assert "模拟考试：请选择试卷" in answer.content
            answer = await h.peer.say(USER, number_of(answer.content, "年度学法考法模拟考试"))
            assert "限时" in answer.content and "回复 1-2 选择" in answer.content
            answer = await h.peer.say(USER, number_of(answer.content, "开始考试"))
            assert "第 1/50 题" in answer.content
            letters = await _exam_letters(h.app, f"wx:{USER}", wrong=2)
            for pos, typed in enumerate(letters):
                assert f"第 {pos + 1}/50 题" in answer.content
                answer = await h.peer.say(USER, typed)
                clock.advance(10)
            answer = await h.peer.say(USER, number_of(answer.content, "交卷"))
            # the result may be long: the start is the passive reply, the rest arrives via the API
            await h.drain()
            delivered = "\n".join(text for to, text in api.sent if to == USER)
            everything = answer.content + "\n" + delivered
            assert "成绩" in everything and "答对 48/50 题" in everything
            # the attempt was graded once
            attempts = await h.app.storage.attempts.attempts_of(f"wx:{USER}")
            assert len(attempts) == 1 and attempts[0][2] == "submitted"
    finally:
        await api.stop()


async def test_exam_result_at_the_deadline_reaches_a_wecom_member(tmp_path, clock):
    from bot.runner import sweep_exams

    api = FakeWeChatApi()
    await api.start()
    try:
        async with serve(tmp_path, clock, "wecom", api_url=api.base_url) as h:
            member = "zhangsan"
            await h.peer.say(member, "/exam")
            answer = await h.peer.say(member, "1")  # the first paper
            answer = await h.peer.say(member, number_of(answer.content, "开始考试"))
            assert "第 1/" in answer.content
            clock.advance(46 * 60)
            assert await sweep_exams(h.app) == 1
            assert await h.drain() == 1
            (to, text), = api.sent
            assert to == member and "考试时间已到" in text
            # the result's choices are numbered, and the numbers work in the next message
            actions = await h.app.storage.sessions.get_menu(f"wecom:{member}")
            assert actions and "回复 1-" in text
    finally:
        await api.stop()


async def test_channels_are_built_only_when_enabled(tmp_path, clock):
    from tests.support.transcript import make_app

    app = await make_app(tmp_path, clock)
    try:
        assert wechat_channels(app) == []
    finally:
        await app.close()
