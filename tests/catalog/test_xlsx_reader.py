"""The streaming .xlsx reader gives the values openpyxl gives, and refuses forged files plainly."""

from __future__ import annotations

import zipfile
from pathlib import Path

from openpyxl import Workbook, load_workbook
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont

from bot.catalog.bank_io.xlsx import _Package, _scan_sheet, read_xlsx


def _workbook(path: Path) -> Path:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "题库"
    sheet.append([None])
    sheet.append([])
    sheet.append(["题型", "题干", "选项A", None, "答案", "难度", "分值", "标签"])
    sheet.append(["单选", "题干一", "a", "b", "A", 2, 1.5, True])
    sheet["B5"] = CellRichText(["富", TextBlock(InlineFont(b=True), "文本"), "题干"])
    sheet["E5"], sheet["G5"], sheet["H5"] = "对", False, "x_x005F_y"
    sheet["E7"] = "=A1"
    sheet.merge_cells("C8:D9")
    workbook.create_sheet("说明").append(["题型", "题干"])
    workbook.save(path)
    return path


def _trimmed(row):
    row = list(row)
    while row and row[-1] is None:
        row.pop()
    return tuple(row)


def test_rows_merged_and_formula_cells_match_openpyxl(tmp_path):
    path = _workbook(tmp_path / "w.xlsx")
    expected = [_trimmed(r) for r in load_workbook(path, read_only=True)["题库"].iter_rows(values_only=True)]
    with zipfile.ZipFile(path) as archive:
        package = _Package(archive)
        assert [title for title, _ in package.sheets] == ["题库", "说明"]
        rows, merged, formulas = _scan_sheet(archive, package.sheets[0][1], package.strings, "w.xlsx", False)
    assert rows == expected
    assert rows[4][1] == "富文本题干" and rows[3][7] is True and rows[3][6] == 1.5
    assert merged == [("C", 8, "C8:D9")] and formulas == {("E", 7)}


def test_forged_row_number_is_refused_plainly(tmp_path):
    path = _workbook(tmp_path / "w.xlsx")
    forged = tmp_path / "forged.xlsx"
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(forged, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b'<row r="4"', b'<row r="999999999"')
            target.writestr(item, data)
    records, problems = read_xlsx(forged, show_progress=False)
    assert records == [] and [str(p) for p in problems] == ["forged.xlsx: not a readable .xlsx file (ValueError)"]


def test_date_cells_read_as_the_date_excel_shows(tmp_path):
    """A date typed into a text cell (答案, 题干, 选项) is stored as its serial number (45293) with a
    date style: it is read as Excel shows it, not as the number. Plain numbers stay numbers."""
    import datetime as dt

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["题型", "题干", "选项A", "选项B", "答案", "难度", "解析", "依据"])
    sheet.append(["填空", "《民法典》公布于____。", None, None, dt.date(2020, 5, 28), 2, "见公布令。", "民法典 1260"])
    sheet["E2"].number_format = 'yyyy"年"m"月"d"日"'
    sheet.append(["单选", "哪一天？", dt.datetime(2024, 1, 2), dt.datetime(2024, 1, 2, 13, 30), "A", 1, "解析", "民法典 1"])
    sheet["C3"].number_format = "mm-dd-yy"  # Excel's built-in short date (its look depends on the locale)
    sheet["D3"].number_format = "yyyy/m/d h:mm"
    sheet.append(["填空", "下班时间是____。", None, None, dt.time(17, 30), 45293, "解析", "民法典 2"])
    sheet["E4"].number_format = "h:mm"
    path = tmp_path / "dates.xlsx"
    workbook.save(path)
    records, problems = read_xlsx(path, show_progress=False)
    assert problems == []
    assert records[0].raw["answer"] == "2020年5月28日"
    assert records[1].raw["options"] == ["2024-01-02", "2024/1/2 13:30"]
    assert records[2].raw["answer"] == "17:30" and records[2].raw["difficulty"] == 45293
