"""Issue 4 end to end, as an admin would try it: import units and roster on the command line,
open the official exam in chat, two console users register and sit it, then /stats, a chart
and the workbook are checked. Plus role checks for every admin command, the window, the
prerequisite and the 补考 makeup."""

from __future__ import annotations

import io
import random
import re

import pytest
from openpyxl import load_workbook

from bot.app.messages import Incoming
from bot.bootstrap import build, load_checked_catalog, own_catalog
from bot.cli import main as cli
from bot.clock import ManualClock
from tests.app.test_exam import _attempt, _display_letters
from tests.app.test_practice import _right_letter
from tests.support.sql import sql_one
from tests.support.templates import migrated_sqlite
from tests.support.transcript import REPO, Chat, config_for

EXAM = "xuefa2026-shili"
JAN_17 = 1_768_608_000.0  # 2026-01-17T00:00Z: the YAML window has closed, the makeup not open yet
PNG = b"\x89PNG"


@pytest.fixture
def imported(tmp_path):
    """The shipped example tree and roster, imported with the CLI like an admin would (into a
    database already at the newest schema revision: building one from nothing is tested in
    tests/storage and tests/test_cli_admin_output.py)."""
    migrated_sqlite(tmp_path / "lawbot.sqlite3")
    assert cli(["units", "import", str(REPO / "content/org/units.yaml"), "--data-dir", str(tmp_path)]) == 0
    assert cli(["roster", "import", str(REPO / "content/org/roster.csv"), "--data-dir", str(tmp_path)]) == 0
    return tmp_path


@pytest.fixture
async def org_app(imported):
    clock = ManualClock(JAN_17)
    config = config_for(imported, admin={"super_admins": ["cli:admin"]})
    application = await build(config, clock=clock, rng=random.Random(3), database=imported / "lawbot.sqlite3",
                              catalog=own_catalog(load_checked_catalog(REPO)))
    yield application
    await application.close()


async def _practice(app, chat, n):
    await chat.say("/practice")
    await chat.press("随机练习")
    for _ in range(n):
        await chat.say(await _right_letter(app, chat))
        await chat.press("下一题")


async def _sit(app, chat, right: bool):
    await chat.say("/exam")
    await chat.press("【正式】")
    assert "考试时间" in chat.text
    await chat.press("开始考试")
    attempt = await _attempt(app, chat)
    assert len(attempt.paper) == 25
    for pos in range(len(attempt.paper)):
        await chat.say(_display_letters(app, attempt, pos, right=right))
    await chat.press("交卷")
    return attempt


