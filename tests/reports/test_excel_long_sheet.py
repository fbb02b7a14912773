"""A long sheet is written as XML text (bot/reports/excel.py): the cells read back are those
openpyxl writes for the same rows (an empty text is no value, a float has 16 significant digits),
and text that XML cannot hold as is stays readable."""

from __future__ import annotations

import io

import openpyxl

from bot.reports import excel
from bot.reports.excel import NUMBER, PERCENT, Column, Sheet, build_workbook


def _sheets(rows: int) -> list[Sheet]:
    people = [[f"S{i:05d}", "a&b <c> " if i % 7 == 0 else f"示例{i}", "第一局", 36 + i % 3,
               None if i % 4 == 0 else 1.25 * i, 0.5 if i % 2 else (0.1 + 0.2 if i % 3 else None),
               "=1+1" if i == 3 else ("" if i % 5 == 0 else "是")]
              for i in range(rows)]
    columns = [Column("工号", 12), Column("姓名"), Column("单位"), Column("积分"), Column("学时", 8, NUMBER),
               Column("比例", 8, PERCENT), Column("通过")]
    summary = Sheet("汇总", [Column("单位"), Column("参学率", 8, PERCENT)], [["甲", 0.5], ["合计", 0.75]],
                    bold_rows={1}, title="标题")
    return [summary, Sheet("人员", columns, people), Sheet("题目", [Column("题")], [["q1"]])]


def _cells(data: bytes) -> dict[str, list]:
    book = openpyxl.load_workbook(io.BytesIO(data))
    return {ws.title: [[(c.value, c.number_format, c.font.b) for c in row] for row in ws.iter_rows()]
            for ws in book.worksheets}


def test_a_long_sheet_reads_back_as_openpyxl_writes_it(monkeypatch):
    monkeypatch.setattr(excel, "FAST_ROWS", 10)
    fast = build_workbook(_sheets(50))
    monkeypatch.setattr(excel, "FAST_ROWS", 10**9)
    slow = build_workbook(_sheets(50))
    assert fast != slow  # the long sheet did go the other way
    got, want = _cells(fast), _cells(slow)
    assert got == want
    people = got["人员"]
    assert len(people) == 51 and people[1][1][0] == "a&b <c> " and people[2][4] == (1.25, NUMBER, False)


def test_text_xml_cannot_hold_is_dropped_not_refused(monkeypatch):
    monkeypatch.setattr(excel, "FAST_ROWS", 1)
    sheet = Sheet("人员", [Column("a"), Column("b")], [["x\x01y", 1], [" 前后空格 ", float("nan")]])
    rows = _cells(build_workbook([sheet]))["人员"]
    assert [[v for v, _f, _b in row] for row in rows] == [["a", "b"], ["xy", 1], [" 前后空格 ", None]]
