"""Fair official exams (issue 14 item 5) through the console channel with an injected clock: a
question's own time limit, and the flags for admins on a fixture — a fast answerer, two copiers
of one unit, an account re-bound during the window — in /stats (count, drill-down with evidence,
only for admins whose scope covers the unit) and as a sheet of the /export workbook."""

from __future__ import annotations

import copy
import io
import random

import pytest
from openpyxl import load_workbook

from bot.bootstrap import build, load_checked_catalog
from bot.cli import main as cli
from bot.clock import ManualClock
from bot.domain.exam_rules import eligible
from bot.domain.models import BlueprintItem, ExamDefinition, OfficialSpec, QType
from tests.app.test_exam import _attempt, _display_letters
from tests.support.templates import migrated_sqlite
from tests.support.transcript import REPO, Chat, config_for

START = 1_767_225_600.0  # 2026-01-01T00:00Z
TAG = "行政复议法"


def _exam(catalog, exam_id: str, per_question: int = 0) -> ExamDefinition:
    """An official exam over every single-choice question of one law, so everyone sits the same
    questions (each paper in its own order, options shuffled)."""
    count = len(eligible(catalog.questions.values(), QType.SINGLE, (TAG,)))
    return ExamDefinition(id=exam_id, title={"zh": f"公平考试{exam_id}", "en": f"Fair exam {exam_id}"},
                          time_limit_minutes=60, pass_mark=1, attempts_allowed=3,
                          blueprint=(BlueprintItem(QType.SINGLE, count, 1.0, (TAG,)),), origin="test",
                          official=OfficialSpec(opens=START - 86_400, closes=START + 7 * 86_400, units=("shili",)),
                          per_question_seconds=per_question)


@pytest.fixture
def imported(tmp_path):
    migrated_sqlite(tmp_path / "lawbot.sqlite3")  # as tests/app/test_official_exam.py's imported
    assert cli(["units", "import", str(REPO / "content/org/units.yaml"), "--data-dir", str(tmp_path)]) == 0
    assert cli(["roster", "import", str(REPO / "content/org/roster.csv"), "--data-dir", str(tmp_path)]) == 0
    return tmp_path


@pytest.fixture
async def app(imported):
    tmp_path = imported
    catalog = copy.copy(load_checked_catalog(REPO))  # the process's catalog stays as loaded
    catalog.exams = dict(catalog.exams)
    for exam in (_exam(catalog, "fair1"), _exam(catalog, "timed1", per_question=20)):
        catalog.exams[exam.id] = exam
    config = config_for(tmp_path, admin={"super_admins": ["cli:admin"]},
                        fairness={"long_stem_chars": 40, "fast_ratio": 0.5})
    application = await build(config, clock=ManualClock(START), rng=random.Random(5),
                              database=tmp_path / "lawbot.sqlite3", catalog=catalog)
    yield application
    await application.close()


async def _open(chat: Chat, exam_id: str):
    await chat.act(f"x:go:{exam_id}")
    assert "第 1/" in chat.text, chat.text
    return await _attempt(chat.app, chat)


async def _hand_in(chat: Chat) -> None:
    await chat.say("交卷")
    if "确认交卷" in " ".join(chat.labels()):
        await chat.press("确认交卷")
    assert "成绩" in chat.text, chat.text


