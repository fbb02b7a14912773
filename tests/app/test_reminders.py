"""/remind, the daily question arriving in the console session, and /broadcast, as transcripts."""

from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bot.channels.console.adapter import ConsoleSender
from bot.clock import ManualClock
from bot.domain.models import QType
from bot.runner import drain_once
from bot.scheduler.wiring import build_scheduler
from tests.support.sql import sql_one
from tests.support.transcript import Chat, make_app

SH = ZoneInfo("Asia/Shanghai")


def at(h, mi=0, d=2) -> float:
    return datetime(2026, 3, d, h, mi, tzinfo=SH).timestamp()


@pytest.fixture
async def app(tmp_path):
    application = await make_app(tmp_path, ManualClock(at(7, 0)), scheduler={"broadcast_admins": ["cli:boss"]})
    yield application
    await application.close()


async def test_remind_opt_in_choose_time_opt_out(app):
    chat = Chat(app)
    text = await chat.say("/remind")
    assert "每日一练提醒：未开启" in text and "08:00" in text and "22:00–07:00" in text
    assert "20:00" in chat.labels()
    text = await chat.press("20:00")
    assert "已开启" in text and "每天 20:00（Asia/Shanghai）" in text
    assert "🔕 关闭提醒" in chat.labels()
    text = await chat.say("/remind 23:30")
    assert "免打扰时段" in text
    assert (await app.storage.reminders.get_reminder(chat.user)).minute == 20 * 60
    text = await chat.say("/remind 6：45 Asia/Urumqi")
    assert "免打扰" in text  # 06:45 is inside 22:00–07:00 too
    text = await chat.say("/remind 07:15 Asia/Urumqi")
    assert "每天 07:15（Asia/Urumqi）" in text
    for odd in ("/remind 25:99", "/remind 明天"):  # refused while on: the buttons still say it is on
        assert "用法" in await chat.say(odd) and "每日一练提醒：已开启" in chat.text
        assert "🔕 关闭提醒" in chat.labels() and "🔔 开启提醒" not in chat.labels()
    text = await chat.say("/remind off")
    assert "已关闭" in text and not (await app.storage.reminders.get_reminder(chat.user)).enabled
    for odd in ("/remind 25:00", "/remind Mars/Base", "/remind 🙂", "/remind " + "x" * 300):
        assert "用法" in await chat.say(odd)
    for forged in ("r:t:99999", "r:t:-1", "r:zz", "r:q:nope:1", "r:q:" + "9" * 40):
        text = await chat.act(forged)
        assert "失效" in text or "下线" in text
    assert "每日一练" in await chat.say("提醒")


async def test_console_user_receives_and_answers_the_daily_question(app):
    chat = Chat(app)
    await chat.say("/remind 08:00")
    table = build_scheduler(app).table
    senders = {"cli": ConsoleSender(chat.channel)}
    app.clock.t = at(7, 59)
    await table.run_due()
    assert await drain_once(app, senders) == 0
    app.clock.t = at(8, 0)
    await table.run_due()
    before = len(chat.lines)
    assert await drain_once(app, senders) == 1
    shown = "\n".join(chat.lines[before:])
    assert "📅 每日一练（2026-03-02）" in shown
    assert await drain_once(app, senders) == 0  # once
    # the buttons are on screen: answer it with one tap
    payload = await sql_one(app.storage, "SELECT payload FROM outbox WHERE dedupe_key = ?",
                                     (f"daily:2026-03-02:{chat.user}",))
    qid = json.loads(payload[0])["choices"][0][0][1].split(":")[2]
    question = app.catalog.questions[qid]
    assert question.type is not QType.MULTIPLE
    right = min(question.answer)
    button = next(c for c in chat.channel.choices if c.action == f"r:q:{qid}:{right}")
    text = await chat.act(button.action)
    assert "回答正确" in text or "✅" in text
    logged = await sql_one(app.storage, "SELECT correct FROM answer_log WHERE user_key = ? AND question_id = ?",
                                    (chat.user, qid))
    assert logged == (1,)
    # the next tick the same day queues nothing; another user on their own terminal is unaffected
    app.clock.t = at(8, 5)
    await table.run_due()
    assert await drain_once(app, senders) == 0


async def test_broadcast_preview_confirm_progress_cancel(app):
    users = [Chat(app, f"u{i}") for i in range(4)]
    for user in users:
        await user.say("/start")
    boss = Chat(app, "boss")
    text = await boss.say("/broadcast 本周五下午三点举行学法考试，请准时参加。")
    assert "发送对象：全部用户，共 5 人" in text and "本周五下午三点" in text
    text = await boss.press("确认发送")
    assert "已排队 5 条" in text
    campaign = (await app.storage.campaigns.recent_campaigns("broadcast"))[0]
    text = await boss.press("查看进度")
    assert f"广播 #{campaign.id}：已发送 0，待发送 5，失败 0" in text
    sent = await drain_once(app, {"cli": ConsoleSender(users[0].channel)})
    assert sent == 1 and "本周五下午三点" in users[0].lines[-1]
    text = await boss.press("停止发送")
    assert "4 条不再发送" in text
    text = await boss.say(f"/broadcast status {campaign.id}")
    assert "已发送 1" in text and "已停止 4" in text
    assert await drain_once(app, {"cli": ConsoleSender(users[1].channel)}) == 0
    # a confirmed preview cannot be sent twice (the button is stale)
    assert "已经作答" in await boss.act("b:ok:1") or "失效" in await boss.act("b:ok:1")


async def test_broadcast_sub_commands_and_free_text_are_not_confused(app):
    boss = Chat(app, "boss")
    for odd in ("/broadcast status abc", "/broadcast cancel 本周", "/broadcast stauts 3", "/broadcast STOP x"):
        text = await boss.say(odd)
        assert text.startswith("📣 广播：发送 /broadcast") and "广播预览" not in text, odd
        assert not any(c.action.startswith("b:ok") for c in boss.channel.choices), odd
    assert await app.storage.campaigns.recent_campaigns("broadcast") == []
    text = await boss.say("/broadcast send status 页面今晚维护")
    assert "发送对象：全部用户，共 1 人" in text and "\n\nstatus 页面今晚维护\n\n" in text
    assert "确认发送" in text and "✅ 确认发送" in boss.labels()
    long = "通知" + "。" * 3000
    text = await boss.say("/broadcast " + long)
    assert long in text and "内容（3002 字，全文如下）" in text
    assert "将于" not in text and (await boss.press("放弃")) == "已放弃这条广播。"


async def test_broadcast_is_for_admins_only_and_waits_for_quiet_hours_to_end(app):
    stranger = Chat(app, "nobody")
    assert "只有管理员" in await stranger.say("/broadcast 你好")
    assert "只有管理员" in await stranger.act("b:ok:1")
    boss = Chat(app, "boss")
    app.clock.t = at(23, 0)
    await boss.say("/broadcast 明天停水")
    text = await boss.press("确认发送")
    assert "将于 07:00 开始发送" in text
    row = await sql_one(app.storage, "SELECT next_try_at FROM outbox WHERE user_key = 'cli:boss'")
    assert row[0] == at(7, 0, d=3)
    assert "广播" in await boss.say("/broadcast")
    assert "没有编号" in await boss.say("/broadcast status 999")
