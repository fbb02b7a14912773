"""Words of a question that say what kind of answer is wanted or tell the asker's story, not what
it is about: a statute-asking frame ("法律上是怎么规定的"), a place ("在武汉"), a one-character
relative ("我姐"); and everyday words for what the content calls otherwise (国赔, 坐公交, 奶奶)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.search.intent import topic
from tests.support.lookup import hit_keys as _keys

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("question, gone, kept", [
    ("哪些情况算工伤，法律上是怎么规定的", ["法律", "规定"], ["工伤"]),
    ("加班费怎么算是哪条规定", ["哪条", "规定"], ["加班费"]),
    ("失业金能领几个月，社会保险法怎么规定", ["规定"], ["社会保险法"]),
    ("申领居住证的条件法律依据是什么", ["法律", "依据"], ["居住证"]),
    ("法律援助怎么申请", [], ["法律援助"]),  # a guide's topic that starts with 法律 stays
    ("在深圳被城管扣了货", ["深圳"], ["城管"]),
    ("委托我哥帮我卖房", ["哥"], ["委托", "卖房"]),
    ("哪些情况算工伤，法律是哪一条", ["法律", "哪一条"], ["工伤"]),
    ("我和姐夫合伙开店", [], ["姐夫"]),  # a relative of two characters is not cut
    ("我妹妹在上海被车撞了", ["妹", "上海"], ["车撞"]),
    ("我姑娘要上小学", [], ["姑娘"]),
    ("网上买的东西安全吗", [], ["东西安全"]),
    ("不想打官司，能先调解吗", ["打官司"], ["调解"]),
    ("不愿意去仲裁，还有别的办法吗", ["仲裁"], []),
    ("老公要离婚我不想离婚", [], ["离婚"]),  # only a legal route ruled out is dropped
])
def test_topic_drops_statute_frames_places_and_relatives(question, gone, kept):
    about = topic(question)
    assert not [w for w in gone if w in about], about
    assert all(w in about for w in kept), about


def test_a_statute_question_is_not_answered_with_the_legal_aid_case(lookup):
    # "法律" and "规定" of the frame matched 法律援助 better than 工伤 did
    result = lookup.search("哪些情况算工伤法律是哪一条规定的", 5)
    keys = _keys(result)
    assert "case:falv-yuanzhu" not in keys[:3], keys
    assert keys[0] == "guide:gongshang-rending" or keys[0].startswith("law:工伤保险条例"), keys


@pytest.mark.parametrize("question, expected", [
    ("姥姥七十岁了在西安坐地铁免费吗", "guide:laonianren-youdai"),
    ("外婆在重庆坐地铁要买票吗", "guide:laonianren-youdai"),
    ("委托我姐帮我办公证要什么材料", "guide:gongzheng"),
    ("国赔要多久", "guide:guojia-peichang"),
])
def test_places_relatives_and_everyday_words_reach_the_guide(lookup, question, expected):
    result = lookup.search(question, 3)
    assert not result.uncovered, result.uncovered
    assert result.confident and _keys(result)[0] == expected, _keys(result)


def test_a_legal_route_ruled_out_does_not_pick_the_guides_for_it(lookup):
    # "打官司" pulled the court guides (支付令, 民事起诉) in front of the labour mediation guide
    result = lookup.search("我不想打官司，和单位的工资纠纷能调解吗", 3)
    assert result.confident and _keys(result)[0] == "guide:laodong-zhengyi-tiaojie", _keys(result)
