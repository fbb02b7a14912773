"""题库 in a real browser, on a console server of its own whose content root is a temporary copy
of the shipped content (an edit writes a bank file; the repository's bank is never touched):
filter by law and type, a question with its article's text and statistics, an edit with an
invalid answer key refused with the reason and nothing changed, a valid edit applied and seen by
a console-channel user's practice, retirement (no longer drawn; listed as retired; past answers
kept), export, and a unit admin who may browse but not edit."""

from __future__ import annotations

import dataclasses
import io
import shutil
import tempfile
from pathlib import Path

import pytest
from openpyxl import load_workbook

from bot.app.practice import law_key
from bot.domain.models import QType, Question
from tests.support.transcript import Chat
from tests.web.conftest import REPO, UNIT_ADMIN, Console, ConsoleServer


@pytest.fixture(scope="module")
def bank_server():
    folder = Path(tempfile.mkdtemp(prefix="lawbot-bank-console-"))
    root = folder / "content-root"
    for part in ("content", "quizzes"):
        shutil.copytree(REPO / part, root / part)
    server = ConsoleServer(folder / "data", content_root=root).start()
    yield server
    server.stop()
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def bank(bank_server, shots):
    yield Console(bank_server, shots)
    bank_server.clock.offset = 0.0


def _first_of_a_law(bank):
    """A single-choice question that topic practice serves first for its law, and that law."""
    practice = bank.app.service.practice
    for law, ids in practice._by_law.items():
        q = bank.deps.catalog.questions[ids[0]]
        if q.type is QType.SINGLE and len(q.options) == 4 and bank.deps.catalog.laws.article(q.cite.law, q.cite.article):
            return q, law
    raise AssertionError("no law starts with a four-option single-choice question")


async def _practise(app, user, law):
    chat = Chat(app, user)
    await chat.act(f"p:t:{law_key(law)}")
    return chat.text


def test_filter_detail_edit_refused_then_applied_and_practised_then_retired(bank, page):
    q, law = _first_of_a_law(bank)
    assert bank.deps.catalog.root != REPO
    bank.login(page)
    bank.visit(page, f"/admin/bank?law={law}&type=single", "filtered")
    rows = page.locator("table.bank tbody tr")
    assert rows.count() >= 1
    assert all(law in rows.nth(i).inner_text() for i in range(rows.count()))

    bank.visit(page, f"/admin/bank/q/{q.id}", "question")
    article = bank.deps.catalog.laws.article(q.cite.law, q.cite.article)
    assert article.body.splitlines()[0][:30] in page.inner_text("#article-text")
    assert "共作答" in page.inner_text("#q-stats")

    page.fill("#edit-form input[name=answer]", "E")  # four options: E is not one of them
    page.click("#edit-form button[type=submit]")
    page.wait_for_selector("#edit-errors")
    bank.shots.take(page, "edit-refused")
    errors = page.inner_text("#edit-errors")
    assert "答案" in errors and "E" in errors
    assert bank.deps.catalog.questions[q.id] == q  # nothing changed

    new_stem = q.stem + "（后台修订）"
    page.fill("#edit-form textarea[name=stem]", new_stem)
    page.fill("#edit-form input[name=answer]", "".join("ABCD"[i] for i in q.answer))
    page.click("#edit-form button[type=submit]")
    page.wait_for_selector("#notice")
    bank.shots.take(page, "edit-saved")
    assert page.inner_text("#q-stem") == new_stem
    assert bank.deps.catalog.questions[q.id].stem == new_stem
    shown = q.origin.rpartition(":")[0]
    assert new_stem in (bank.deps.catalog.root / shown).read_text(encoding="utf-8")
    assert new_stem not in (REPO / shown).read_text(encoding="utf-8")
    assert bank.run(bank.deps.storage.bank_versions.latest()).path == shown  # every worker applies it

    text = bank.run(_practise(bank.app, "bank-practice-1", law))
    assert "（后台修订）" in text  # the console user practises the edited question

    page.fill("#retire-form input[name=reason]", "条文理解有争议")
    page.click("#retire-form button[type=submit]")
    page.wait_for_selector("#retired-note")
    bank.shots.take(page, "retired")
    assert "条文理解有争议" in page.inner_text("#retired-note")
    assert q.id not in {x.id for x in bank.deps.catalog.question_list}
    text = bank.run(_practise(bank.app, "bank-practice-2", law))
    assert "（后台修订）" not in text  # no longer drawn
    bank.visit(page, f"/admin/bank?q={q.id}", "active-list")
    assert page.locator("table.bank tbody tr").count() == 0
    bank.visit(page, f"/admin/bank?q={q.id}&status=retired", "retired-list")
    assert page.locator("table.bank tbody tr").count() == 1
    bank.visit(page, f"/admin/bank/q/{q.id}", "retired-question")
    page.click("#retire-form button[type=submit]")  # use it again
    page.wait_for_selector("#notice")
    assert q.id in {x.id for x in bank.deps.catalog.question_list}


