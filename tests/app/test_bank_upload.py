"""Question bank import and export in chat (issue 3 item 4), as console transcripts: a super admin
sends a file with /upload, sees the preview, confirms, and the question is served in 专项练习;
bad files show row errors and write nothing; everyone else is refused.

The app's catalog is a copy whose root is a temp folder, so the import writes
<tmp>/quizzes/bank/imported.yaml and never the repository's bank."""

from __future__ import annotations

import random
from dataclasses import replace
from pathlib import Path

import pytest
import yaml
from openpyxl import Workbook, load_workbook

from bot.app.messages import Attachment, Incoming
from bot.bootstrap import build, load_checked_catalog
from bot.clock import ManualClock
from tests.support import transcript
from tests.support.bad_files import zip_bomb
from tests.support.transcript import REPO, Chat

ADMIN = "cli:admin"
HEADER = ["题型", "题干", "选项A", "选项B", "选项C", "选项D", "答案", "解析", "依据"]
NEW_STEM = "网络运营者按照网络安全等级保护制度的要求，留存相关网络日志的期限不得少于多久？"
NEW_ROW = ["单选题", NEW_STEM, "一个月", "三个月", "六个月", "一年", "C",
           "《网络安全法》第二十一条规定网络运营者应当按照规定留存相关的网络日志不少于六个月。",
           "《网络安全法》第二十一条"]
BAD_ROW = ["单选题", "行政机关实施网络安全监督管理的职责由哪一部门统筹协调？", "国家网信部门", "公安部门",
           "", "", "E", "见《网络安全法》第八条。", "《网络安全法》第八条"]


def bank_root(tmp_path: Path) -> Path:
    root = tmp_path / "content-root"
    (root / "quizzes" / "bank").mkdir(parents=True)
    return root


async def make_bank_app(tmp_path: Path, **overrides):
    shared = load_checked_catalog(REPO)  # cached and shared by other tests: never mutate it
    catalog = replace(shared, root=bank_root(tmp_path), questions=dict(shared.questions))
    overrides.setdefault("admin", {"super_admins": [ADMIN]})
    config = transcript.config_for(tmp_path, **overrides)
    return await build(config, clock=ManualClock(), rng=random.Random(7), database=tmp_path / "t.sqlite3",
                       catalog=catalog)


def workbook(path: Path, *rows: list) -> Path:
    book = Workbook()
    sheet = book.active
    sheet.title = "题库"
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


@pytest.fixture
async def app(tmp_path):
    app = await make_bank_app(tmp_path)
    yield app
    await app.close()


def admin_chat(app, tmp_path: Path) -> Chat:
    chat = Chat(app, user="admin")
    chat.channel.downloads = tmp_path / "downloads"
    return chat


async def test_admin_uploads_previews_confirms_and_practises(app, tmp_path):
    chat = admin_chat(app, tmp_path)
    target = app.catalog.root / "quizzes" / "bank" / "imported.yaml"
    file = workbook(tmp_path / "新题.xlsx", NEW_ROW)

    text = await chat.say(f"/upload {file}")
    assert "已检查“新题.xlsx”：共 1 题，新增 1 题，更新 0 题，未变 0 题，有问题 0 行。" in text
    assert chat.labels() == ["✅ 导入", "✖ 取消"]
    assert not target.exists()  # a dry run: nothing written before the confirmation
    confirm = chat.actions()[0]

    text = await chat.press("导入")
    assert "已导入“新题.xlsx”：新增 1 题，更新 0 题，跳过问题行 0 行。" in text
    saved = yaml.safe_load(target.read_text(encoding="utf-8"))["questions"]
    assert [q["stem"] for q in saved] == [NEW_STEM]

    # practised at once: 专项练习 lists the law with its one question and serves it
    await chat.press("专项练习")
    while "网络安全法（1）" not in chat.labels() and "下一页 ▶" in chat.labels():
        await chat.press("下一页")  # the law menu pages 10 laws at a time
    assert "网络安全法（1）" in chat.labels()
    text = await chat.press("网络安全法（1）")
    assert NEW_STEM in text
    letter = next(line for line in text.splitlines() if "六个月" in line).strip()[0]
    await chat.press(letter)
    assert "正确" in chat.text, chat.text

    # the same button again: the upload is gone (kept in storage, dropped once handled)
    await chat.act(confirm)
    assert "已过期或已处理" in chat.text

    # re-importing an edited row updates it by id instead of adding a second copy
    edited = NEW_ROW[:]
    edited[3] = "九十日"
    await chat.say(f"/upload {workbook(tmp_path / '新题.xlsx', edited)}")
    assert "新增 0 题，更新 1 题" in chat.text
    await chat.press("导入")
    saved = yaml.safe_load(target.read_text(encoding="utf-8"))["questions"]
    assert len(saved) == 1 and saved[0]["options"][1] == "九十日"
    assert app.catalog.questions[saved[0]["id"]].origin == "quizzes/bank/imported.yaml:4"


