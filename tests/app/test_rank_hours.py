"""Leaderboards (/rank: masking, opt-out, admin full names) and 学时 (/me with the idle cutoff,
the 学时 prerequisite of an official exam), through the console channel."""

from __future__ import annotations

import copy
import random
from dataclasses import replace

import pytest

from bot.bootstrap import build, load_checked_catalog
from bot.cli import main as cli
from bot.clock import ManualClock
from bot.domain.models import Prerequisite
from tests.app.test_practice import _right_letter
from tests.support.transcript import REPO, Chat, config_for

EXAM = "xuefa2026-shili"
JAN_1 = 1_767_225_600.0  # 2026-01-01T00:00Z, a Thursday (08:00 in Beijing); the exam window is open


@pytest.fixture
def imported(tmp_path):
    assert cli(["units", "import", str(REPO / "content/org/units.yaml"), "--data-dir", str(tmp_path)]) == 0
    assert cli(["roster", "import", str(REPO / "content/org/roster.csv"), "--data-dir", str(tmp_path)]) == 0
    return tmp_path


async def _app(path, clock, catalog=None):
    config = config_for(path, admin={"super_admins": ["cli:admin"]})
    return await build(config, clock=clock, rng=random.Random(5), database=path / "lawbot.sqlite3",
                       catalog=catalog or load_checked_catalog(REPO))


async def _practice(app, chat, n):
    await chat.say("/practice")
    await chat.press("随机练习")
    for _ in range(n):
        await chat.say(await _right_letter(app, chat))
        await chat.press("下一题")


async def test_rank_masks_others_honours_opt_out_and_shows_admins_full_names(imported):
    clock = ManualClock(JAN_1)
    app = await _app(imported, clock)
    try:
        admin, alice, bob, dave = Chat(app, "admin"), Chat(app, "alice"), Chat(app, "bob"), Chat(app, "dave")
        ua, ub = Chat(app, "ua"), Chat(app, "ub")
        await alice.say("/bind SL0001 示例甲")
        await bob.say("/bind SL0002 示例乙")
        await dave.say("/bind SL0005 示例戊")
        await admin.say("/admin add cli:ua shili-sfj")
        await admin.say("/admin add cli:ub shili-gaj")
        await _practice(app, alice, 3)
        await _practice(app, bob, 1)

        await bob.say("/rank")
        text = bob.text
        assert "排行榜 · 本周 · 单位按参学率排名" in text
        # 司法局: 4 on the roster, 2 studied; 公安局: 2 on the roster, nobody studied
        assert "1. 示例市司法局：参学率 50.0%｜平均分 —｜人均积分 1.0 ← 本单位" in text
        assert "2. 示例市公安局：参学率 0.0%" in text
        assert "【示例市司法局办公室】个人排名（2 人）" in text
        assert "1. 示*甲  3 分" in text and "2. 示例乙  1 分" in text and "← 我" in text
        assert "示例甲" not in text  # another person's name is masked
        assert "/rank off" in text

        await bob.press("本年")
        assert "排行榜 · 本年" in bob.text and "1. 示*甲  3 分" in bob.text
        await bob.press("人均积分")
        assert "单位按人均积分排名" in bob.text and "1. 示例市司法局" in bob.text

        await alice.say("/rank off")
        assert "不出现在排行榜上" in alice.text
        await bob.say("/rank")
        assert "示*甲" not in bob.text and "1. 示例乙  1 分" in bob.text and "个人排名（1 人）" in bob.text
        await alice.say("/rank")
        assert "你已选择不出现在排行榜上" in alice.text

        await ua.say("/rank shili-sfj-bgs")  # the admin of 司法局 sees full names there, opted-out marked
        assert "1. 示例甲  3 分 · 0.0 学时（已选择不公开）" in ua.text and "2. 示例乙  1 分" in ua.text
        assert "全名" in ua.text
        await ub.say("/rank shili-sfj-bgs")  # the admin of 公安局 does not
        assert ub.text == "只能查看本单位或你所管理单位的排名。"
        await dave.say("/rank shili-sfj-bgs")
        assert "只能查看本单位" in dave.text
        await ub.say("/rank shili-gaj")
        assert "【示例市公安局】个人排名（2 人）" in ub.text and "1. 示例戊  0 分" in ub.text and "1. 示例己  0 分" in ub.text

        await alice.say("/rank on")
        await bob.say("/rank")
        assert "1. 示*甲  3 分" in bob.text
        assert "你尚未绑定身份" in await Chat(app, "stranger").say("/rank off")
        assert "绑定身份后可查看本单位个人排名" in await Chat(app, "stranger").say("/rank")
    finally:
        await app.close()