def test_export_and_a_unit_admin_browses_without_editing(bank, page):
    bank.login(page, UNIT_ADMIN)  # admin of 甲局 (the server's seed)
    bank.visit(page, "/admin/bank", "unit-admin-bank")
    assert page.locator("table.bank tbody tr").count() > 0
    assert page.locator("a[href='/admin/bank/import']").count() == 0
    q = bank.deps.catalog.question_list[0]
    bank.visit(page, f"/admin/bank/q/{q.id}", "unit-admin-question")
    assert page.locator("#edit-form").count() == 0 and page.locator("#retire-form").count() == 0
    response = bank.visit(page, "/admin/bank/import", "unit-admin-import")
    assert response.status == 403
    bank.visit(page, "/admin/bank", "unit-admin-export")
    with page.expect_download() as download:
        page.click("a[href^='/admin/bank/export?fmt=xlsx']")
    data = Path(download.value.path()).read_bytes()
    sheet = load_workbook(io.BytesIO(data), read_only=True).worksheets[0]
    assert sum(1 for _ in sheet.iter_rows()) > len(bank.deps.catalog.question_list)  # a header and every question


def test_import_with_preview_shows_bad_rows_then_imports_the_good_ones(bank, page, tmp_path):
    from tests.app.test_bank_upload import BAD_ROW, NEW_ROW, NEW_STEM, workbook

    file = workbook(tmp_path / "新题.xlsx", NEW_ROW, BAD_ROW)
    target = bank.deps.catalog.root / "quizzes" / "bank" / "imported.yaml"
    bank.login(page)
    bank.visit(page, "/admin/bank/import", "import-form")
    page.set_input_files("#bank-upload input[type=file]", str(file))
    page.click("#bank-upload button[type=submit]")
    page.wait_for_selector("#bank-preview")
    bank.shots.take(page, "import-preview")
    assert "新增 1 题" in page.inner_text("#bank-preview") and "有问题 1 行" in page.inner_text("#bank-preview")
    assert "第3行" in page.inner_text("#bank-problems")  # the bad row, with its reason
    assert not target.exists() or NEW_STEM not in target.read_text(encoding="utf-8")  # nothing written yet
    page.click("#bank-apply button[type=submit]")  # 跳过错误行导入
    page.wait_for_selector("#message")
    bank.shots.take(page, "imported")
    assert "新增 1 题" in page.inner_text("#message")
    assert NEW_STEM in target.read_text(encoding="utf-8")
    found = [q for q in bank.deps.catalog.question_list if q.stem == NEW_STEM]
    assert len(found) == 1
    bank.visit(page, f"/admin/bank?q={found[0].id}", "imported-in-list")
    assert page.locator("table.bank tbody tr").count() == 1


def test_pages_fit_a_phone(bank, phone):
    bank.login(phone)
    q = bank.deps.catalog.question_list[0]
    for path in ("/admin/bank", f"/admin/bank/q/{q.id}", "/admin/roster"):
        bank.visit(phone, path, f"phone-{path}")
        width = phone.evaluate("document.documentElement.scrollWidth")
        assert width <= 392, (path, width)


def _bank_question(bank, qtype: QType, want) -> Question:
    """The first question of `qtype` in a bank file under quizzes/bank/ for which want(q) holds."""
    for q in bank.deps.catalog.question_list:
        if q.type is qtype and q.origin.startswith("quizzes/bank/") and not q.parent and want(q):
            return q
    raise AssertionError(f"no {qtype.value} question fits")


