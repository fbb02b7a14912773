"""Unit and roster importers: YAML, CSV (UTF-8 and GBK), .xlsx, with an error per bad row."""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook

from bot.catalog.roster import load_roster, load_units

REPO = Path(__file__).resolve().parents[2]


def test_shipped_example_tree_and_roster_load_cleanly():
    units, errors = load_units(REPO / "content" / "org" / "units.yaml")
    assert not errors and len(units) == 9
    assert {u.id: u.parent for u in units}["shili-dx-sfj"] == "shili-dx"
    people, errors = load_roster(REPO / "content" / "org" / "roster.csv", {u.id: u.name for u in units})
    assert not errors and len(people) == 10
    assert {p.staff_no: p.unit_id for p in people}["SL0005"] == "shili-gaj"  # unit given by name


def test_unit_errors_name_the_row(tmp_path):
    path = tmp_path / "units.csv"
    path.write_text("编号,名称,上级\nroot,市,\na,甲,root\na,重复,root\nb,,root\nc,丙,nowhere\nd d,丁,root\n"
                    "x,X,y\ny,Y,x\n", encoding="utf-8")
    units, errors = load_units(path)
    text = "\n".join(map(str, errors))
    assert "units.csv:4: unit a is already on row 3" in text
    assert "units.csv:5: unit b has no name" in text
    assert "units.csv:6: unknown parent unit 'nowhere'" in text
    assert "units.csv:7: unit id 'd d'" in text
    assert "is its own ancestor" in text
    assert {u.id for u in units} >= {"root", "a"}


def test_roster_errors_per_row_gbk_csv(tmp_path):
    path = tmp_path / "roster.csv"
    path.write_text("工号,姓名,单位,身份,手机尾号\nS1,甲,u1,公务员,1234\nS1,乙,u1,,\nS3,,u1,,\nS4,丁,无此单位,,\n"
                    "S5,戊,u1,,12ab\nS6,己,同名,,\n", encoding="gb18030")
    people, errors = load_roster(path, {"u1": "一处", "u2": "同名", "u3": "同名"})
    text = "\n".join(map(str, errors))
    assert [p.staff_no for p in people] == ["S1"]
    assert "roster.csv:3: staff number S1 is already on row 2" in text
    assert "roster.csv:4: name missing" in text
    assert "roster.csv:5: unit '无此单位' is not in the unit tree" in text
    assert "roster.csv:6: phone_tail" in text
    assert "roster.csv:7: unit '同名' is ambiguous" in text


def test_roster_from_xlsx(tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.append(["工号", "姓名", "单位", "身份"])
    sheet.append([1001, "甲", "u1", "公务员"])  # a number cell: 1001, not 1001.0
    sheet.append([None, None, None, None])
    sheet.append(["1002", "乙", "u1", None])
    path = tmp_path / "roster.xlsx"
    book.save(path)
    people, errors = load_roster(path, {"u1": "一处"})
    assert not errors and [p.staff_no for p in people] == ["1001", "1002"]
