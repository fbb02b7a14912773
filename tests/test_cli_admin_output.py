"""The admin command line speaks the admin's language: Chinese by default, English with --lang en.
The commands run in the test process (tests.support.cli: the environment of a child with
LANG=C.UTF-8); tests/test_startup_errors.py starts real `python -m bot` children."""

from __future__ import annotations

from pathlib import Path

from tests.support.cli import lawbot

REPO = Path(__file__).resolve().parents[1]
UNITS = str(REPO / "content/org/units.yaml")
ROSTER = str(REPO / "content/org/roster.csv")


def test_imports_and_the_stats_table_are_chinese_by_default(tmp_path):
    data = str(tmp_path)
    units = lawbot("units", "import", UNITS, "--data-dir", data)
    assert units.returncode == 0 and units.stdout.startswith("单位导入：导入 "), units.stderr
    roster = lawbot("roster", "import", ROSTER, "--data-dir", data)
    assert roster.returncode == 0 and roster.stdout.startswith("名单导入：新增 "), roster.stderr
    table = lawbot("stats", "--exam", "xuefa2026-shili", "--data-dir", data)
    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    assert lines[1].split("\t")[:4] == ["排名", "单位", "应考人数", "已注册"]
    assert lines[-1].startswith("合计\t")
    assert not any(word in table.stdout for word in ("rank", "roster", "median", "total"))
    english = lawbot("--lang", "en", "stats", "--exam", "xuefa2026-shili", "--data-dir", data)
    assert english.stdout.splitlines()[1].startswith("Rank\tUnit") and english.stdout.splitlines()[-1].startswith("Total")
    by_locale = lawbot("stats", "--exam", "xuefa2026-shili", "--data-dir", data, env={"LANG": "en_GB.UTF-8"})
    assert by_locale.stdout.splitlines()[1].startswith("Rank\tUnit")


def test_an_unknown_exam_is_named(tmp_path):
    result = lawbot("stats", "--exam", "nonexist", "--data-dir", str(tmp_path))
    assert result.returncode == 2
    assert "没有编号为 nonexist 的正式考试" in result.stderr and "xuefa2026-shili" in result.stderr


def test_bad_roster_rows_are_named_in_chinese(tmp_path):
    data = str(tmp_path / "data")
    assert lawbot("units", "import", UNITS, "--data-dir", data).returncode == 0
    roster = tmp_path / "roster.csv"
    roster.write_text("工号,姓名,单位\nA001,张三,无此单位\nA001,李四,shili-sfj\n", encoding="utf-8")
    result = lawbot("roster", "import", str(roster), "--data-dir", data)
    assert result.returncode == 1
    assert f"{roster.name}:2: 单位 '无此单位' 不在单位树中" in result.stderr
    assert "名单导入：有 1 行有误，未导入任何数据" in result.stderr
    assert "not in the unit tree" not in result.stderr


def test_a_file_that_is_no_workbook_is_one_chinese_line_not_a_traceback(tmp_path):
    data = str(tmp_path / "data")
    fake = tmp_path / "名册.xlsx"
    fake.write_text("工号,姓名,单位\nA001,张三,shili-sfj\n", encoding="utf-8")  # a CSV saved as .xlsx
    units = lawbot("units", "import", str(fake), "--data-dir", data)
    assert units.returncode == 1 and "Traceback" not in units.stderr
    assert "名册.xlsx:0: 不是 .xlsx 文件：可能是别的格式的文件改了扩展名" in units.stderr
    assert lawbot("units", "import", UNITS, "--data-dir", data).returncode == 0
    roster = lawbot("roster", "import", str(fake), "--replace", "--data-dir", data)
    assert roster.returncode == 1 and "Traceback" not in roster.stderr
    assert "名册.xlsx:0: 不是 .xlsx 文件" in roster.stderr and "未导入任何数据" in roster.stderr
    missing = lawbot("roster", "import", str(tmp_path / "nowhere.csv"), "--data-dir", data)
    assert missing.returncode == 1 and "找不到文件" in missing.stderr and "Traceback" not in missing.stderr


def test_bank_import_of_a_folder_says_it_is_a_folder(tmp_path):
    result = lawbot("bank", "import", str(tmp_path), "--dry-run")
    assert result.returncode == 2 and "是一个文件夹，请给出题库文件" in result.stderr and "找不到文件" not in result.stderr