def _sub_field(page, n: int, name: str):
    return page.locator(f"#sub-{n} [name=sub{n}_{name}]")


def test_a_material_is_edited_whole_refused_with_the_reasons_then_published(bank, page):
    q = _bank_question(bank, QType.MATERIAL, lambda m: len(m.subs) == 3 and m.subs[1].type is QType.SINGLE
                       and len(m.subs[1].options) == 4)
    shown = q.origin.rpartition(":")[0]
    version = bank.run(bank.deps.storage.bank_versions.latest_version())
    bank.login(page)
    bank.visit(page, f"/admin/bank/q/{q.id}", "material")
    assert page.input_value("#edit-form textarea[name=stem]") == q.stem
    assert [page.input_value(f"#sub-{n} [name=sub{n}_stem]") for n in (1, 2, 3)] == [s.stem for s in q.subs]
    assert page.input_value("#sub-4 [name=sub4_stem]") == "" and page.locator("#sub-6").count() == 0

    # refused: sub-question 2's answer is not an option, and with two slots cleared only one is left
    _sub_field(page, 2, "answer").fill("E")
    page.click("#edit-form button[type=submit]")
    page.wait_for_selector("#edit-errors")
    assert "第 2 小题：答案 E 不在选项范围内" in page.inner_text("#edit-errors").replace("'", "")
    assert _sub_field(page, 2, "answer").input_value() == "E"  # what was typed is kept
    for n in (2, 3):
        for name in ("stem", "options", "answer", "explanation"):
            if _sub_field(page, n, name).count():
                _sub_field(page, n, name).fill("")
    page.click("#edit-form button[type=submit]")
    page.wait_for_selector("#edit-errors")
    bank.shots.take(page, "material-refused")
    assert "材料题需要 2 到 5 道小题，现有 1 道" in page.inner_text("#edit-errors")
    assert bank.deps.catalog.questions[q.id] == q  # nothing changed
    assert bank.run(bank.deps.storage.bank_versions.latest_version()) == version

    # saved: a new material text, sub 1 reworded, sub 3 deleted, a true/false sub added in slot 5
    bank.visit(page, f"/admin/bank/q/{q.id}", "material-again")
    text = q.stem + "（后台修订材料）"
    page.fill("#edit-form textarea[name=stem]", text)
    _sub_field(page, 1, "stem").fill(q.subs[0].stem + "（改）")
    for name in ("stem", "options", "answer", "explanation"):
        if _sub_field(page, 3, name).count():
            _sub_field(page, 3, name).fill("")
    law, article = q.subs[0].cite.law, str(q.subs[0].cite.article)
    _sub_field(page, 5, "type").select_option("judge")
    _sub_field(page, 5, "stem").fill("本案新增的判断小题：执法程序应当合法。")
    _sub_field(page, 5, "options").fill("")
    _sub_field(page, 5, "answer").fill("正确")
    _sub_field(page, 5, "explanation").fill(f"见《{law}》相关规定，执法应依法进行。")
    _sub_field(page, 5, "law").fill(law)
    _sub_field(page, 5, "article").fill(article)
    page.click("#edit-form button[type=submit]")
    page.wait_for_selector("#notice")
    bank.shots.take(page, "material-saved")
    assert page.inner_text("#q-stem") == text
    listed = page.inner_text("#q-subs")
    assert "（改）" in listed and "本案新增的判断小题" in listed and q.subs[2].stem not in listed
    edited = bank.deps.catalog.questions[q.id]
    assert edited.stem == text and len(edited.subs) == 3
    assert [s.id for s in edited.subs[:2]] == [s.id for s in q.subs[:2]]
    new_sub = edited.subs[2]
    assert new_sub.type is QType.JUDGE and new_sub.answer == frozenset({0}) and new_sub.parent == q.id
    old_ids = {s.id for s in q.subs}
    expected = next(f"{q.id}.{n}" for n in range(1, 10) if f"{q.id}.{n}" not in old_ids)  # never a deleted sub's
    assert new_sub.id == expected and bank.deps.catalog.questions[new_sub.id] == new_sub
    assert q.subs[2].id not in bank.deps.catalog.questions  # the deleted sub is gone
    assert text in (bank.deps.catalog.root / shown).read_text(encoding="utf-8")
    latest = bank.run(bank.deps.storage.bank_versions.latest())
    assert latest.path == shown and latest.version > version and text in latest.body  # every worker applies it


