"""Citing inserted articles (刑法 第一百三十三条之一): YAML questions, cases, imported banks,
exports and the quoted-text check all treat them as articles of their own."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from openpyxl import Workbook

from bot.catalog.bank_io import export_questions, read_questions
from bot.catalog.check import unquoted_spans
from bot.catalog.guides import load_case
from bot.catalog.laws import LawLibrary
from bot.catalog.questions import build_question, parse_cite
from bot.domain.models import Citation
from bot.domain.numerals import ArticleNo
from bot.search.lawref import parse_ref

LAWS = Path(__file__).resolve().parents[2] / "content" / "laws"
DRUNK = "“醉酒驾驶机动车的”"  # a phrase of 刑法 133之一 only
HEADER = ["题型", "题干", "选项A", "选项B", "选项C", "选项D", "答案", "解析", "依据"]


@pytest.fixture(scope="module")
def laws() -> LawLibrary:
    return LawLibrary.load(LAWS)


@pytest.mark.parametrize("value", [
    {"law": "刑法", "article": "133之一"}, {"law": "《刑法》", "article": "第一百三十三条之一"},
    "《刑法》第一百三十三条之一", "刑法 133之一", "刑法133之一",
])
def test_cite_forms_for_an_inserted_article(value):
    assert parse_cite(value) == ("刑法", ArticleNo(133, 1))


def test_plain_cites_stay_plain_ints():
    assert parse_cite({"law": "刑法", "article": 133}) == ("刑法", 133)
    assert type(parse_cite("《刑法》第一百三十三条")[1]) is int
    assert parse_cite({"law": "刑法", "article": "133-1"}) is None


def _judge(article) -> dict:
    return {"id": "t-1", "type": "judge", "stem": "醉酒驾驶机动车的，构成危险驾驶罪。", "answer": True,
            "explanation": f"刑法规定，在道路上驾驶机动车，{DRUNK}，处拘役，并处罚金。",
            "cite": {"law": "刑法", "article": article}}


def test_question_cites_must_name_an_existing_inserted_article(laws):
    question, problems = build_question(_judge("133之一"), "x.yaml", laws)
    assert problems == [] and question.cite == Citation("刑法", ArticleNo(133, 1))
    question, problems = build_question(_judge("133之三"), "x.yaml", laws)
    assert question is None and "cites 刑法 article 133之三, which does not exist" in problems[0].reason


def test_quoted_text_must_be_in_the_cited_article_not_its_neighbour(laws):
    question, _ = build_question(_judge("133之一"), "x.yaml", laws)
    assert unquoted_spans(question.explanation, [question.cite], laws) == []
    assert unquoted_spans(question.explanation, [Citation("刑法", 133)], laws) == ["醉酒驾驶机动车的"]


def test_case_cites_an_inserted_article(tmp_path, laws):
    path = tmp_path / "case.yaml"
    path.write_text(yaml.safe_dump({
        "id": "zuijia", "title": "喝了酒开车", "topic": "刑法", "facts": "某甲酒后驾车被查。", "question": "构成什么罪？",
        "analysis": f"刑法第一百三十三条之一把{DRUNK}列为危险驾驶。", "takeaway": "喝酒不开车。",
        "cite": [{"law": "刑法", "article": "第一百三十三条之一"}, {"law": "刑法", "article": "287之二"}],
    }, allow_unicode=True), encoding="utf-8")
    case, problems = load_case(path, "case.yaml", laws)
    assert problems == [] and case.cites == (Citation("刑法", ArticleNo(133, 1)), Citation("刑法", ArticleNo(287, 2)))


def _xlsx(path: Path, rows: list[list]) -> Path:
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    workbook.save(path)
    return path


def test_bank_import_reads_inserted_articles_and_checks_their_text(tmp_path, laws):
    explanation = f"《刑法》第一百三十三条之一规定，在道路上驾驶机动车，{DRUNK}，处拘役，并处罚金。"
    rows = [HEADER,
            ["判断题", "醉酒驾驶机动车的，处拘役，并处罚金。", None, None, None, None, "正确", explanation,
             "《刑法》第一百三十三条之一"],
            ["判断题", "醉驾的人应当处拘役并处罚金，对吗？", None, None, None, None, "正确", explanation, "《刑法》第一百三十三条"],
            ["判断题", "帮助信息网络犯罪活动的行为是犯罪吗？", None, None, None, None, "正确",
             "《刑法》第二百八十七条之二规定了帮助信息网络犯罪活动的刑事责任。", "刑法 287之二"]]
    result = read_questions(_xlsx(tmp_path / "in.xlsx", rows), laws, show_progress=False)
    assert [str(p) for p in result.problems] == [
        "in.xlsx, sheet Sheet, row 3, column H (解析): explanation quotes “醉酒驾驶机动车的”, which is not in 刑法 article 133"]
    assert [q.cite for q in result.questions] == [Citation("刑法", ArticleNo(133, 1)), Citation("刑法", ArticleNo(287, 2))]
    for fmt in ("xlsx", "yaml", "gift", "csv"):
        out = tmp_path / f"out.{fmt}"
        export_questions(result.questions, out, fmt, show_progress=False)
        again = read_questions(out, laws, show_progress=False)
        assert again.problems == [] and [q.cite for q in again.questions] == [q.cite for q in result.questions], fmt
    exported = (tmp_path / "out.yaml").read_text(encoding="utf-8")
    assert "article: 133之一" in exported and "article: 287之二" in exported
    assert "《刑法》第一百三十三条之一" in (tmp_path / "out.csv").read_text(encoding="utf-8-sig")


@pytest.mark.parametrize("typed, label", [
    ("刑法 133之一", "第一百三十三条之一"), ("刑法第一百三十三条之一", "第一百三十三条之一"),
    ("《刑法》第287条之二", "第二百八十七条之二"), ("刑法 276之一", "第二百七十六条之一"), ("刑法 133", "第一百三十三条"),
])
def test_typed_references_resolve_to_the_inserted_article(laws, typed, label):
    ref = parse_ref(laws, typed)
    assert ref.law.short_name == "刑法" and ref.law.articles[ref.number].label == label