async def test_admin_imports_opens_two_users_register_sit_and_stats_are_right(org_app):
    app = org_app
    admin, alice, bob = Chat(app, "admin"), Chat(app, "alice"), Chat(app, "bob")

    # residents use the bot without registering; the official exam asks them to /bind
    await alice.act(f"x:i:{EXAM}")
    assert "/bind" in alice.text and "开始考试" not in " ".join(alice.labels())

    await alice.say("/bind SL0001 示例乙")  # wrong name
    assert "未能绑定" in alice.text
    await alice.say("/bind SL0001 示例甲")
    assert "绑定成功：示例甲（示例市司法局办公室）" in alice.text
    await admin.say("/code SL0005")
    code = re.search(r"绑定码：([A-Z0-9]{8})", admin.text).group(1)
    await bob.say("/bind")
    await bob.say(code)
    assert "绑定成功：示例戊（示例市公安局）" in bob.text
    assert "未能绑定" in await Chat(app, "mallory").say(f"/bind {code}")  # a code works once

    # the window has closed: no attempt even for a registered person with study done
    await _practice(app, alice, 5)
    await alice.act(f"x:go:{EXAM}")
    assert "当前不在考试时间内" in alice.text

    await admin.say(f"/exam_open {EXAM} 7")
    assert "已开考" in admin.text

    await _practice(app, bob, 2)  # the prerequisite is 5 points
    await bob.act(f"x:go:{EXAM}")
    assert "需先完成学习：学习积分 2/5" in bob.text
    await bob.say("/me")
    assert "学习积分 2 分" in bob.text and "学习积分 2/5 ⏳ 未满足" in bob.text
    await _practice(app, bob, 3)

    await alice.say("/exam")  # official and mock exams are told apart
    assert not alice.text.startswith("模拟考试") and "正式考试" in alice.text and "模拟考试" in alice.text
    await _sit(app, alice, right=True)
    assert "成绩：100 分" in alice.text and "✅ 通过" in alice.text
    await _sit(app, bob, right=False)
    assert "成绩：0 分" in bob.text and "❌ 未通过" in bob.text

    await alice.say("/me")
    assert "正式考试参加 1 场，通过 1 场" in alice.text and "连续学习 1 天" in alice.text

    await admin.say("/stats")
    text = admin.text
    assert "《2026年度学法考法正式考试（示例）》统计 · 示例市" in text
    assert "应考 10 人 · 已注册 2（20.0%）" in text
    assert "参学 2 人，参学率 20.0%" in text and "参考 2 人，参考率 20.0%" in text
    assert "通过 1 人，通过率 50.0%（占应考 10.0%）" in text
    assert "平均分 50.0 · 中位数 50.0" in text
    assert "示例市西县：应考 0｜参学 —" in text  # a unit with no roster shows no rate
    await admin.press("示例市司法局")  # drill down
    assert "统计 · 示例市司法局" in admin.text and "示例市司法局办公室：应考 2" in admin.text

    await admin.press("各单位比率图")
    image = admin.last[0].attachment
    assert image.kind == "image" and image.data.startswith(PNG)
    await admin.press("比率趋势图")  # no nightly snapshot yet: the chart has today's live point
    image = admin.last[0].attachment
    assert image is not None and image.data.startswith(PNG)

    replies = await app.service.handle(Incoming(user="cli:admin", text="/export", private=False))
    assert "私聊" in replies[0].text and replies[0].attachment is None
    await admin.say("/export")
    document = admin.last[0].attachment
    assert document.filename == f"stats-{EXAM}-shili.xlsx"
    book = load_workbook(io.BytesIO(document.data))
    assert book.sheetnames == ["单位汇总", "人员成绩", "试题分析", "公平性提示"]
    summary = book["单位汇总"]
    assert summary["A1"].value == "2026年度学法考法正式考试（示例） · 示例市"
    assert [c.value for c in summary[2]] == ["排名", "单位", "应考人数", "已注册", "参学", "参考", "通过", "参学率",
                                             "参考率", "通过率", "通过率（占应考）", "平均分", "中位数"]
    assert summary["A2"].font.bold
    last = summary.max_row
    assert [c.value for c in summary[last]] == ["合计", "示例市", 10, 2, 2, 2, 1, 0.2, 0.2, 0.5, 0.1, 50, 50]
    assert summary.cell(last, 8).number_format == "0.0%"
    assert summary.column_dimensions["B"].width == 26
    people = {row[0].value: [c.value for c in row] for row in book["人员成绩"].iter_rows(min_row=2)}
    assert people["SL0001"] == ["SL0001", "示例甲", "示例市司法局办公室", "公务员", "是", 5, "是", 0.0, 1, 100, "是"]
    assert people["SL0005"][-2:] == [0, "否"] and people["SL0002"][4] == "否" and people["SL0002"][-2] is None
    items = list(book["试题分析"].iter_rows(min_row=2, values_only=True))
    assert items and all(row[3] >= 1 for row in items)

    # not-yet list for chasing, and item analysis
    await admin.say("/stats")
    await admin.press("未参学/未参考名单")
    assert "未参学 8 人" in admin.text and "示例乙(SL0002·示例市司法局办公室)" in admin.text
    await admin.say("/stats")
    await admin.press("试题分析")
    assert "试题分析（共" in admin.text


async def test_makeup_window_only_for_those_who_failed(org_app, monkeypatch):
    app = org_app
    admin, alice, bob = Chat(app, "admin"), Chat(app, "alice"), Chat(app, "bob")
    await alice.say("/bind SL0001 示例甲")
    await bob.say("/bind SL0005 示例戊")
    for chat in (alice, bob):
        await _practice(app, chat, 5)
    await admin.say(f"/exam_open {EXAM} 1")
    await _sit(app, alice, right=True)
    await _sit(app, bob, right=False)
    await admin.say(f"/exam_close {EXAM}")
    await bob.act(f"x:go:{EXAM}")
    assert "当前不在考试时间内" in bob.text
    await admin.say(f"/makeup_open {EXAM} 3")
    assert "补考已开放" in admin.text
    await alice.act(f"x:go:{EXAM}")
    assert "您已通过" in alice.text
    attempt = await _sit(app, bob, right=True)
    row = await sql_one(app.storage, "SELECT roster_id, unit_id, phase, kind FROM attempts WHERE id = ?", (attempt.id,))
    assert row[1:] == ("shili-gaj", "makeup", "official")
    await bob.act(f"x:go:{EXAM}")
    assert "您已通过" in bob.text  # passed in the makeup
    await admin.say("/stats")
    assert "通过 2 人，通过率 100.0%" in admin.text  # best of regular and makeup


