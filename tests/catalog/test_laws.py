"""Statute parsing: articles, paragraphs, headers, the joined Civil Code."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.catalog.laws import LawLibrary, parse_law

LAWS = Path(__file__).resolve().parents[2] / "content" / "laws"


@pytest.fixture(scope="module")
def library() -> LawLibrary:
    return LawLibrary.load(LAWS)


def test_every_shipped_law_parses_with_gapless_numbering(library):
    assert len(library.laws) == 41
    for law in library.laws.values():
        assert sorted(law.articles) == list(range(1, law.max_article + 1)), law.short_name


def test_article_keeps_its_paragraphs_and_drops_headings(library):
    article = library.article("民法典", 1254)
    assert article.label == "第一千二百五十四条"
    assert article.text.startswith("第一千二百五十四条 禁止从建筑物中抛掷物品。")
    assert article.text.count("\n") == 2  # three paragraphs
    assert "#" not in article.text and "章" not in article.text.splitlines()[-1][:3]
    assert article.chapter == "第十章 建筑物和物件损害责任"


def test_civil_code_book_headers_do_not_leak_into_articles(library):
    last_of_marriage_book = library.article("民法典", 1118)
    assert "继承编" not in last_of_marriage_book.text and "INFO END" not in last_of_marriage_book.text
    assert library.get("民法典").max_article == 1260


def test_names_with_and_without_prefix(library):
    assert library.get("中华人民共和国行政处罚法") is library.get("行政处罚法")
    assert library.get("《行政处罚法》") is library.get("行政处罚法")
    assert library.get("行政处罚法").revision == "2021年1月22日"


def test_revision_is_the_last_enacting_date_or_the_source_table_date(library):
    assert library.get("民法典").revision == "2020年5月28日"  # not the 施行 (in force) date 2021年1月1日
    assert library.get("政府信息公开条例").revision == "2019年4月3日"
    assert library.get("法规规章备案审查条例").revision == "2024年8月30日"  # no dated header: SOURCE.md's table
    assert [name for name, law in library.laws.items() if not law.revision] == []
    assert library.article("行政处罚法", 33).body.startswith("违法行为轻微并及时改正")


def test_quirks_zero_width_and_force_break(library):
    constitution = parse_law(LAWS / "中华人民共和国宪法.md")
    assert constitution.max_article == 143
    assert all("FORCE BREAK" not in a.text for a in constitution.articles.values())
    review_law = library.get("行政复议法")
    assert "\u200b" not in review_law.articles[1].text
