"""Files that are not what they claim, given to the bank and roster importers: a text file or a
truncated zip named .xlsx, a zip bomb, a header and nothing under it, another kind of table.
Each is one line of reason (in Chinese for the admin), never an exception from openpyxl, and the
bomb is refused before it is unpacked."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import Workbook

from bot.catalog.bank_io.csvfile import read_csv
from bot.catalog.bank_io.messages import localise, problem_text
from bot.catalog.bank_io.xlsx import read_xlsx, write_template
from bot.catalog.roster import UnreadableFile, load_roster, load_units
from bot.catalog.zipsize import MAX_UNPACKED_MB
from tests.support.bad_files import zip_bomb

UNITS = {"u1": "一处"}


def _workbook(path: Path, rows: list[list[object]]) -> Path:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    book.save(path)
    return path


@pytest.mark.parametrize("content", [b"", b"this is text, not a workbook\n", b"PK\x03\x04 truncated"])
def test_a_file_that_is_no_xlsx_is_one_reason_for_roster_and_units(tmp_path, content):
    path = tmp_path / "名册.xlsx"
    path.write_bytes(content)
    with pytest.raises(UnreadableFile) as roster:
        load_roster(path, UNITS)
    with pytest.raises(UnreadableFile):
        load_units(path)
    assert localise(roster.value.reason, "zh").startswith("不是 .xlsx 文件：可能是别的格式的文件改了扩展名")


def test_a_zip_bomb_is_refused_before_it_is_unpacked(tmp_path):
    template = tmp_path / "template.xlsx"
    write_template(template)
    bomb = zip_bomb(tmp_path / "题库.xlsx", template, MAX_UNPACKED_MB + 10)
    assert bomb.stat().st_size < 2_000_000
    records, problems = read_xlsx(bomb, show_progress=False)
    assert not records and len(problems) == 1
    assert localise(problems[0].reason, "zh").startswith(f"解压后有 {MAX_UNPACKED_MB + 10} MB，超过 {MAX_UNPACKED_MB} MB")
    roster = zip_bomb(tmp_path / "名册.xlsx", _workbook(tmp_path / "r.xlsx", [["工号", "姓名", "单位"], ["A1", "甲", "u1"]]),
                   MAX_UNPACKED_MB + 10)
    with pytest.raises(UnreadableFile, match="unpacks to"):
        load_roster(roster, UNITS)


def test_a_roster_header_without_a_required_column_is_one_error(tmp_path):
    rows = [["工号", "单位"]] + [[f"A{i}", "u1"] for i in range(50)]
    people, errors = load_roster(_workbook(tmp_path / "名册.xlsx", rows), UNITS)
    assert people == [] and len(errors) == 1  # not one per row
    assert errors[0].row == 1 and localise(errors[0].reason, "zh") == "表头中没有“姓名”列"
    units, errors = load_units(_workbook(tmp_path / "单位.xlsx", [["名称", "上级"], ["市局", ""]]))
    assert units == [] and localise(errors[0].reason, "zh") == "表头中没有“编号”列"


def test_bank_sheet_with_a_header_only_or_another_table_says_so(tmp_path):
    template = tmp_path / "template.xlsx"
    write_template(template)
    from openpyxl import load_workbook

    book = load_workbook(template)
    book["题库"].delete_rows(2, 10)
    book.save(tmp_path / "header.xlsx")
    _records, problems = read_xlsx(tmp_path / "header.xlsx", show_progress=False)
    assert [problem_text(p, "zh") for p in problems] == ["header.xlsx 工作表“题库”：只有表头，下面没有试题"]
    roster = _workbook(tmp_path / "名册.xlsx", [["工号", "姓名", "单位"], ["A1", "甲", "u1"]])
    _records, problems = read_xlsx(roster, show_progress=False)
    assert [localise(p.reason, "zh") for p in problems] == ["表头中没有“题型/题干/答案/解析/依据”列"]
    csv_header = tmp_path / "header.csv"
    csv_header.write_text("题型,题干,选项A,选项B,答案,解析,依据\n", encoding="utf-8")
    _records, problems = read_csv(csv_header, show_progress=False)
    assert [localise(p.reason, "zh") for p in problems] == ["只有表头，下面没有试题"]
    csv_roster = tmp_path / "名册.csv"
    csv_roster.write_text("工号,姓名,单位\nA1,甲,u1\n", encoding="utf-8")
    _records, problems = read_csv(csv_roster, show_progress=False)
    assert [localise(p.reason, "zh") for p in problems] == ["表头中没有“题型/题干/答案/解析/依据”列"]


def test_aiken_written_with_a_chinese_colon_and_full_width_letter_is_read_as_aiken(tmp_path):
    from bot.bootstrap import load_checked_catalog
    from bot.catalog.bank_io import read_questions
    from tests.support.transcript import REPO

    path = tmp_path / "题库.txt"  # .txt: GIFT or Aiken, told apart by the ANSWER line
    path.write_text("行政机关实施行政处罚，对违法事实不清、证据不足的，应当如何处理？\nA. 从轻处罚\nB. 不得给予行政处罚\n"
                    "C. 减轻处罚\nANSWER：Ｂ\n解析：《行政处罚法》第四十条规定，违法事实不清、证据不足的，不得给予行政处罚。\n"
                    "依据：《行政处罚法》第四十条\n", encoding="utf-8")
    result = read_questions(path, load_checked_catalog(REPO).laws, show_progress=False)
    assert not result.problems, [localise(p.reason, "zh") for p in result.problems]
    assert [sorted(q.answer) for q in result.questions] == [[1]]


def test_a_password_protected_workbook_or_old_xls_is_named_as_such(tmp_path):
    """Excel saves a workbook with an opening password (and every .xls) as an OLE2 compound file,
    not a zip: the admin is told to remove the password and save as .xlsx."""
    path = tmp_path / "加密.xlsx"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(4088))
    _records, problems = read_xlsx(path, show_progress=False)
    assert [localise(p.reason, "zh") for p in problems] == [
        "这是设了打开密码的工作簿或旧版 .xls 文件，不是 .xlsx：请在 Excel 中取消密码并另存为 .xlsx 后再导入"]
    with pytest.raises(UnreadableFile) as roster:
        load_roster(path, UNITS)
    assert localise(roster.value.reason, "zh").startswith("这是设了打开密码的工作簿")


def test_a_roster_saved_as_unicode_text_or_with_tabs_or_semicolons_is_read(tmp_path):
    """Excel's 'Unicode text' is tab-separated UTF-16 with a BOM; European Excel separates with ';'."""
    table = [["工号", "姓名", "单位"], ["A1", "甲", "u1"], ["A2", "乙", "一处"]]
    for name, separator, encoding in (("unicode.txt", "\t", "utf-16"), ("tabs.csv", "\t", "utf-8"),
                                      ("semicolons.csv", ";", "gb18030")):
        path = tmp_path / name
        path.write_bytes("\r\n".join(separator.join(row) for row in table).encode(encoding))
        people, errors = load_roster(path, UNITS)
        assert not errors and [(p.staff_no, p.name, p.unit_id) for p in people] == [("A1", "甲", "u1"), ("A2", "乙", "u1")], name


