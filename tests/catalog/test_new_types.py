"""填空 and 材料题 in content check, bank import and export (xlsx, csv, GIFT, Aiken, YAML)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from bot.catalog.bank_io import export_questions, read_questions
from bot.catalog.bank_io.columns import HEADERS
from bot.catalog.catalog import load_catalog
from bot.catalog.check import check_content
from bot.domain.models import QType

REPO = Path(__file__).resolve().parents[2]
BROKEN = Path(__file__).parent / "fixtures" / "broken"
SHOWN = "quizzes/bank/broken-types.yaml"


@pytest.fixture(scope="module")
def catalog():
    loaded, _problems = load_catalog(REPO)
    return loaded


def test_content_check_reports_each_broken_fill_and_material_rule():
    _, problems = check_content(BROKEN)
    messages = [str(p) for p in problems if p.path == SHOWN]
    expected = [
        (":3:", "a fill stem needs at least one blank written ____"),
        (":9:", "the stem has 2 blank(s) but the answer lists 1"),
        (":15:", "accepted answer '2' is a single digit"),
        (":21:", "accepted answer '二 年' contains a space or list punctuation"),
        (":27:", "fill questions take no options"),
        (":34:", "a material needs 2 to 5 sub-questions under subs:, got 1"),
        (":47:", "sub-question 1: a material's sub-question must be single, multiple or judge, not fill"),
        (":57:", "sub-question 3: cites 行政处罚法 article 4200, which does not exist"),
        (":63:", "empty material (the case text)"),
    ]
    for where, reason in expected:
        assert any(where in m and reason in m for m in messages), (where, reason, messages)
    # a sub-question's quoted text is checked against its own article, like any question
    assert any("mat-quote.1: explanation quotes “执法人员一人即可”" in str(p) for p in problems)


def test_shipped_new_types_are_real_and_cite_existing_articles(catalog):
    fills = [q for q in catalog.question_list if q.type is QType.FILL]
    materials = [q for q in catalog.question_list if q.type is QType.MATERIAL]
    assert len(fills) >= 40 and len(materials) >= 12
    assert all(2 <= len(m.subs) <= 5 for m in materials)
    for q in fills + [s for m in materials for s in m.subs]:
        assert catalog.laws.article(q.cite.law, q.cite.article) is not None
    assert {q.cite.law for q in fills} >= {"行政处罚法", "行政许可法", "行政复议法", "公职人员政务处分法", "公务员法", "刑法", "民法典"}
    # sub-questions are reachable by id (notebook, review, item analysis) but not served alone
    sub = materials[0].subs[0]
    assert catalog.questions[sub.id] is sub and sub not in catalog.question_list
    assert catalog.material_of(sub) is materials[0]


@pytest.mark.parametrize("fmt", ["xlsx", "csv", "yaml"])
def test_new_types_round_trip_through_the_spreadsheet_columns(tmp_path, catalog, fmt):
    chosen = [q for q in catalog.question_list if q.type in (QType.FILL, QType.MATERIAL)]
    path = tmp_path / f"new.{fmt}"
    export_questions(chosen, path, fmt, show_progress=False)
    result = read_questions(path, catalog.laws, show_progress=False)
    assert result.problems == []

    def plain(q):
        from dataclasses import replace
        return replace(q, origin="", subs=tuple(replace(s, origin="") for s in q.subs))

    assert [plain(q) for q in result.questions] == [plain(q) for q in chosen]
    if fmt == "csv":
        with path.open(encoding="utf-8-sig", newline="") as source:
            rows = list(csv.DictReader(source))
        material = next(q for q in chosen if q.type is QType.MATERIAL)
        group = [r for r in rows if r[HEADERS["material_id"]] == material.id]
        assert len(group) == len(material.subs)
        assert group[0][HEADERS["material"]] == material.stem and group[1][HEADERS["material"]] == ""
        fill_row = next(r for r in rows if r[HEADERS["type"]] == "填空题" and "；" in r[HEADERS["answer"]])
        assert "|" in "".join(r[HEADERS["answer"]] for r in rows if r[HEADERS["type"]] == "填空题")
        assert fill_row[HEADERS["stem"]].count("____") == fill_row[HEADERS["answer"]].count("；") + 1


def test_spreadsheet_material_errors_point_at_the_row(tmp_path, catalog):
    header = ["题型", "题干", "选项A", "选项B", "答案", "解析", "依据", "材料编号", "材料"]
    rows = [
        header,
        ["判断题", "当事人有权进行陈述和申辩。", "", "", "对", "《行政处罚法》第四十五条。", "行政处罚法 45", "m1", "某局拟处罚某公司。"],
        ["单选题", "拟作出较大数额罚款的，应当告知什么权利？", "要求听证的权利", "申请仲裁的权利", "C",
         "《行政处罚法》第六十三条。", "行政处罚法 63", "m1", ""],
        ["填空题", "执法人员不得少于____人。", "", "", "两；二", "《行政处罚法》第四十二条。", "行政处罚法 42", "", ""],
        ["判断题", "只有一个小题。", "", "", "错", "《行政处罚法》第四十二条。", "行政处罚法 42", "m2", "材料二。"],
    ]
    path = tmp_path / "bad.csv"
    with path.open("w", encoding="utf-8", newline="") as out:
        csv.writer(out).writerows(rows)
    result = read_questions(path, catalog.laws, show_progress=False)
    found = {(p.row, p.reason) for p in result.problems}
    assert any(row == 3 and "sub-question 2: answer 'C' is not among the options" in reason for row, reason in found), found
    assert any(row == 4 and "the stem has 1 blank(s) but the answer lists 2" in reason for row, reason in found), found
    assert any(row == 5 and "a material needs 2 to 5 sub-questions" in reason for row, reason in found), found
    assert result.questions == [] and result.bad_rows == 3


def test_gift_carries_one_blank_fill_as_short_answer_and_says_what_it_leaves_out(tmp_path, catalog):
    one = next(q for q in catalog.question_list if q.type is QType.FILL and len(q.blanks) == 1 and len(q.blanks[0]) > 1)
    two = next(q for q in catalog.question_list if q.type is QType.FILL and len(q.blanks) == 2)
    material = next(q for q in catalog.question_list if q.type is QType.MATERIAL)
    path = tmp_path / "b.gift"
    notes = export_questions([one, two, material], path, "gift", show_progress=False)
    text = path.read_text(encoding="utf-8")
    assert " ".join("=" + a for a in one.blanks[0]) in text and two.id not in text and material.id not in text
    assert "注意：1 道有多个空的填空题无法用 GIFT 格式表示，未导出（GIFT 的简答题只有一个空）" in notes
    assert "注意：1 道材料题无法用 GIFT 格式表示，未导出（请改用 xlsx、csv 或 yaml）" in notes
    result = read_questions(path, catalog.laws, show_progress=False)
    assert result.problems == [] and [q.blanks for q in result.questions] == [one.blanks]
    assert result.questions[0].stem == one.stem
    # Moodle's own short answer, written by hand
    hand = tmp_path / "hand.gift"
    hand.write_text("// 依据: 行政处罚法 10\n::h1::限制人身自由的行政处罚，只能由{=法律 ####《行政处罚法》第十条。}设定。\n",
                    encoding="utf-8")
    result = read_questions(hand, catalog.laws, show_progress=False)
    assert result.problems == [] and result.questions[0].stem == "限制人身自由的行政处罚，只能由____设定。"


def test_aiken_says_fill_and_material_are_not_representable(tmp_path, catalog):
    chosen = [q for q in catalog.question_list if q.type in (QType.FILL, QType.MATERIAL, QType.SINGLE)][:2000]
    fills = sum(q.type is QType.FILL for q in chosen)
    materials = sum(q.type is QType.MATERIAL for q in chosen)
    path = tmp_path / "b.txt"
    notes = export_questions(chosen, path, "aiken", show_progress=False)
    assert f"注意：{fills} 道填空题无法用 Aiken 格式表示，未导出（请改用 xlsx、csv 或 yaml）" in notes
    assert f"注意：{materials} 道材料题无法用 Aiken 格式表示，未导出（请改用 xlsx、csv 或 yaml）" in notes
    assert path.read_text(encoding="utf-8").count("ANSWER:") == len(chosen) - fills - materials