def test_a_fill_question_takes_alternatives_and_refuses_a_missing_blank(bank, page):
    q = _bank_question(bank, QType.FILL, lambda f: len(f.blanks) == 2)
    shown = q.origin.rpartition(":")[0]
    bank.login(page)
    bank.visit(page, f"/admin/bank/q/{q.id}", "fill")
    assert page.input_value("#edit-form input[name=answer]") == "；".join("|".join(a) for a in q.blanks)
    page.fill("#edit-form input[name=answer]", q.blanks[0][0])  # one blank's answer for two blanks
    page.click("#edit-form button[type=submit]")
    page.wait_for_selector("#edit-errors")
    assert "题干有 2 个空，答案却列了 1 个" in page.inner_text("#edit-errors")
    page.fill("#edit-form input[name=answer]", f"{q.blanks[0][0]}|{q.blanks[0][0]}原则；{q.blanks[1][0]} 二")
    page.click("#edit-form button[type=submit]")
    page.wait_for_selector("#edit-errors")
    bank.shots.take(page, "fill-refused")
    assert "含有空格或分隔标点" in page.inner_text("#edit-errors")
    # nothing changed (its line number in the file may: the bank sync can reload the file the material
    # test above rewrote, moving this question from line 5 to 4 at any moment)
    assert dataclasses.replace(bank.deps.catalog.questions[q.id], origin="") == dataclasses.replace(q, origin="")

    answer = f"{q.blanks[0][0]}|{q.blanks[0][0]}原则；{q.blanks[1][0]}"
    page.fill("#edit-form input[name=answer]", answer)
    page.click("#edit-form button[type=submit]")
    page.wait_for_selector("#notice")
    bank.shots.take(page, "fill-saved")
    assert page.inner_text("#q-answer") == answer
    edited = bank.deps.catalog.questions[q.id]
    assert edited.blanks == ((q.blanks[0][0], f"{q.blanks[0][0]}原则"), (q.blanks[1][0],))
    assert f"{q.blanks[0][0]}原则" in (bank.deps.catalog.root / shown).read_text(encoding="utf-8")
    assert bank.run(bank.deps.storage.bank_versions.latest()).path == shown


def test_a_save_after_another_admins_save_of_the_question_is_refused_then_overwrites_knowingly(bank, page, phone):
    """Two admins (a desk and a phone) edit one question: the later save is refused (409) with
    the saved version on the page and the typed text kept in the form; saving that again wins."""
    used = {_first_of_a_law(bank)[0].id}
    q = next(x for x in bank.deps.catalog.question_list if x.type is QType.JUDGE and x.id not in used)
    for tab in (page, phone):
        bank.login(tab)
        bank.visit(tab, f"/admin/bank/q/{q.id}", "question")
    page.fill("#edit-form textarea[name=explanation]", "第一位管理员改写的解析。")
    page.click("#edit-form button[type=submit]")
    page.wait_for_selector("#notice")
    phone.fill("#edit-form textarea[name=explanation]", "第二位管理员改写的解析。")
    with phone.expect_response(lambda r: r.url.endswith(f"/admin/bank/q/{q.id}/edit")) as refused:
        phone.click("#edit-form button[type=submit]")
    assert refused.value.status == 409
    bank.shots.take(phone, "refused")
    assert "其他管理员已保存了修改" in phone.inner_text("#edit-conflict")
    assert "第一位管理员改写的解析。" in phone.inner_text("table.question")  # the saved version, above the form
    assert phone.input_value("#edit-form textarea[name=explanation]") == "第二位管理员改写的解析。"  # kept
    assert bank.deps.catalog.questions[q.id].explanation == "第一位管理员改写的解析。"
    phone.click("#edit-form button[type=submit]")
    phone.wait_for_selector("#notice")
    assert bank.deps.catalog.questions[q.id].explanation == "第二位管理员改写的解析。"
