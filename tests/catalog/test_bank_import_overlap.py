"""Importing a unit's bank that repeats questions the shipped bank already asks: those rows are
skipped and listed (in Chinese by default), the rest is imported and the command succeeds;
--strict refuses them as before; near-duplicates within the file stay errors. Every reason the
validators give reads in Chinese."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest
import yaml

from bot.catalog.bank_io import read_questions
from bot.catalog.bank_io.messages import localise, problem_text
from bot.catalog.catalog import load_catalog
from bot.cli import main

REPO = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).parent / "fixtures" / "import"
HEADER = ["题型", "题干", "选项A", "选项B", "选项C", "选项D", "答案", "解析", "依据"]
SHIPPED = ["判断题", "人民调解委员会调解民间纠纷，不收取任何费用。", "", "", "", "", "正确",
           "《人民调解法》第四条规定，“人民调解委员会调解民间纠纷，不收取任何费用。”", "《人民调解法》第四条"]
NEW = ["单选题", "网络运营者按照网络安全等级保护制度的要求，留存相关网络日志的期限不得少于多久？", "一个月", "三个月",
       "六个月", "一年", "C", "《网络安全法》第二十一条规定网络运营者应当按照规定留存相关的网络日志不少于六个月。",
       "《网络安全法》第二十一条"]


@pytest.fixture
def root(tmp_path):
    copy = tmp_path / "root"
    for part in ("content/laws", "quizzes/bank"):
        shutil.copytree(REPO / part, copy / part)
    return copy


@pytest.fixture(autouse=True)
def chinese(monkeypatch):
    for name in ("LAWBOT_LANG", "LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")


def bank_csv(path: Path, *rows: list[str]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return path


def imported(root: Path) -> list[dict]:
    target = root / "quizzes" / "bank" / "imported.yaml"
    return yaml.safe_load(target.read_text(encoding="utf-8"))["questions"] if target.exists() else []


def test_rows_already_in_the_bank_are_skipped_and_the_rest_imports(tmp_path, root, capsys):
    file = bank_csv(tmp_path / "unit.csv", NEW, SHIPPED)
    code = main(["bank", "import", str(file), "--content", str(root)])
    out, err = capsys.readouterr()
    assert code == 0, out + err
    assert "unit.csv 第3行与已有题目 rmtj-0001 重复，已跳过" in out
    assert "导入：读取 2 题，1 题通过检查，0 行有问题，1 题与已有题目重复。" in out
    assert "新增 1 题，更新 0 题" in out
    assert [q["stem"] for q in imported(root)] == [NEW[1]]


def test_strict_keeps_refusing_them(tmp_path, root, capsys):
    file = bank_csv(tmp_path / "unit.csv", NEW, SHIPPED)
    assert main(["bank", "import", str(file), "--content", str(root), "--strict"]) == 1
    out, err = capsys.readouterr()
    assert "unit.csv 第3行 B (题干) 列：题干与题库中的 rmtj-0001（quizzes/bank/renmin-tiaojie.yaml:2）几乎相同" in out
    assert "未导入任何试题" in err and imported(root) == []


def test_near_duplicates_within_the_file_stay_errors(tmp_path, root, capsys):
    again = NEW[:]
    again[1] = NEW[1].rstrip("？")
    file = bank_csv(tmp_path / "twice.csv", NEW, again)
    assert main(["bank", "import", str(file), "--content", str(root)]) == 1
    out, _ = capsys.readouterr()
    assert "第3行 B (题干) 列：题干与第 2 行（编号 imp-" in out and "几乎相同（相似度 " in out
    assert imported(root) == []


def test_english_on_request(tmp_path, root, capsys):
    file = bank_csv(tmp_path / "unit.csv", NEW, SHIPPED)
    assert main(["--lang", "en", "bank", "import", str(file), "--content", str(root), "--dry-run"]) == 0
    out, _ = capsys.readouterr()
    assert "unit.csv, row 3: repeats rmtj-0001, already in the bank; skipped" in out


@pytest.mark.parametrize("name", ["bank.gift", "bank-aiken.txt", "shift-jis.csv"])
def test_every_reason_reads_in_chinese(name, root):
    catalog, _ = load_catalog(root)
    result = read_questions(FIXTURES / name, catalog.laws, show_progress=False, existing=catalog.questions)
    assert result.problems
    for problem in result.problems:
        assert localise(problem.reason, "zh") != problem.reason, problem.reason
        line = problem_text(problem, "zh")
        assert "row" not in line and "line" not in line and "column" not in line, line


def test_build_question_reasons_read_in_chinese(tmp_path, root):
    rows = [["单选题", "甲乙丙丁哪个对？", "甲", "乙", "", "", "E", "见《网络安全法》第八条。", "《网络安全法》第八条"],
            ["多选题", "下列哪些说法正确？", "甲", "乙", "丙", "丁", "A", "见《网络安全法》第八条。", "《网络安全法》第八条"],
            ["单选题", "哪个正确？", "甲", "乙", "丙", "丁", "A", "", "《网络安全法》第九百条"],
            ["填写题", "哪个对？", "甲", "乙", "丙", "丁", "A", "解析", "《刑法》第一条"]]
    catalog, _ = load_catalog(root)
    result = read_questions(bank_csv(tmp_path / "bad.csv", *rows), catalog.laws, show_progress=False)
    assert len(result.problems) >= 5
    for problem in result.problems:
        assert localise(problem.reason, "zh") != problem.reason, problem.reason