async def test_bad_rows_are_listed_and_nothing_is_written(app, tmp_path):
    chat = admin_chat(app, tmp_path)
    target = app.catalog.root / "quizzes" / "bank" / "imported.yaml"
    before = len(app.catalog.questions)
    text = await chat.say(f"/upload {workbook(tmp_path / 'bad.xlsx', BAD_ROW)}")
    assert "共 1 题，新增 0 题，更新 0 题，未变 0 题，有问题 1 行" in text
    assert "问题行（前 1 条，共 1 条）：\n工作表“题库” 第2行 G (答案) 列：答案 'E' 不在选项范围内（A–B）" in text
    assert "没有可以导入的试题" in text
    assert not chat.last[0].choices and not target.exists()

    # a good row and a bad one: 跳过错误行导入 imports the good one only
    text = await chat.say(f"/upload {workbook(tmp_path / 'mixed.xlsx', NEW_ROW, BAD_ROW)}")
    assert "新增 1 题" in text and "有问题 1 行" in text
    assert chat.labels() == ["⏭ 跳过错误行导入", "✖ 取消"]
    await chat.press("取消")
    assert "已取消" in chat.text and not target.exists()
    assert len(app.catalog.questions) == before

    await chat.say(f"/upload {tmp_path / 'mixed.xlsx'}")
    await chat.press("跳过错误行导入")
    assert "新增 1 题，更新 0 题，跳过问题行 1 行" in chat.text
    assert len(app.catalog.questions) == before + 1


async def test_non_admins_are_refused_and_odd_files_explained(app, tmp_path):
    file = workbook(tmp_path / "新题.xlsx", NEW_ROW)
    user = Chat(app, user="someone")
    assert "只有题库管理员" in await user.say(f"/upload {file}")
    assert "仅限管理员" in await user.say("/bank export")
    await user.act("u:ok:1")
    assert "只有题库管理员" in user.text

    chat = admin_chat(app, tmp_path)
    (tmp_path / "photo.png").write_bytes(b"\x89PNG")
    assert "无法识别文件“photo.png”" in await chat.say(f"/upload {tmp_path / 'photo.png'}")
    (tmp_path / "empty.csv").write_bytes(b"")
    assert "是空的" in await chat.say(f"/upload {tmp_path / 'empty.csv'}")
    (tmp_path / "fake.xlsx").write_bytes(b"not a zip file at all")
    text = await chat.say(f"/upload {tmp_path / 'fake.xlsx'}")
    assert "fake.xlsx" in text and "导入" not in chat.labels()
    reply = await app.service.handle(Incoming(user=ADMIN, attachment=Attachment("big.xlsx", b"", size=50 << 20)))
    assert "太大（上限 10 MB）" in reply[0].text
    assert await chat.say(f"/upload {tmp_path / 'missing.xlsx'}") == ""
    assert "/upload：无法读取" in chat.lines[-1]
    for forged in ("u:ok:x", "u:boom:1", "u:ok:1:2"):
        await chat.act(forged)
        assert "按钮已失效" in chat.text


async def test_template_and_export_are_files_saved_by_the_console(app, tmp_path):
    chat = admin_chat(app, tmp_path)
    await chat.say("/bank template")
    saved = tmp_path / "downloads" / "题库导入模板.xlsx"
    assert saved.is_file() and f"已保存到 {saved}" in chat.lines[-1]
    assert load_workbook(saved).active["A1"].value == "题型"

    await chat.say("/bank export csv")
    # a material (材料题) counts once; its sub-questions are rows of the csv
    assert f"共 {len(app.catalog.question_list)} 题（csv）" in chat.text
    exported = next((tmp_path / "downloads").glob("bank-*.csv"))
    assert exported.read_text(encoding="utf-8-sig").count("\n") > len(app.catalog.question_list)
    group = await app.service.handle(Incoming(user=ADMIN, text="/bank export", private=False))
    assert "私聊" in group[0].text and group[0].attachment is None
    assert "用法" in (await app.service.handle(Incoming(user=ADMIN, text="/bank export pdf")))[0].text
    assert "/bank template" in (await app.service.handle(Incoming(user=ADMIN, text="/bank")))[0].text


