"""Question bank import/export: every format, broken files with exact messages, round trips of
the whole shipped bank, merge-by-id, the template, and the CLI."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pytest
from openpyxl import Workbook

from bot.catalog.bank_io import (
    EXTENSIONS,
    export_questions,
    import_into_bank,
    read_questions,
    select,
    write_template,
)
from bot.catalog.bank_io.columns import HEADERS, header_field, stable_id
from bot.catalog.catalog import load_catalog
from bot.catalog.questions import parse_cite
from bot.cli import main
from bot.domain.models import QType

REPO = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).parent / "fixtures" / "import"
TEMPLATE = REPO / "content" / "templates" / "题库导入模板.xlsx"
HEADER = ["题型", "题干", "选项A", "选项B", "选项C", "选项D", "答案", "解析", "依据"]
GOOD_SINGLE = ["单选题", "违法事实不清、证据不足时，行政机关应当怎样处理案件？", "从轻处罚", "不得给予行政处罚",
               "减轻处罚", "先行处罚", "B", "《行政处罚法》第四十条规定，违法事实不清、证据不足的，不得给予行政处罚。",
               "《行政处罚法》第四十条"]


@pytest.fixture(scope="module")
def catalog():
    catalog, _problems = load_catalog(REPO)
    return catalog


def _strip(q):
    return replace(q, origin="", subs=tuple(replace(s, origin="") for s in q.subs))


def _xlsx(path: Path, rows: list[list], title: str = "题库", setup=None) -> Path:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title
    for row in rows:
        sheet.append(row)
    if setup:
        setup(sheet)
    workbook.save(path)
    return path


def _messages(result) -> list[str]:
    return [str(p) for p in result.problems]


# --- round trips ----------------------------------------------------------------------
@pytest.mark.parametrize("fmt", ["xlsx", "csv", "gift", "yaml"])
def test_whole_shipped_bank_round_trips_losslessly(tmp_path, catalog, fmt):
    questions = catalog.question_list
    assert len(questions) > 500
    path = tmp_path / f"bank{EXTENSIONS[fmt]}"
    notes = export_questions(questions, path, fmt, show_progress=False)
    result = read_questions(path, catalog.laws, show_progress=False)
    assert result.problems == []
    if fmt == "gift":  # GIFT has no 材料题 and no several-blank 填空: left out, and said so
        left_out = [q for q in questions if q.type is QType.MATERIAL or (q.type is QType.FILL and len(q.blanks) > 1)]
        assert left_out and f"注意：{sum(q.type is QType.MATERIAL for q in left_out)} 道材料题无法用 GIFT 格式表示，" \
            f"未导出（请改用 xlsx、csv 或 yaml）" in notes
        assert any(q.type is QType.FILL for q in result.questions)  # one-blank 填空 as short answer
        questions = [q for q in questions if q not in left_out]
    assert [_strip(q) for q in result.questions] == [_strip(q) for q in questions]


def test_aiken_round_trip_keeps_stem_options_and_answer(tmp_path, catalog):
    questions = catalog.question_list
    path = tmp_path / "bank.txt"
    notes = export_questions(questions, path, "aiken", show_progress=False)
    multiple = sum(q.type is QType.MULTIPLE for q in questions)
    assert f"note: {multiple} multiple-choice question(s) left out: Aiken has one correct answer" in notes
    for qtype, name in ((QType.FILL, "填空题"), (QType.MATERIAL, "材料题")):
        count = sum(q.type is qtype for q in questions)
        assert count and f"注意：{count} 道{name}无法用 Aiken 格式表示，未导出（请改用 xlsx、csv 或 yaml）" in notes
        multiple += count
    text = path.read_text(encoding="utf-8")
    assert text.count("ANSWER: ") == len(questions) - multiple
    result = read_questions(path, catalog.laws, fmt="aiken", show_progress=False)
    # Aiken has no citation or explanation: every question is reported, none silently half-imported
    assert result.questions == [] and result.bad_rows == len(questions) - multiple
    assert "missing or malformed cite (law + article)" in _messages(result)[1]


# --- spellings and encodings ------------------------------------------------------------
@pytest.mark.parametrize("name", ["good-gbk.csv", "good-utf8-bom.csv"])
def test_csv_in_gbk_and_utf8_with_usual_spellings(catalog, name):
    result = read_questions(FIXTURES / name, catalog.laws, show_progress=False)
    assert result.problems == []
    single, multiple, judge = result.questions
    assert (single.type, single.answer) == (QType.SINGLE, frozenset({1}))
    assert (multiple.type, multiple.answer, multiple.cite.article) == (QType.MULTIPLE, frozenset({0, 2, 3}), 9)
    assert (judge.type, judge.answer, judge.cite.article) == (QType.JUDGE, frozenset({0}), 33)
    assert single.id == stable_id(single.stem) and single.id.startswith("imp-")
    assert "note: 分值 is checked but not stored (exam points come from the exam blueprint)" in result.notes


@pytest.mark.parametrize("answer,expected", [
    ("AB", {0, 1}), ("A,B", {0, 1}), ("A、B", {0, 1}), ("A B", {0, 1}), ("ａｂ", {0, 1})])
def test_multiple_answer_spellings(tmp_path, catalog, answer, expected):
    row = ["多项选择题", "下列哪两项属于行政处罚法第九条所列的处罚种类？", "警告、通报批评", "罚款、没收违法所得", "记过", "降级",
           answer, "《行政处罚法》第九条列举了警告、通报批评，罚款、没收违法所得等种类。", "行政处罚法 9"]
    result = read_questions(_xlsx(tmp_path / "m.xlsx", [HEADER, row]), catalog.laws, show_progress=False)
    assert result.problems == [] and result.questions[0].answer == frozenset(expected)


@pytest.mark.parametrize("answer,verdict", [
    ("对", 0), ("错", 1), ("正确", 0), ("错误", 1), ("√", 0), ("×", 1), ("T", 0), ("F", 1), ("A", 0), ("B", 1)])
def test_judge_answer_spellings(tmp_path, catalog, answer, verdict):
    row = ["判断题", "行政机关对违法事实不清的案件不得给予行政处罚。", None, None, None, None, answer,
           "《行政处罚法》第四十条规定，违法事实不清、证据不足的，不得给予行政处罚。", "行政处罚法 第四十条"]
    result = read_questions(_xlsx(tmp_path / "j.xlsx", [HEADER, row]), catalog.laws, show_progress=False)
    assert result.problems == [] and result.questions[0].answer == frozenset({verdict})


def test_header_spellings():
    assert header_field("题目类型") == "type" and header_field(" 题干* ") == "stem"
    assert header_field("正确答案（必填）") == "answer" and header_field("A") == "option_A"
    assert header_field("法律依据") == "cite" and header_field("备注") is None
    assert parse_cite("行政处罚法33") == ("行政处罚法", 33)
    assert parse_cite("《中华人民共和国行政处罚法》第三十三条") == ("中华人民共和国行政处罚法", 33)


# --- broken files: exact messages ---------------------------------------------------------
def test_broken_xlsx_rows_name_file_sheet_row_column_and_reason(tmp_path, catalog):
    def setup(sheet):
        sheet["G6"] = "=CONCATENATE(\"A\",\"B\")"
        sheet.merge_cells("B7:B8")

    rows = [HEADER,
            GOOD_SINGLE,
            ["单选题", "行政处罚的种类由哪部法律的第九条规定？", "行政处罚法", "刑法", None, None, None,
             "《行政处罚法》第九条规定了行政处罚的种类。", "行政处罚法 9"],
            ["单选题", "违法事实不清的案件，行政机关应如何处理？", "从轻", "不得处罚", "减轻", "先罚", "E",
             "《行政处罚法》第四十条规定，违法事实不清、证据不足的，不得给予行政处罚。", "行政处罚法 40"],
            ["多选题", "下列哪些是行政处罚法第九条列举的处罚？", "警告、通报批评", "记过", "降级", "撤职", "A",
             "《行政处罚法》第九条列举了警告、通报批评等。", "行政处罚法 9"],
            ["多选题", "下列哪些是行政处罚法第九条列举的处罚种类之一？", "警告、通报批评", "罚款、没收违法所得", "记过", "撤职",
             None, "《行政处罚法》第九条列举了警告、通报批评等。", "行政处罚法 9"],
            ["单选题", "合并单元格的题目一", "甲", "乙", None, None, "A", "《行政处罚法》第九条。", "行政处罚法 9"],
            ["单选题", None, "甲", "乙", None, None, "A", "《行政处罚法》第九条。", "行政处罚法 9"],
            ["单选题", "引用了第四十条并不存在的文字的题目？", "甲", "乙", None, None, "A",
             "《行政处罚法》第四十条规定，“违法事实不清的从轻处罚”。", "行政处罚法 40"],
            ["单选题", "引用了不存在的条文的题目是哪一个？", "甲", "乙", None, None, "A", "解析。", "行政处罚法 900"]]
    path = _xlsx(tmp_path / "broken.xlsx", rows, setup=setup)
    result = read_questions(path, catalog.laws, show_progress=False)
    assert _messages(result) == [
        "broken.xlsx, sheet 题库, row 7, column B (题干): merged cells B7:B8: unmerge them and fill in every cell",
        "broken.xlsx, sheet 题库, row 3, column G (答案): missing answer",
        "broken.xlsx, sheet 题库, row 4, column G (答案): answer 'E' is not among the options (A-D)",
        "broken.xlsx, sheet 题库, row 5, column G (答案): multiple-choice answer needs at least two correct options",
        "broken.xlsx, sheet 题库, row 6, column G (答案): formula cell: type the value itself "
        "(formulas are not evaluated)",
        "broken.xlsx, sheet 题库, row 9, column H (解析): explanation quotes “违法事实不清的从轻处罚”, "
        "which is not in 行政处罚法 article 40",
        "broken.xlsx, sheet 题库, row 10, column I (依据): cites 行政处罚法 article 900, which does not exist "
        "(the law has 86)",
    ]
    assert [q.stem for q in result.questions] == [GOOD_SINGLE[1]]


def test_empty_sheet(tmp_path, catalog):
    result = read_questions(_xlsx(tmp_path / "empty.xlsx", [], title="Sheet1"), catalog.laws, show_progress=False)
    assert _messages(result) == ["empty.xlsx, sheet Sheet1: the sheet is empty (no header row and no questions)"]


def test_missing_required_column(tmp_path, catalog):
    result = read_questions(_xlsx(tmp_path / "h.xlsx", [["题型", "题干", "答案"], ["单选", "x", "A"]]),
                            catalog.laws, show_progress=False)
    assert _messages(result) == ["h.xlsx, sheet 题库, row 1: no 解析/依据 column in the header row"]


def test_wrong_encoding(catalog):
    result = read_questions(FIXTURES / "shift-jis.csv", catalog.laws, show_progress=False)
    assert _messages(result) == ["shift-jis.csv: unreadable text encoding: read as UTF-8 or GBK/GB18030 the "
                                 "header row names no known column (save the file as UTF-8 or GBK)"]


def test_not_an_xlsx(tmp_path, catalog):
    path = tmp_path / "fake.xlsx"
    path.write_bytes(b"\x00\x01garbage")
    assert _messages(read_questions(path, catalog.laws, show_progress=False)) == [
        "fake.xlsx: not an .xlsx file: another kind of file renamed, or an incomplete copy"]


def test_gift_fixture(catalog):
    result = read_questions(FIXTURES / "bank.gift", catalog.laws, show_progress=False)
    assert [(q.id, q.type, q.answer) for q in result.questions] == [
        ("q1", QType.SINGLE, frozenset({0})), ("q2", QType.JUDGE, frozenset({1})),
        ("q3", QType.MULTIPLE, frozenset({0, 1}))]
    assert _messages(result)[0] == ("bank.gift, line 24, column answers {…}: no answers: a GIFT question needs "
                                    "{…} after its text")


def test_aiken_fixture(catalog):
    result = read_questions(FIXTURES / "bank-aiken.txt", catalog.laws, show_progress=False)
    assert [(q.type, q.answer) for q in result.questions] == [(QType.SINGLE, frozenset({1})),
                                                              (QType.JUDGE, frozenset({1}))]
    assert "bank-aiken.txt, line 16, column ANSWER: answer 'C' is not among the options (A-B)" in _messages(result)


def test_duplicate_stem_within_file(tmp_path, catalog):
    result = read_questions(_xlsx(tmp_path / "d.xlsx", [HEADER, GOOD_SINGLE, GOOD_SINGLE]), catalog.laws,
                            show_progress=False)
    assert _messages(result) == [f"d.xlsx, sheet 题库, row 3, column B (题干): same stem as row 2 "
                                 f"(id {stable_id(GOOD_SINGLE[1])})"]


# --- merging into the bank -------------------------------------------------------------
@pytest.fixture
def root(tmp_path):
    copy = tmp_path / "root"
    for part in ("content/laws", "quizzes/bank"):
        shutil.copytree(REPO / part, copy / part)
    return copy


def test_import_merges_by_id_and_refuses_bad_files(tmp_path, root):
    catalog, _ = load_catalog(root)
    good = FIXTURES / "good-gbk.csv"
    first = import_into_bank(good, root, catalog.questions, catalog.laws, show_progress=False)
    assert (first.added, first.updated, first.written) == (3, 0, "quizzes/bank/imported.yaml")
    catalog, problems = load_catalog(root)
    assert problems == [] and stable_id("对违法事实不清、证据不足的情形，行政机关能否给予行政处罚？") in catalog.questions
    again = import_into_bank(good, root, catalog.questions, catalog.laws, show_progress=False)
    assert (again.added, again.updated) == (0, 0)
    before = (root / "quizzes/bank/imported.yaml").read_text(encoding="utf-8")
    rows = [HEADER + ["编号"], GOOD_SINGLE + ["my-1"],
            ["单选题", "没有答案的题目是哪一道？", "甲", "乙", None, None, None, "《行政处罚法》第九条。", "行政处罚法 9", "my-2"]]
    broken = _xlsx(tmp_path / "b.xlsx", rows)
    refused = import_into_bank(broken, root, catalog.questions, catalog.laws, show_progress=False)
    assert refused.written is None and (root / "quizzes/bank/imported.yaml").read_text(encoding="utf-8") == before
    # GOOD_SINGLE's stem is close to the imported one from good-gbk.csv? it must at least not be lost silently
    skipped = import_into_bank(broken, root, catalog.questions, catalog.laws, skip_bad=True, show_progress=False)
    assert skipped.written and skipped.added == len(skipped.questions) and skipped.bad_rows >= 1


def test_import_refuses_ids_of_other_bank_files(tmp_path, root, catalog):
    shipped = catalog.question_list[0]
    path = tmp_path / "one.xlsx"
    export_questions([shipped], path, "xlsx", show_progress=False)
    result = import_into_bank(path, root, catalog.questions, catalog.laws, show_progress=False)
    assert result.written is None
    assert f"id {shipped.id} is already used by {shipped.origin}" in _messages(result)[0]
    into = Path(shipped.origin.rsplit(":", 1)[0]).name
    same_file = import_into_bank(path, root, catalog.questions, catalog.laws, into=Path(into), show_progress=False)
    assert (same_file.added, same_file.updated, same_file.problems) == (0, 0, [])


def test_select_by_law_and_tag(catalog):
    by_law = select(catalog.question_list, catalog.laws, law="中华人民共和国行政处罚法")
    assert by_law and all(q.cite.law == "行政处罚法" for q in by_law)
    tag = by_law[0].tags[-1]
    assert all(tag in q.tags for q in select(catalog.question_list, catalog.laws, tag=tag))


# --- template and CLI ------------------------------------------------------------------
def test_shipped_template_is_current_and_reimports(tmp_path, catalog):
    fresh = tmp_path / "t.xlsx"
    write_template(fresh)
    for path in (TEMPLATE, fresh):
        result = read_questions(path, catalog.laws, existing=catalog.questions, target="quizzes/bank/imported.yaml",
                                show_progress=False)
        assert result.problems == [] and {q.type for q in result.questions} == set(QType)
    from openpyxl import load_workbook
    workbook = load_workbook(TEMPLATE)
    assert workbook.sheetnames == ["题库", "说明"]
    sheet = workbook["题库"]
    assert [c.value for c in sheet[1]][:2] == [HEADERS["type"], HEADERS["stem"]]
    assert sheet.data_validations.dataValidation[0].formula1 == '"单选题,多选题,判断题,填空题"'


def test_cli_import_export_template(tmp_path, root, capsys, monkeypatch):
    monkeypatch.setenv("LAWBOT_LANG", "zh")
    out = tmp_path / "law.csv"
    assert main(["bank", "export", "--format", "csv", "-o", str(out), "--law", "宪法", "--content", str(root)]) == 0
    assert "已导出" in capsys.readouterr().out
    assert main(["bank", "import", str(out), "--content", str(root), "--dry-run"]) == 1  # ids used elsewhere
    assert "已被 quizzes/bank/" in capsys.readouterr().out
    assert main(["bank", "template", "-o", str(tmp_path / "t.xlsx")]) == 0
    assert main(["bank", "import", str(FIXTURES / "good-gbk.csv"), "--content", str(root)]) == 0
    assert "已写入 quizzes/bank/imported.yaml：新增 3 题，更新 0 题。" in capsys.readouterr().out
    assert main(["bank", "import", str(FIXTURES / "shift-jis.csv"), "--content", str(root)]) == 1
