"""答题PK transcripts through the console channel: two console users in one test (the other
player hears through the outbox), the robot after 30 s, timeouts, leaving, rematch, points."""

from __future__ import annotations

import pytest

from bot.app.messages import Choice, Reply
from bot.domain import pk as rules
from bot.domain.models import LETTERS, QType
from bot.runner import drain_outbox, sweep_pk
from tests.support.sql import sql_all
from tests.support.transcript import Chat


class Pushes:
    """The console outbox sender for several console users: shows each pushed message on its
    user's terminal, and keeps the texts per user."""

    def __init__(self, *chats: Chat):
        self.chats = {c.user: c for c in chats}
        self.texts: dict[str, list[str]] = {c.user: [] for c in chats}

    async def send(self, user: str, payload: dict) -> bool:
        chat = self.chats[user]
        choices = [[Choice(label, action) for label, action in row] for row in payload.get("choices", [])]
        chat.channel.show([Reply(payload["text"], choices)])
        self.texts[user].append(payload["text"])
        return True

    async def drain(self, app) -> dict[str, str]:
        """Deliver what is due; what each user received this time, joined."""
        before = {u: len(t) for u, t in self.texts.items()}
        await drain_outbox(app, "cli", self)
        return {u: "\n".join(t[before[u]:]) for u, t in self.texts.items()}


async def _match(app, chat: Chat):
    match_id = await app.storage.pk.active_match_of(chat.user) or await app.storage.pk.last_match_of(chat.user)
    return await app.storage.pk.get_match(match_id)


async def _typed(app, chat: Chat, right: bool) -> str:
    """What to type for the current question of the user's match: its right or a wrong answer."""
    match = await _match(app, chat)
    q = app.catalog.questions[match.questions[match.pos]]
    index = min(q.answer) if right else next(i for i in range(q.option_count) if i not in q.answer)
    if q.type is QType.JUDGE:
        return "对" if index == 0 else "错"
    return LETTERS[index]


async def _press_answer(app, chat: Chat, right: bool) -> str:
    """Press the answer button (not typed) for the current question."""
    match = await _match(app, chat)
    q = app.catalog.questions[match.questions[match.pos]]
    index = min(q.answer) if right else next(i for i in range(q.option_count) if i not in q.answer)
    return await chat.act(f"v:a:{match.id}:{match.pos}:{index}")


@pytest.fixture
def alice(app) -> Chat:
    return Chat(app, "alice")


@pytest.fixture
def bob(app) -> Chat:
    return Chat(app, "bob")


async def _pair(app, alice, bob, pushes):
    assert "正在为你匹配对手" in await alice.say("/pk")
    text = await bob.say("/pk")
    assert "匹配成功" in text and "一位学友" in text and "第 1/5 题" in text and "限时 20 秒" in text
    got = await pushes.drain(app)
    assert "匹配成功" in got[alice.user] and "第 1/5 题" in got[alice.user]
    a, b = await _match(app, alice), await _match(app, bob)
    assert a.id == b.id and a.robot is None  # the same match, the same questions, no robot
    return a


async def test_two_console_users_play_a_match_and_hear_each_other_through_the_outbox(app, alice, bob, clock):
    pushes = Pushes(alice, bob)
    match = await _pair(app, alice, bob, pushes)
    for k in range(1, 6):
        clock.advance(2)
        text = await alice.say(await _typed(app, alice, right=True))  # alice types her answers
        assert "答对了" in text and "等待对手作答" in text
        assert f"对手已作答第 {k} 题" in (await pushes.drain(app))[bob.user]
        clock.advance(3)
        text = await _press_answer(app, bob, right=False)  # bob presses buttons, always wrong
        assert f"第 {k} 题：你 ❌ 5.0 秒 · 对手 ✅ 2.0 秒" in text
        alice_got = (await pushes.drain(app))[alice.user]
        assert f"第 {k} 题：你 ✅ 2.0 秒 · 对手 ❌ 5.0 秒" in alice_got
        if k < 5:
            assert f"第 {k + 1}/5 题" in text and f"第 {k + 1}/5 题" in alice_got
    assert "你输了" in bob.text and "比分：你 答对 0/5（25.0 秒） · 对手 答对 5/5（10.0 秒）" in bob.text
    assert "答案与解析" in bob.text and "再来一局" in bob.labels()
    assert "你赢了" in alice_got and "获胜积分 +5" in alice_got and "答案与解析" in alice_got
    first = app.catalog.questions[match.questions[0]]
    assert first.explanation in alice_got  # explanations of the questions played
    done = await app.storage.pk.get_match(match.id)
    assert (done.status, done.winner) == ("done", alice.user)
    assert await sql_all(app.storage, "SELECT user_key FROM activity_log WHERE kind = 'pk_win'") == [(alice.user,)]
    assert "答题PK 5/15" in await alice.say("/me")
    assert "答题PK 0/15" in await bob.say("/me")