def test_yaml_roster_and_units_with_chinese_keys_and_broken_yaml(tmp_path):
    roster = tmp_path / "名册.yaml"
    roster.write_text("roster:\n  - {工号: A1, 姓名: 甲, 单位: u1}\n  - staff_no: A2\n    name: 乙\n    unit: 一处\n", encoding="utf-8")
    people, errors = load_roster(roster, UNITS)
    assert not errors and [(p.staff_no, p.name, p.unit_id) for p in people] == [("A1", "甲", "u1"), ("A2", "乙", "u1")]
    units = tmp_path / "单位.yaml"
    units.write_text("units:\n  - 编号: city\n    名称: 市局\n    children:\n      - {编号: c1, 名称: 一处}\n", encoding="utf-8")
    tree, errors = load_units(units)
    assert not errors and {(u.id, u.parent) for u in tree} == {("city", None), ("c1", "city")}
    units.write_text("units: [\n", encoding="utf-8")
    _tree, errors = load_units(units)
    assert len(errors) == 1 and localise(errors[0].reason, "zh").startswith("YAML 格式错误（")


def test_a_roster_csv_with_a_huge_field_or_control_characters(tmp_path):
    huge = tmp_path / "huge.csv"
    huge.write_text("工号,姓名,单位\nA1," + "甲" * 200_000 + ",u1\n", encoding="utf-8")
    people, errors = load_roster(huge, UNITS)
    assert people == [] and len(errors) == 1 and localise(errors[0].reason, "zh").startswith("CSV 格式有误")
    nul = tmp_path / "nul.csv"
    nul.write_bytes("工号,姓名,单位\nA1,\x00甲\x07,u1\n".encode())
    people, errors = load_roster(nul, UNITS)
    assert not errors and [p.name for p in people] == ["甲"]