async def test_a_late_answer_is_refused_and_the_paper_moves_on(app):
    clock, alice = app.clock, Chat(app, "alice")
    await alice.say("/bind SL0001 示例甲")
    attempt = await _open(alice, "timed1")
    assert "⏳ 本题限时，剩余 20 秒" in alice.text
    clock.advance(5)
    await alice.say(_display_letters(app, attempt, 0))  # in time: taken, on to question 2
    assert "第 2/" in alice.text and "剩余 20 秒" in alice.text
    clock.advance(12)
    await alice.say("上一题")  # back to question 1: its own clock still runs from when it was first shown
    assert "第 1/" in alice.text and "剩余 3 秒" in alice.text
    clock.advance(10)  # question 2 was shown 22 s ago: its time is up
    await alice.say("下一题")
    assert "第 2 题的作答时间已到" in alice.text and "第 3/" in alice.text
    clock.advance(25)  # question 3 runs out while on screen; the answer comes too late
    await alice.act(f"x:a:{attempt.id}:2:0")  # a button press (Telegram, WeCom cards) is refused as well
    assert "第 3 题的作答时间已到" in alice.text and "第 4/" in alice.text
    clock.advance(1)
    await alice.say(_display_letters(app, attempt, 3))
    stored = await app.storage.attempts.get_attempt(attempt.id)
    assert sorted(stored.answers) == [0, 3]  # the late answer to question 3 was not kept
    clock.advance(60 * 60)  # past the paper's own deadline: handed in as it was
    await alice.say("/exam")
    assert "考试时间已到，系统已自动交卷" in alice.text and "答对 2/" in alice.text


async def test_every_question_out_of_time_hands_the_paper_in(app):
    clock, bob = app.clock, Chat(app, "bob")
    await bob.say("/bind SL0005 示例戊")
    attempt = await _open(bob, "timed1")
    for pos in range(1, len(attempt.paper)):  # every question shown, none answered
        await bob.act(f"x:g:{attempt.id}:{pos}")
    clock.advance(21)
    await bob.say("A")
    assert "作答时间已到" in bob.text and "成绩：0 分" in bob.text
    assert (await app.storage.attempts.get_attempt(attempt.id)).status == "submitted"


async def _sit(chat: Chat, exam_id: str, pace: float, right) -> list[str]:
    """Answer the paper in order, `pace` seconds per question; right(qid) -> answer it right?
    Returns the question ids in the order answered."""
    attempt = await _open(chat, exam_id)
    order = []
    for pos, item in enumerate(attempt.paper):
        chat.app.clock.advance(pace)
        await chat.say(_display_letters(chat.app, attempt, pos, right=right(item.qid)))
        order.append(item.qid)
    await _hand_in(chat)
    return order