async def test_the_robot_plays_after_30_seconds_with_accuracy_from_real_answers(app, alice, clock):
    pool = [q for q in app.catalog.question_list if q.type in (QType.SINGLE, QType.JUDGE) and not q.parent]
    # everyone got every question wrong so far: the robot is right only 10 % of the time
    await app.storage.practice.log_answers([(f"cli:p{i}", q.id, 0, 6000, "practice", None, clock.now())
                                            for q in pool for i in range(rules.MIN_ANSWERS)])
    pushes = Pushes(alice)
    await alice.say("/pk")
    clock.advance(29)
    assert await sweep_pk(app) == 0  # still waiting for a person
    clock.advance(2)
    assert await sweep_pk(app) == 1
    got = (await pushes.drain(app))[alice.user]
    assert "法治小助手（机器人）" in got and "第 1/5 题" in got
    match = await _match(app, alice)
    assert len(match.robot) == 5 and sum(1 for right, _ms, _c in match.robot if right) <= 2  # P(≥ 3 of 5) < 1 %
    assert all(4_200 <= ms <= 7_800 for _r, ms, _c in match.robot)  # around people's 6 s, ±30 %
    for k in range(1, 6):
        clock.advance(1)
        text = await alice.say(await _typed(app, alice, right=True))
        assert f"第 {k} 题：你 ✅ 1.0 秒 · 对手" in text  # the robot's answer comes at once
    assert "你赢了" in alice.text and "获胜积分 +5" in alice.text
    assert (await pushes.drain(app))[alice.user] == ""  # everything came as replies


async def test_a_dropped_player_times_out_and_nothing_hangs(app, alice, bob, clock):
    pushes = Pushes(alice, bob)
    await _pair(app, alice, bob, pushes)
    clock.advance(4)
    await alice.say(await _typed(app, alice, right=True))
    await pushes.drain(app)
    clock.advance(17)  # 21 s after the question: bob never answered
    assert await sweep_pk(app) == 1
    got = await pushes.drain(app)
    assert "第 1 题：你 ⌛ 超时 · 对手 ✅ 4.0 秒" in got[bob.user] and "第 2/5 题" in got[bob.user]
    assert "第 1 题：你 ✅ 4.0 秒 · 对手 ⌛ 超时" in got[alice.user] and "第 2/5 题" in got[alice.user]
    stale = (await _match(app, alice)).id
    assert "已经作答过了" in await bob.act(f"v:a:{stale}:0:0")  # question 1 is closed
    for _ in range(4):  # both gone: the sweeper still takes the match to its end
        clock.advance(21)
        assert await sweep_pk(app) == 1
    assert await sweep_pk(app) == 0
    got = await pushes.drain(app)
    assert "你赢了" in got[alice.user] and "你输了" in got[bob.user]
    assert await app.storage.pk.active_match_of(alice.user) is None


async def test_a_player_who_answers_after_the_deadline_before_the_sweep_counts_as_timed_out(app, alice, bob, clock):
    pushes = Pushes(alice, bob)
    await _pair(app, alice, bob, pushes)
    clock.advance(25)
    text = await alice.say(await _typed(app, alice, right=True))
    assert "第 1 题已超时" in text and "第 2/5 题" in text
    assert "第 2/5 题" in (await pushes.drain(app))[bob.user]


async def test_leaving_loses_and_the_other_player_is_told(app, alice, bob, clock):
    pushes = Pushes(alice, bob)
    await _pair(app, alice, bob, pushes)
    assert "本局判负" in await bob.press("认输退出")
    got = (await pushes.drain(app))[alice.user]
    assert "对手已退出" in got and "你获胜" in got and "获胜积分 +5" in got
    assert "已经结束" in await _press_answer(app, alice, right=True)


