"""Round 9 of the lookup tuning (issue 13 item 6), general changes found on lookup_dev.yaml batch 9:
asking whether the law has a rule asks for the statute; asking for a way ("有什么办法") is a weak
how-to; asking for a knack or how hard something is, shared with a hit by one word only, is not
covered; a bare number is a detail of the story; everyday words for a married couple, compensation,
sick leave after a work injury and grave illnesses."""

from __future__ import annotations

import pytest

from bot.search import synonyms
from bot.search.intent import detect
from tests.support.lookup import hit_keys as _keys


@pytest.mark.parametrize("question", ["试用期最长几个月法律有规定吗", "一天最多加几个小时班，法律有没有规定",
                                      "产假多少天法律有明确规定吗", "这种情况有没有规定"])
def test_asking_whether_the_law_has_a_rule_asks_for_the_statute(question):
    assert detect(question).law


def test_a_question_without_a_statute_frame_does_not_ask_for_it():
    assert not detect("试用期最长几个月").law
    assert not detect("法律援助怎么申请").law


def test_a_bare_number_is_a_detail_not_a_word_of_the_question(lookup):
    q = lookup._query("每月收入八百")
    assert "八百" not in q["precise"] and "八百" not in q["words"]
    assert "收入" in q["precise"]
    # words that only start with a numeral stay
    assert "二手车" in lookup._query("二手车")["precise"]


def test_a_small_income_does_not_hide_the_service_asked_for(lookup):
    result = lookup.search("每月收入八百能申请法律援助吗", 3)
    assert result.confident and _keys(result)[0] == "guide:falv-yuanzhu", _keys(result)


@pytest.mark.parametrize("word, other", [("赔", "赔偿"), ("两口子", "夫妻"),
                                         ("养伤", "停工留薪期"), ("癌症", "大病"), ("白血病", "重病")])
def test_everyday_words_have_the_contents_words(word, other):
    assert other in synonyms.alternatives(word)


@pytest.mark.parametrize("question, expected", [
    ("派出所抓错了人能让国家赔吗", "guide:guojia-peichang"),  # 赔 alone: 国家赔偿
    ("两口子商量好离婚要带什么", "guide:lihun-dengji"),  # 两口子: husband and wife
])
def test_everyday_words_find_the_guide_confidently(lookup, question, expected):
    result = lookup.search(question, 3)
    assert result.confident and _keys(result)[0] == expected, _keys(result)


@pytest.mark.parametrize("question", ["欠钱不还有什么办法", "钱要不回来有没有办法", "这种情况有办法吗"])
def test_asking_for_a_way_is_a_weak_how_to(question):
    intent = detect(question)
    assert intent.weak_procedure and intent.kind == "guide"


@pytest.mark.parametrize("question", ["借给朋友八千块钱到现在不还，我不想打官司，有什么办法",
                                      "借给朋友的钱他不还我又不想打官司有没有办法"])
def test_asking_for_a_way_to_get_a_loan_back_puts_the_guide_first(lookup, question):
    # the case on a loan's interest came first; 有什么办法 asks what to do: the payment-order guide
    result = lookup.search(question, 3)
    assert _keys(result)[0] == "guide:zhifuling", _keys(result)
    assert "case:jiekuan-lixi" in _keys(result)


@pytest.mark.parametrize("question", ["考驾照科目一有什么技巧", "二手车砍价有什么诀窍", "律师考试好考吗"])
def test_asking_for_a_knack_or_how_hard_something_is_is_not_covered(lookup, question):
    # they shared a word (考驾照, 二手车, 律师) with a guide, case or article, not what is asked
    assert detect(question).advice
    assert not lookup.search(question, 3).confident


def test_a_knack_for_a_service_a_guide_names_still_finds_the_guide(lookup):
    result = lookup.search("申请低保有什么窍门吗", 3)
    assert result.confident and _keys(result)[0] == "guide:dibao-shenqing", _keys(result)


@pytest.mark.parametrize("question", ["公司有没有规定加班要先申请", "单位有规定吗", "小区有没有规定不能养狗"])
def test_an_organisations_own_rules_are_not_a_statute_question(question):
    assert not detect(question).law