async def test_rows_already_in_the_bank_are_skipped_in_the_preview(app, tmp_path):
    chat = admin_chat(app, tmp_path)
    shipped = app.catalog.questions["rmtj-0001"]
    repeat = ["判断题", shipped.stem, "", "", "", "", "正确", shipped.explanation, "《人民调解法》第四条"]
    text = await chat.say(f"/upload {workbook(tmp_path / 'unit.xlsx', NEW_ROW, repeat)}")
    assert "与题库已有题目重复、将跳过 1 题（前 1 条）：\n工作表“题库” 第3行与已有题目 rmtj-0001 重复，已跳过" in text
    assert "新增 1 题" in text and "有问题 0 行" in text
    await chat.press("导入")
    saved = yaml.safe_load((app.catalog.root / "quizzes" / "bank" / "imported.yaml").read_text(encoding="utf-8"))
    assert [q["stem"] for q in saved["questions"]] == [NEW_STEM]


async def test_pressing_import_twice_imports_once(app, tmp_path):
    """Two presses of 导入 at once (two devices of one admin): the upload is claimed inside the first
    turn's transaction, so one press imports and publishes, the other is told the file was handled."""
    import asyncio
    import contextlib

    chat, other = admin_chat(app, tmp_path), admin_chat(app, tmp_path)
    await chat.say(f"/upload {workbook(tmp_path / '新题.xlsx', NEW_ROW)}")
    confirm = chat.actions()[0]
    assert confirm.startswith("u:ok:")
    # The first read of the upload waits (up to 0.2 s) for a second read to happen: a claim that is
    # not atomic (read, then delete later) lets the second press read it too and import it again.
    uploads = app.storage.uploads
    real_get, reads, second = uploads.get_upload, [], asyncio.Event()

    async def get_upload(upload_id, user):
        found = await real_get(upload_id, user)
        reads.append(found)
        if len(reads) == 1:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(second.wait(), 0.2)
        else:
            second.set()
        return found

    uploads.get_upload = get_upload
    try:
        await asyncio.gather(chat.act(confirm), other.act(confirm))
    finally:
        del uploads.get_upload
    texts = [chat.text, other.text]
    assert sum("已导入“新题.xlsx”" in t for t in texts) == 1, texts
    assert sum("已过期或已处理" in t for t in texts) == 1, texts
    assert await app.storage.bank_versions.latest_version() == 1
    target = app.catalog.root / "quizzes" / "bank" / "imported.yaml"
    assert [q["stem"] for q in yaml.safe_load(target.read_text(encoding="utf-8"))["questions"]] == [NEW_STEM]
    await chat.act(confirm)  # and once more afterwards
    assert "已过期或已处理" in chat.text
    assert await app.storage.bank_versions.latest_version() == 1


async def test_odd_uploads_get_one_plain_chinese_line_and_keep_nothing(app, tmp_path):
    """/upload without a path or of a folder, a roster sent as a bank, a header with no rows, a
    zip bomb: each is a line saying what is wrong; no 导入 button, nothing pending."""
    chat = admin_chat(app, tmp_path)
    assert await chat.say("/upload") == "" and chat.lines[-1].endswith("用法：/upload 文件路径（如 /upload 题库.xlsx）")
    await chat.say(f"/upload {tmp_path}")
    assert "这是一个文件夹" in chat.lines[-1]
    await chat.say(f"/upload {tmp_path / 'missing.xlsx'}")
    assert "找不到这个文件" in chat.lines[-1] and "No such file" not in chat.lines[-1]
    roster = Workbook()
    roster.active.append(["工号", "姓名", "单位"])
    roster.active.append(["A1", "甲", "shili-sfj"])
    roster.save(tmp_path / "名册.xlsx")
    assert "表头中没有“题型/题干/答案/解析/依据”列" in await chat.say(f"/upload {tmp_path / '名册.xlsx'}")
    assert "只有表头，下面没有试题" in await chat.say(f"/upload {workbook(tmp_path / 'header.xlsx')}")
    bomb = zip_bomb(tmp_path / "bomb.xlsx", workbook(tmp_path / "one.xlsx", NEW_ROW), 210)
    assert "解压后有 210 MB，超过 200 MB 的上限" in await chat.say(f"/upload {bomb}")
    assert "导入" not in " ".join(chat.labels())
    assert not (app.catalog.root / "quizzes" / "bank" / "imported.yaml").exists()
