"""Article numbers with inserted articles: 第一百三十三条之一 <-> ArticleNo(133, 1)."""

from __future__ import annotations

import pytest

from bot.domain.numerals import ARTICLE_RE, ArticleNo, article_label, article_no, parse_article_ref


@pytest.mark.parametrize("text, expected", [
    ("133之一", ArticleNo(133, 1)), ("第一百三十三条之一", ArticleNo(133, 1)), ("第133条之二", ArticleNo(133, 2)),
    ("287之二", ArticleNo(287, 2)), ("第 287 条 之 二", ArticleNo(287, 2)), ("第一百二十条之六", ArticleNo(120, 6)),
    ("133", 133), ("第一百三十三条", 133), ("第133条", 133),
])
def test_parse_article_ref_reads_plain_and_inserted_articles(text, expected):
    parsed = parse_article_ref(text)
    assert parsed == expected and type(parsed) is type(expected)


@pytest.mark.parametrize("text", ["133-1", "133.1", "133之", "之一", "第一百三十三款之一", "133之1"])
def test_parse_article_ref_refuses_other_forms(text):
    assert parse_article_ref(text) is None


def test_labels_and_written_forms():
    assert article_label(ArticleNo(133, 1)) == "第一百三十三条之一"
    assert article_label(ArticleNo(120, 6)) == "第一百二十条之六"
    assert article_label(133) == "第一百三十三条"
    assert str(ArticleNo(287, 2)) == "287之二"
    assert parse_article_ref(str(ArticleNo(287, 2))) == ArticleNo(287, 2)
    assert parse_article_ref(article_label(ArticleNo(276, 1))) == ArticleNo(276, 1)
    assert article_no(133) == 133 and type(article_no(133)) is int and article_no(133, 1) == ArticleNo(133, 1)


def test_order_equality_and_dict_keys_mix_with_plain_ints():
    assert sorted([134, ArticleNo(133, 2), 133, ArticleNo(133, 1), 132]) == \
        [132, 133, ArticleNo(133, 1), ArticleNo(133, 2), 134]
    assert ArticleNo(133, 1) != 133 and ArticleNo(133, 1) != 133 and ArticleNo(133, 1) != ArticleNo(133, 2)
    assert 133 < ArticleNo(133, 1) < 134 and ArticleNo(133, 2) > ArticleNo(133, 1)
    articles = {133: "交通肇事", ArticleNo(133, 1): "危险驾驶"}
    assert articles[133] == "交通肇事" and articles[ArticleNo(133, 1)] == "危险驾驶"
    assert ArticleNo(133, 0) == 133 and articles[ArticleNo(133, 0)] == "交通肇事"  # sub 0 is the plain article
    assert ArticleNo(133, 1) not in {133: 1} and ArticleNo(133, 1) != "133之一"


def test_article_line_pattern():
    assert ARTICLE_RE.match("第一百三十三条之一 在道路上驾驶机动车").groups() == ("一百三十三", "一")
    assert ARTICLE_RE.match("第二百二十条 单位犯本节").groups() == ("二百二十", None)
    assert ARTICLE_RE.match("第二百二十条之规定") is None  # no space after the label: not an article line