def test_control_characters_in_bank_cells_are_dropped(tmp_path):
    path = tmp_path / "题库.csv"
    path.write_text("题型,题干,选项A,选项B,答案,解析,依据\n单选题,\"行政机关\x00实施\x1b[31m行政处罚，\r\n对违法事实不清的，应当如何处理？\","
                    "从轻处罚\x07,不得给予行政处罚,B,见第四十条。,《行政处罚法》第四十条\n", encoding="utf-8")
    records, problems = read_csv(path, show_progress=False)
    assert not problems and records[0].raw["stem"] == "行政机关实施[31m行政处罚，\n对违法事实不清的，应当如何处理？"
    assert records[0].raw["options"] == ["从轻处罚", "不得给予行政处罚"]


def test_a_merged_title_row_above_the_header_is_skipped(tmp_path):
    template = tmp_path / "template.xlsx"
    write_template(template)
    from openpyxl import load_workbook

    book = load_workbook(template)
    sheet = book["题库"]
    sheet.insert_rows(1, 2)
    sheet["A1"] = "2026年度学法考法题库（第一批）"
    sheet.merge_cells("A1:T1")
    book.save(tmp_path / "titled.xlsx")
    records, problems = read_xlsx(tmp_path / "titled.xlsx", show_progress=False)
    assert not problems and [r.row for r in records][:2] == [4, 5]
    assert "行政机关实施行政处罚" in records[0].raw["stem"]


def test_a_roster_with_a_title_row_above_the_header(tmp_path):
    path = _workbook(tmp_path / "名册.xlsx", [["2026年度学法考法人员名单"], [], ["序号", "工号", "姓名", "单位"],
                                              [1, "A1", "甲", "u1"], [2, "A2", "乙", "一处"]])
    people, errors = load_roster(path, UNITS)
    assert not errors and [p.staff_no for p in people] == ["A1", "A2"]


def test_full_width_staff_numbers_are_stored_as_typed_in_ascii(tmp_path):
    path = tmp_path / "名册.csv"
    path.write_text("工号,姓名,单位,手机尾号\nＳＬ０００１,甲,u1,１２３４\nSL0001,乙,u1,\n", encoding="utf-8")
    people, errors = load_roster(path, UNITS)
    assert [(p.staff_no, p.phone_tail) for p in people] == [("SL0001", "1234")]
    assert [localise(e.reason, "zh") for e in errors] == ["工号 SL0001 已在第 2 行出现"]  # the same number twice


def test_a_roster_with_a_merged_unit_column_says_so(tmp_path):
    """HR sheets often merge 单位 over the people of one unit: one error naming the range, not
    'unit '' is not in the unit tree' on every row under the first; a merged title is fine."""
    book = Workbook()
    sheet = book.active
    for row in (["2026年名单"], ["工号", "姓名", "单位"], ["A1", "甲", "u1"], ["A2", "乙", None], ["A3", "丙", None]):
        sheet.append(row)
    sheet.merge_cells("A1:C1")
    sheet.merge_cells("C3:C5")
    book.save(tmp_path / "名册.xlsx")
    people, errors = load_roster(tmp_path / "名册.xlsx", UNITS)
    assert people == [] and [(e.row, localise(e.reason, "zh")) for e in errors] == [
        (3, "合并单元格 C3:C5：请取消合并并逐格填写")]
    sheet.unmerge_cells("C3:C5")
    book.save(tmp_path / "名册.xlsx")
    people, errors = load_roster(tmp_path / "名册.xlsx", UNITS)
    assert [p.staff_no for p in people] == ["A1"] and len(errors) == 2  # the empty units, row by row