async def test_flags_on_a_fixture_are_shown_to_the_units_admins_with_evidence_and_exported(app):
    clock = app.clock
    admin, gaj_admin, sfj_admin = Chat(app, "admin"), Chat(app, "gajadmin"), Chat(app, "sfjadmin")
    alice, carol, bob, dave, dave2 = (Chat(app, u) for u in ("alice", "carol", "bob", "dave", "dave2"))
    await admin.say("/admin add cli:gajadmin shili-gaj")
    await admin.say("/admin add cli:sfjadmin shili-sfj")
    await alice.say("/bind SL0001 示例甲")
    await carol.say("/bind SL0002 示例乙")  # alice's unit (示例市司法局办公室)
    await bob.say("/bind SL0005 示例戊")  # 示例市公安局
    await dave.say("/bind SL0003 示例丙")  # 示例市司法局普法科

    # a fast answerer: one second a question, long questions included
    await _sit(bob, "fair1", 1, right=lambda qid: True)

    # two copiers of one unit: carol gives alice's answers, question by question, in alice's order
    wrong = {q.id for i, q in enumerate(eligible(app.catalog.questions.values(), QType.SINGLE, (TAG,))) if i % 4}
    order = await _sit(alice, "fair1", 30, right=lambda qid: qid not in wrong)
    attempt = await _open(carol, "fair1")
    where = {item.qid: pos for pos, item in enumerate(attempt.paper)}
    first = (await app.storage.fairness.window_sheets("fair1", "shili-sfj-bgs", "regular", exclude_roster=0))[0]
    assert sorted(where) == sorted(order) and [i.qid for i in attempt.paper] != order  # questions shuffled per attempt
    options = {i.qid: i.order for i in first.paper}
    assert sum(options[i.qid] != i.order for i in attempt.paper) >= len(order) // 2  # and their options
    for qid in order:
        clock.advance(15)
        await carol.act(f"x:g:{attempt.id}:{where[qid]}")
        clock.advance(15)  # copying takes time too: not a fast answer
        await carol.say(_display_letters(app, attempt, where[qid], right=qid not in wrong))
    await _hand_in(carol)

    # a re-bind during the window: the admin unbinds dave, another account binds as him and sits it
    clock.advance(600)
    await admin.say("/unbind SL0003")
    assert "已解除" in admin.text or "解绑" in admin.text, admin.text
    clock.advance(60)
    await dave2.say("/bind SL0003 示例丙")
    assert "绑定成功" in dave2.text
    await _sit(dave2, "fair1", 30, right=lambda qid: True)

    flags = await app.storage.fairness.flags("fair1")
    assert sorted(f.kind for f in flags) == ["fast", "identical", "rebind"], [(f.kind, f.roster_id) for f in flags]
    assert sorted(f.kind for f in flags) == ["fast", "identical", "rebind"]

    await admin.say("/stats fair1")
    assert "⚠ 公平性提示 3 条（答题过快 1｜答案雷同 1｜考试期间换绑 1）" in admin.text
    await admin.press("公平性提示")
    text = admin.text
    assert "共 3 条" in text
    assert "【答题过快】示例戊（SL0005·示例市公安局）：" in text and "道长题的用时远短于阅读时间" in text
    assert "用时 1 秒" in text
    assert "【答案雷同】示例乙（SL0002·示例市司法局办公室）：与 示例甲（SL0001·示例市司法局办公室）" in text
    assert f"{len(order)} 道共同题答案及作答顺序完全相同（其中同错 {len(wrong)} 道）" in text
    assert "【考试期间换绑】示例丙（SL0003·示例市司法局普法科）：cli 账号 cli:dave 于 01-01 " in text
    assert "改绑为 cli:dave2" in text and "操作人 cli:admin" in text
    assert "仅供核查" in text

    # a unit admin sees their subtree's flags only
    await gaj_admin.say("/stats fair1")
    assert "⚠ 公平性提示 1 条（答题过快 1｜答案雷同 0｜考试期间换绑 0）" in gaj_admin.text
    index = next(a for a in gaj_admin.actions() if a.startswith("a:f:")).split(":")[2]
    await gaj_admin.press("公平性提示")
    assert "示例戊" in gaj_admin.text and "示例甲" not in gaj_admin.text and "示例丙" not in gaj_admin.text
    await gaj_admin.act(f"a:f:{index}:shili-sfj")  # a forged button for another unit
    assert gaj_admin.text == "您只能查看和管理本单位及下级单位。"
    await sfj_admin.say("/stats fair1")
    assert "⚠ 公平性提示 2 条（答题过快 0｜答案雷同 1｜考试期间换绑 1）" in sfj_admin.text
    await alice.act(f"a:f:{index}:")  # not an admin
    assert "公平性提示" not in alice.text

    # the workbook has a sheet of them, with the evidence
    await admin.say("/export fair1")
    book = load_workbook(io.BytesIO(admin.last[0].attachment.data))
    assert book.sheetnames[-1] == "公平性提示"
    rows = list(book["公平性提示"].iter_rows(values_only=True))
    assert rows[0] == ("类型", "工号", "姓名", "单位", "场次", "关联人员", "证据", "时间")
    by_kind = {r[0]: r for r in rows[1:]}
    assert set(by_kind) == {"答题过快", "答案雷同", "考试期间换绑"}
    assert by_kind["答案雷同"][1:5] == ("SL0002", "示例乙", "示例市司法局办公室", "正考")
    assert by_kind["答案雷同"][5] == "示例甲（SL0001·示例市司法局办公室）" and "偶然如此的概率约" in by_kind["答案雷同"][6]

    # idempotent: handing the same attempts in again (a redelivered update, a second worker) adds nothing
    exam = app.catalog.exams["fair1"]
    for a in await app.storage.fairness.window_sheets("fair1", "shili-sfj-bgs", "regular", exclude_roster=0):
        closed = await app.storage.attempts.get_attempt(a.attempt_id)
        assert await app.service.exam.fair.on_handed_in(closed, exam, clock.now()) == 0
    assert len(await app.storage.fairness.flags("fair1")) == 3