async def test_moving_the_main_window_moves_the_makeup_after_it_and_says_so(org_app):
    app = org_app
    admin, alice = Chat(app, "admin"), Chat(app, "alice")
    await alice.say("/bind SL0001 示例甲")
    app.clock.t = JAN_17 + 311 * 86_400  # 2026-11-24
    await admin.say(f"/exam_open {EXAM} 7")
    assert "已开考：2026-11-24 08:00 至 2026-12-01 08:00" in admin.text
    # the YAML makeup (2026-01-20 … 02-01) would come first: it moves, as far after the close and as long (11 days 16 hours)
    assert "补考时间随之顺延为：2026-12-05 16:00 至 2026-12-17 08:00" in admin.text
    await alice.act(f"x:i:{EXAM}")
    assert "补考时间：2026-12-05 16:00 至 2026-12-17 08:00" in alice.text and "2026-01-20" not in alice.text
    await admin.say(f"/makeup_open {EXAM} 3")  # a makeup during the main window is refused
    assert "还在进行（至 2026-12-01 08:00）" in admin.text and "/exam_close" in admin.text
    await admin.say(f"/exam_open {EXAM} 2")  # the makeup is already after the new window: kept
    assert "补考时间不变：2026-12-05 16:00 至 2026-12-17 08:00" in admin.text
    await admin.say(f"/exam_close {EXAM}")
    await admin.say(f"/makeup_open {EXAM} 3")
    assert "补考已开放：2026-11-24 08:00 至 2026-11-27 08:00" in admin.text


async def test_info_page_after_all_attempts_has_no_rules_of_sitting(org_app):
    admin, alice = Chat(org_app, "admin"), Chat(org_app, "alice")
    await alice.say("/bind SL0001 示例甲")
    await _practice(org_app, alice, 5)
    await admin.say(f"/exam_open {EXAM} 1")
    await alice.act(f"x:i:{EXAM}")
    assert "交卷前可以前后翻题" in alice.text and "▶ 开始考试" in alice.labels()
    await _sit(org_app, alice, right=False)
    await _sit(org_app, alice, right=False)  # attempts_allowed: 2
    await alice.act(f"x:i:{EXAM}")
    assert "考试次数已用完" in alice.text
    assert "交卷前可以前后翻题" not in alice.text and "▶ 开始考试" not in alice.labels()


async def test_makeup_offers_the_start_to_a_failed_person_whose_main_attempts_are_used(org_app):
    """The exam's page follows the start's rule: the 补考 has its own attempts (makeup.attempts: 1),
    so someone who failed both main-window attempts sees 开始考试 there and the count of the 补考."""
    admin, alice = Chat(org_app, "admin"), Chat(org_app, "alice")
    await alice.say("/bind SL0001 示例甲")
    await _practice(org_app, alice, 5)
    await admin.say(f"/exam_open {EXAM} 1")
    await _sit(org_app, alice, right=False)
    await _sit(org_app, alice, right=False)  # attempts_allowed: 2, both used
    await admin.say(f"/exam_close {EXAM}")
    await admin.say(f"/makeup_open {EXAM} 3")
    assert "补考已开放" in admin.text
    await alice.act(f"x:i:{EXAM}")
    assert "▶ 开始考试" in alice.labels(), alice.text
    assert "还可参加 1 次（共 1 次）" in alice.text and "考试次数已用完" not in alice.text
    await alice.press("开始考试")
    attempt = await _attempt(org_app, alice)
    row = await sql_one(org_app.storage, "SELECT phase FROM attempts WHERE id = ?", (attempt.id,))
    assert row == ("makeup",)
    for pos in range(len(attempt.paper)):
        await alice.say(_display_letters(org_app, attempt, pos, right=False))
    await alice.press("交卷")
    await alice.act(f"x:i:{EXAM}")  # the 补考's one attempt used: no start, the reason instead
    assert "▶ 开始考试" not in alice.labels() and "还可参加 0 次（共 1 次）" in alice.text


async def test_help_lists_the_commands_of_each_role(org_app):
    admin, unit_admin, user = Chat(org_app, "admin"), Chat(org_app, "ua"), Chat(org_app, "someone")
    await admin.say("/admin add cli:ua shili-sfj")
    admin_only = ("/stats", "/export", "/code", "/unbind", "/bank", "/upload", "/admin", "/exam_open",
                  "/exam_close", "/makeup_open", "/broadcast")
    text = await user.say("/help")
    assert "/practice" in text and "/law" in text and not [c for c in admin_only if c in text]
    text = await admin.say("/help")
    assert "管理员命令（全部单位）" in text and all(f"\n{c} " in text for c in admin_only)
    text = await unit_admin.say("/help")
    assert "管理员命令（示例市司法局）" in text
    assert all(f"\n{c} " in text for c in ("/stats", "/export", "/code", "/unbind", "/bank", "/broadcast"))
    assert not [c for c in ("/upload", "/admin", "/exam_open", "/exam_close", "/makeup_open") if c in text]
    assert all(line.startswith("/") for line in text.split("管理员命令")[1].split("\n\n")[0].splitlines()[1:])