async def test_me_shows_study_hours_with_the_idle_cutoff(tmp_path):
    clock = ManualClock(JAN_1)
    app = await _app(tmp_path, clock)
    try:
        chat = Chat(app, "learner")
        await chat.say("/practice")  # the first study action counts nothing
        clock.advance(10)
        await chat.press("随机练习")  # +10 s
        clock.advance(240)
        await chat.say(await _right_letter(app, chat))  # +240 s
        clock.advance(2000)  # walked away: the gap counts as the 300 s cutoff
        await chat.press("下一题")
        clock.advance(100)
        await chat.say("/me")  # looking at /me is not study
        assert "学时：今日 0.1（9 分钟）· 本周 0.1 · 本年 0.1" in chat.text
        clock.advance(100)
        await chat.say("/rank")
        await chat.say("/me")
        assert "学时：今日 0.1（9 分钟）" in chat.text

        clock.advance(86_400)  # Friday, same week
        await chat.say(await _right_letter(app, chat))  # +300 s (cutoff), on Friday
        await chat.say("/me")
        assert "学时：今日 0.0（5 分钟）· 本周 0.2 · 本年 0.2" in chat.text
        clock.advance(4 * 86_400)  # next Wednesday: a new week, same year
        await chat.say("/me")
        assert "学时：今日 0.0（0 分钟）· 本周 0.0 · 本年 0.2" in chat.text
    finally:
        await app.close()


async def test_study_hours_prerequisite_says_how_many_are_missing(imported):
    catalog = copy.copy(load_checked_catalog(REPO))
    catalog.exams = dict(catalog.exams)
    exam = catalog.exams[EXAM]
    catalog.exams[EXAM] = replace(exam, official=replace(exam.official, prerequisite=Prerequisite(study_hours=1)))
    clock = ManualClock(JAN_1)
    app = await _app(imported, clock, catalog)
    try:
        alice = Chat(app, "alice")
        await alice.say("/bind SL0001 示例甲")
        await alice.act(f"x:go:{EXAM}")
        assert "需先完成学习：学时 0/1（还差 1 学时）" in alice.text
        for _ in range(6):
            clock.advance(300)
            await alice.say("/law 民法典 1254")
        await alice.act(f"x:go:{EXAM}")
        assert "学时 0.5/1（还差 0.5 学时）" in alice.text
        await alice.say("/me")
        assert "学时 0.5/1（还差 0.5 学时） ⏳ 未满足" in alice.text
        for _ in range(6):
            clock.advance(300)
            await alice.say("/law 民法典 1254")
        await alice.act(f"x:go:{EXAM}")
        assert "需先完成学习" not in alice.text
        assert await app.storage.attempts.open_attempt_for("cli:alice") is not None
    finally:
        await app.close()


async def test_help_lists_rank_in_both_languages(tmp_path):
    app = await _app(tmp_path, ManualClock(JAN_1))
    try:
        alice = Chat(app, "alice")
        await alice.say("/help")
        assert "\n/rank 排行榜（/rank off 不在榜上显示自己）\n" in alice.text
        await alice.say("/lang")
        await alice.say("/help")
        assert "\n/rank leaderboards (/rank off keeps you off them)\n" in alice.text
    finally:
        await app.close()
