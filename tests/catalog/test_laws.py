"""Statute parsing: articles, paragraphs, headers, the joined Civil Code."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.catalog.laws import LawLibrary, parse_law
from bot.domain.numerals import ArticleNo

LAWS = Path(__file__).resolve().parents[2] / "content" / "laws"


@pytest.fixture(scope="module")
def library() -> LawLibrary:
    return LawLibrary.load(LAWS)


def test_every_shipped_law_parses_with_gapless_numbering(library):
    files = [p for p in LAWS.glob("*.md") if p.name != "SOURCE.md"]
    assert len(library.laws) == len(files) >= 77
    for law in library.laws.values():
        numbers = list(law.articles)
        assert numbers == sorted(numbers), law.short_name  # file order is numeric order
        plain = [n for n in numbers if not isinstance(n, ArticleNo)]
        assert plain == list(range(1, law.max_article + 1)), law.short_name
        for n in numbers:  # 第X条之二 follows 第X条之一, which follows 第X条
            if isinstance(n, ArticleNo):
                assert (n.number if n.sub == 1 else ArticleNo(n.number, n.sub - 1)) in law.articles, (law.short_name, n)


def test_inserted_articles_are_their_own_articles(library):
    criminal = library.get("刑法")
    inserted = [n for n in criminal.articles if isinstance(n, ArticleNo)]
    text = (LAWS / "中华人民共和国刑法.md").read_text(encoding="utf-8")
    assert len(inserted) == len(re.findall(r"^第[零一二三四五六七八九十百千]+条之[一二三四五六七八九十]+\s", text, re.M)) == 53
    assert criminal.max_article == 452 and len(criminal.articles) == 452 + 53
    drunk = library.article("刑法", ArticleNo(133, 1))
    assert drunk.label == "第一百三十三条之一" and drunk.number == ArticleNo(133, 1)
    assert drunk.text.startswith("第一百三十三条之一 在道路上驾驶机动车") and "醉酒驾驶机动车的" in drunk.text
    assert drunk.body.startswith("在道路上驾驶机动车") and drunk.chapter == criminal.articles[133].chapter
    traffic = library.article("刑法", 133)
    assert traffic.label == "第一百三十三条" and "醉酒" not in traffic.text and traffic.text.endswith("处七年以上有期徒刑。")
    assert library.article("刑法", ArticleNo(287, 2)).text.startswith("第二百八十七条之二 明知他人利用信息网络实施犯罪")
    assert "第二百八十七条之二" not in library.article("刑法", ArticleNo(287, 1)).text
    assert library.article("刑法", ArticleNo(133, 3)) is None
    order = list(criminal.articles)
    assert order[order.index(133) + 1:order.index(134) + 1] == [ArticleNo(133, 1), ArticleNo(133, 2), 134]


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