async def test_rematch_offered_through_the_outbox_and_accepted(app, alice, bob, clock):
    pushes = Pushes(alice, bob)
    first = await _pair(app, alice, bob, pushes)
    await bob.say("/cancel")  # leaving by /cancel (退出) works too
    await pushes.drain(app)
    assert "已邀请对手再来一局" in await alice.press("再来一局")
    got = (await pushes.drain(app))[bob.user]
    assert "对手邀请你再来一局" in got
    text = await bob.press("接受再来一局")
    assert "匹配成功" in text and "第 1/5 题" in text
    assert "第 1/5 题" in (await pushes.drain(app))[alice.user]
    second = await _match(app, alice)
    assert second.id != first.id and second.status == "active" and {p.user for p in second.players} == {alice.user, bob.user}


async def test_win_points_stop_at_the_daily_cap(app, alice, clock):
    pool = [q for q in app.catalog.question_list if q.type in (QType.SINGLE, QType.JUDGE) and not q.parent]
    await app.storage.practice.log_answers([(f"cli:p{i}", q.id, 0, 9000, "practice", None, clock.now())
                                            for q in pool for i in range(rules.MIN_ANSWERS)])
    earned = []
    for _ in range(4):
        await alice.say("/pk")
        clock.advance(31)
        await sweep_pk(app)
        for _ in range(5):
            clock.advance(1)
            await alice.say(await _typed(app, alice, right=True))
        assert "你赢了" in alice.text
        earned.append("+5" in alice.text)
    assert earned == [True, True, True, False] and "已达上限" in alice.text
    assert "答题PK 15/15" in await alice.say("/me")


async def test_a_waiting_player_can_cancel_and_nobody_is_paired_twice(app, alice, bob, clock):
    carol = Chat(app, "carol")
    assert "正在为你匹配对手" in await alice.say("/pk")
    assert "仍在匹配对手" in await alice.say("/pk")
    assert "已取消匹配" in await alice.press("取消匹配")
    assert "正在为你匹配对手" in await bob.say("/pk")
    assert "匹配成功" in await carol.say("/pk")
    assert "正在为你匹配对手" in await alice.say("/pk")  # bob is taken: alice waits
    assert await app.storage.pk.active_match_of(alice.user) is None


async def test_pk_is_on_the_main_menu_in_help_and_as_a_word(app, alice, bob):
    await alice.say("/start")
    assert "正在为你匹配对手" in await alice.press("答题PK")
    assert "/pk 答题PK" in await bob.say("/help")
    assert "匹配成功" in await bob.say("答题PK")


async def test_players_on_different_channels_meet_and_pushes_use_each_ones_channel(app, alice, clock):
    from bot.app.messages import Incoming

    await alice.say("/pk")
    replies = await app.service.handle(Incoming(user="wx:bob", text="/pk"))
    assert "匹配成功" in replies[0].text
    clock.advance(3)
    await alice.say(await _typed(app, alice, right=True))
    rows = await sql_all(app.storage, "SELECT channel, user_key FROM outbox ORDER BY id")
    assert rows == [("cli", alice.user), ("wx", "wx:bob")]  # alice's first question; bob hears of her answer


async def test_a_match_survives_a_restart_of_the_bot(tmp_path, clock):
    from tests.support.transcript import make_app

    app = await make_app(tmp_path, clock)
    alice, bob = Chat(app, "alice"), Chat(app, "bob")
    await alice.say("/pk")
    await bob.say("/pk")
    clock.advance(2)
    await alice.say(await _typed(app, alice, right=True))
    await app.close()  # the process stops between alice's and bob's answers
    app = await make_app(tmp_path, clock)
    try:
        alice, bob = Chat(app, "alice"), Chat(app, "bob")
        pushes = Pushes(alice, bob)
        await pushes.drain(app)  # what was queued before the restart
        clock.advance(1)
        text = await bob.say(await _typed(app, bob, right=False))  # typed: session state was kept
        assert "第 1 题：你 ❌ 3.0 秒 · 对手 ✅ 2.0 秒" in text and "第 2/5 题" in text
        assert "第 2/5 题" in (await pushes.drain(app))[alice.user]
    finally:
        await app.close()