async def test_an_unbind_in_the_console_is_recorded_for_the_rebind_flag(app):
    from bot.services.rights import actor_for
    from bot.services.roster import unbind_person

    dave = Chat(app, "dave")
    await dave.say("/bind SL0003 示例丙")
    entry = await app.storage.roster.roster_by_staff_no("SL0003")
    _person, removed = await unbind_person(app.service.deps, await actor_for(app.service.deps, "cli:admin"), entry.id)
    assert removed == 1
    events = await app.storage.fairness.bind_events(entry.id)
    assert [(e.kind, e.user_key, e.by) for e in events] == [("bind", "cli:dave", ""), ("unbind", "cli:dave", "cli:admin")]


def test_lawbot_stats_export_has_the_flags_sheet(imported):
    import asyncio

    from bot.storage.ports import FlagRecord
    from bot.storage.sql.store import open_store

    async def flag():
        store = await open_store(imported / "lawbot.sqlite3")
        entry = await store.roster.roster_by_staff_no("SL0007")
        await store.fairness.add_flag(FlagRecord(
            None, "rebind:xuefa2026-shili:1", "rebind", "xuefa2026-shili", "makeup", entry.unit_id, entry.id, 5,
            None, None, {"platform": "tg", "old_account": "tg:1", "new_account": "tg:2", "unbound_at": START,
                         "unbound_by": "cli:admin", "bound_at": START + 60}, START + 120))
        await store.close()

    asyncio.run(flag())
    out = imported / "stats.xlsx"
    assert cli(["stats", "export", "--exam", "xuefa2026-shili", "--out", str(out), "--data-dir", str(imported)]) == 0
    rows = list(load_workbook(out)["公平性提示"].iter_rows(values_only=True))
    assert rows[1][:5] == ("考试期间换绑", "SL0007", "示例庚", "东县司法局", "补考")
    assert rows[1][6] == "tg 账号 tg:1 于 01-01 08:00 被解绑（操作人 cli:admin），01-01 08:01 改绑为 tg:2"


async def test_the_other_person_of_an_identical_pair_outside_the_admins_units_is_named_by_unit_only(app):
    """示例戊 (示例市公安局) has the same answers as 示例庚 (东县司法局): the admin of 示例市公安局
    reads in /stats and the /export sheet that the other is a person of 东县司法局, never a blank
    name (it read '（·东县司法局）') and never 示例庚 or SL0007; a super admin sees 示例庚."""
    from bot.storage.ports import FlagRecord

    admin, gaj_admin = Chat(app, "admin"), Chat(app, "gajadmin")
    await admin.say("/admin add cli:gajadmin shili-gaj")
    mine, other = [await app.storage.roster.roster_by_staff_no(s) for s in ("SL0005", "SL0007")]
    await app.storage.fairness.add_flag(FlagRecord(None, "fair1:pair", "identical", "fair1", "regular", mine.unit_id,
                                                   mine.id, None, other.id, None,
                                                   {"common": 12, "same_wrong": 5, "chance": 3e-7}, START))
    await gaj_admin.say("/stats fair1")
    await gaj_admin.press("公平性提示")
    text = gaj_admin.text
    assert "【答案雷同】示例戊（SL0005·示例市公安局）：与 东县司法局的一名人员（不在您的管理范围内） 的 12 道" in text, text
    assert "示例庚" not in text and "SL0007" not in text and "（·" not in text
    await gaj_admin.say("/export fair1")
    rows = list(load_workbook(io.BytesIO(gaj_admin.last[0].attachment.data))["公平性提示"].iter_rows(values_only=True))
    assert rows[1][5] == "东县司法局的一名人员（不在您的管理范围内）"
    assert "示例庚" not in rows[1][6]
    await admin.say("/stats fair1")
    await admin.press("公平性提示")
    assert "与 示例庚（SL0007·东县司法局）" in admin.text