async def test_stats_arguments_say_which_of_exam_or_unit_was_not_found(org_app):
    admin = Chat(org_app, "admin")
    await admin.say("/stats nonexist")
    assert "没有编号为 nonexist 的正式考试，也没有这个编号的单位" in admin.text and EXAM in admin.text
    await admin.say("/stats nonexist shili")
    assert admin.text.startswith("没有编号为 nonexist 的正式考试。")
    await admin.say(f"/stats {EXAM} nowhere")
    assert admin.text == "没有编号为 nowhere 的单位。"
    await admin.say("/stats kemu1")  # a mock exam has no statistics
    assert "没有编号为 kemu1 的正式考试" in admin.text
    await admin.say("/stats shili-sfj")  # one word that is a unit
    assert "统计 · 示例市司法局" in admin.text
    await admin.say(f"/stats {EXAM} shili-sfj")
    assert "统计 · 示例市司法局" in admin.text
    await admin.say(f"/stats {EXAM} shili-sfj extra")
    assert admin.text.startswith("用法：/stats")


ADMIN_COMMANDS = ["/admin", "/admin list", "/code SL0001", "/unbind SL0001", f"/exam_open {EXAM}",
                  f"/exam_close {EXAM}", f"/makeup_open {EXAM}", "/stats", "/export"]


@pytest.mark.parametrize("command", ADMIN_COMMANDS)
async def test_every_admin_command_refuses_a_non_admin(org_app, command):
    chat = Chat(org_app, "someone")
    await chat.say(command)
    assert chat.text.startswith("此功能仅限管理员使用")


@pytest.mark.parametrize("action", ["a:u:0:", "a:c:0:shili", "a:h:0:", "a:t:0:", "a:n:0:", "a:i:0:", "a:x:0:"])
async def test_every_admin_button_refuses_a_non_admin(org_app, action):
    chat = Chat(org_app, "someone")
    await chat.act(action)
    assert chat.text.startswith("此功能仅限管理员使用")
    assert (await Chat(org_app, "admin").act("a:u:9:")).startswith("这个按钮已失效")  # forged index


async def test_unit_admin_sees_only_their_units(org_app):
    admin, unit_admin = Chat(org_app, "admin"), Chat(org_app, "ua")
    await unit_admin.say("/admin add cli:x shili")
    assert "此功能仅限管理员" in unit_admin.text
    await admin.say("/admin add cli:ua shili-sfj")
    assert "已设置 cli:ua 为管理员（示例市司法局）" in admin.text
    await unit_admin.say("/stats")
    assert "统计 · 示例市司法局" in unit_admin.text and "应考 4 人" in unit_admin.text
    assert not any(label.startswith("⬆") for label in unit_admin.labels())  # cannot go above
    for command in (f"/stats {EXAM} shili-gaj", f"/stats {EXAM} shili", f"/export {EXAM} shili"):
        await unit_admin.say(command)
        assert "只能查看和管理本单位及下级单位" in unit_admin.text
    await unit_admin.act("a:u:0:shili")
    assert "只能查看和管理本单位及下级单位" in unit_admin.text
    await unit_admin.say("/code SL0005")  # 公安局: not theirs
    assert "没有工号为 SL0005 的人员" in unit_admin.text
    await unit_admin.say("/code SL0003")
    assert "一次性绑定码" in unit_admin.text
    for command in (f"/exam_open {EXAM}", "/admin add cli:y shili", "/admin list"):
        await unit_admin.say(command)
        assert "仅限超级管理员" in unit_admin.text
    await unit_admin.say("/stats")
    await unit_admin.press("示例市司法局办公室")
    assert "统计 · 示例市司法局办公室" in unit_admin.text
    await admin.say("/admin remove cli:ua")
    await unit_admin.say("/stats")
    assert "此功能仅限管理员" in unit_admin.text


async def test_rebinding_only_through_an_admin(org_app):
    admin, old, new = Chat(org_app, "admin"), Chat(org_app, "oldphone"), Chat(org_app, "newphone")
    await old.say("/bind SL0002 示例乙")
    await new.say("/bind SL0002 示例乙")
    assert "已绑定了其他账号" in new.text
    await old.say("/bind SL0003 示例丙")
    assert "您已绑定：示例乙" in old.text
    await admin.say("/unbind SL0002")
    assert "已解除 示例乙 的 1 个绑定" in admin.text
    await new.say("/bind SL0002 示例乙")
    assert "绑定成功" in new.text


async def test_too_many_failed_binds_are_refused(org_app):
    chat = Chat(org_app, "guesser")
    for i in range(5):
        await chat.say(f"/bind SL000{i} 张三")
    await chat.say("/bind SL0001 示例甲")
    assert "尝试绑定的次数过多" in chat.text
