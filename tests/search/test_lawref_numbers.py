"""Article numbers typed after a law's name: bare Chinese numerals are an article number; a
negative or fractional number is no article (a plain answer, not a keyword search)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.bootstrap import load_checked_catalog
from bot.domain.numerals import ArticleNo
from bot.search.lawref import parse_ref
from tests.support.cli import lawbot

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def laws():
    return load_checked_catalog(REPO).laws


@pytest.mark.parametrize("typed, law, number", [
    ("民法典 一千二百五十四", "民法典", 1254),
    ("民法典一千二百五十四", "民法典", 1254),
    ("宪法 一", "宪法", 1),
    ("行政处罚法 三十三", "行政处罚法", 33),
    ("刑法 一百三十三之一", "刑法", ArticleNo(133, 1)),
])
def test_bare_chinese_numerals_are_an_article_number(laws, typed, law, number):
    ref = parse_ref(laws, typed)
    assert ref is not None and ref.law is not None and ref.law.short_name == law
    assert ref.number == number and not ref.bad_number


@pytest.mark.parametrize("typed, bad", [
    ("民法典 -1", "-1"), ("民法典 －１", "-1"), ("劳动合同法 -3", "-3"),
    ("民法典 1254.5", "1254.5"), ("民法典 第1254.5条", "1254.5"),
])
def test_negative_and_fractional_numbers_are_no_article(laws, typed, bad):
    ref = parse_ref(laws, typed)
    assert ref is not None and ref.law is not None and ref.number is None and ref.bad_number == bad


@pytest.mark.parametrize("typed", ["被拖欠3个月工资", "高空抛物", "一二三"])
def test_other_text_is_still_no_reference(laws, typed):
    assert parse_ref(laws, typed) is None


def test_lawbot_law_answers_as_the_chat_does():
    shown = lawbot("--lang", "zh", "law", "民法典", "一千二百五十四")
    assert shown.returncode == 0 and shown.stdout.startswith("《民法典》第一千二百五十四条")
    negative = lawbot("--lang", "zh", "law", "民法典", "-1")
    assert negative.returncode == 1 and "《民法典》没有第 -1 条：条文从第 1 条到第 1260 条" in negative.stderr
    fraction = lawbot("--lang", "zh", "law", "民法典", "1254.5")
    assert fraction.returncode == 1 and "条号是整数" in fraction.stderr and "第 1254.5 条" in fraction.stderr
