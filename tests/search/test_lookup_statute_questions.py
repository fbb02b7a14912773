"""Questions that ask for the statute ("是哪条规定", "哪一条") get the article first when one stands
out, and the guide or case that cites the articles when they tie on the law's name; a question on
how long one has to do something ("多长时间内申请") asks for a time limit (期限, 时效). Which
product or dish is good is a matter of taste the content does not cover."""

from __future__ import annotations

import pytest

from bot.search import synonyms
from bot.search.intent import detect, topic
from tests.support.lookup import hit_keys as _keys


def test_a_time_limit_asked_for_is_read_as_the_word_for_it():
    assert "申请期限" in topic("工伤认定要在多久内申请")
    assert topic("几天之内投诉").split() == ["投诉期限"]
    # how long a service takes is no time limit
    assert "期限" not in topic("办护照要多久") and "期限" not in topic("补办身份证要几天")
    assert "时效" in synonyms.alternatives("期限")


def test_the_article_asked_for_comes_before_the_guide(lookup):
    # the guide on labour arbitration scores higher on the topic; the question asks for the rule
    # (劳动争议调解仲裁法 art. 27: 申请仲裁的时效期间为一年)
    result = lookup.search("劳动仲裁要在多长时间内申请，哪条规定的", 5)
    assert result.confident and _keys(result)[0] == "law:劳动争议调解仲裁法:27", _keys(result)
    # the guide stays among the first three: it may be what the asker meant
    assert "guide:laodong-zhengyi-zhongcai" in _keys(result)[:3]
    assert _keys(lookup.search("民法典里高空抛物是哪一条", 5))[0] == "law:民法典:1254"


def test_articles_that_tie_on_the_laws_name_leave_the_guide_first(lookup):
    # every article of 工伤保险条例 has 工伤 in the law's name: none stands out, and the guide that
    # cites them (14 says which cases count) answers better than whichever is shortest
    keys = _keys(lookup.search("哪些情况算工伤法律是哪一条规定的", 5))
    assert keys[0] in ("guide:gongshang-rending", "law:工伤保险条例:14"), keys


def test_an_everyday_question_still_gets_the_guide_first(lookup):
    keys = _keys(lookup.search("工伤认定要在多久内申请", 5))
    assert keys[0] == "guide:gongshang-rending", keys


@pytest.mark.parametrize("question", ["哪家奶茶好喝", "哪个手机牌子好", "附近哪里有好吃的饭店"])
def test_asking_which_product_or_dish_is_good_is_not_covered(lookup, question):
    # 奶茶 is in an alias of the guide on registering a shop (开奶茶店), 手机 in cases on phone
    # numbers; which one tastes or works best is answered by none of them
    result = lookup.search(question, 5)
    assert result.uncovered == "none" and not result.confident, _keys(result)


def test_a_plate_or_a_recommendation_letter_is_no_matter_of_taste(lookup):
    assert not detect("车牌子丢了怎么补").opinion and not detect("人才落户需要单位推荐吗").opinion
    assert detect("推荐几本好书").opinion
    assert lookup.search("车牌子丢了怎么补", 3).uncovered == ""


@pytest.mark.parametrize("question", ["你是机器人吗", "你叫什么名字", "你是不是真人"])
def test_a_question_about_the_bot_itself_is_not_covered(lookup, question):
    # 名字 is a word of the guide on adding a name to a property certificate, 机器 of a guide's alias
    result = lookup.search(question, 5)
    assert result.uncovered == "none" and not result.confident, _keys(result)
    assert not detect("你们单位不给交社保").opinion and not detect("你说离婚要多久").opinion
