"""Spoken words for what the content says otherwise: 吵起来/闹翻 (a dispute), 取出来 (提取),
没儿没女 (无儿无女), 生下来 (出生), 开张 (开业); and a one-character word with other words for it
(爸, 娃) is a word of the question, not a character the content lacks."""

from __future__ import annotations

import pytest

from bot.search import synonyms
from tests.support.lookup import hit_keys as _keys


@pytest.mark.parametrize("spoken, written", [
    ("吵起来", "纠纷"), ("闹翻", "纠纷"), ("取出来", "提取"), ("没儿没女", "无儿无女"), ("生下来", "出生"),
    ("开张", "开业"), ("关掉", "停业"),
])
def test_spoken_words_have_the_written_ones(spoken, written):
    assert written in synonyms.alternatives(spoken)


@pytest.mark.parametrize("question, expected", [
    ("我爸今年六十了退休手续去哪办", "guide:tuixiu"),  # 爸 was a character no guide has: not covered
    ("娃刚生下来要办些啥证", "guide:xinshenger-chusheng"),
    ("我妈去世了她的公积金怎么取出来", "guide:gongjijin-tiqu"),
    ("村里有个老人没儿没女怎么办", "guide:tekun-gongyang"),
])
def test_spoken_questions_find_their_guide(lookup, question, expected):
    result = lookup.search(question, 5)
    assert result.uncovered == "" and _keys(result)[0] == expected, _keys(result)


def test_points_used_up_said_three_ways():
    assert "扣完" in synonyms.alternatives("扣满") and "扣满" in synonyms.alternatives("扣光")


@pytest.mark.parametrize("question, expected", [
    ("我的驾照分快扣满了怎么办", "guide:jiaotong-xuefa-jianfen"),  # the guide's alias says 扣完
    ("隔壁半夜还吵得人睡不着找谁", "guide:rexian-12345"),  # jieba reads 还吵 as one word
])
def test_spoken_questions_get_a_confident_answer(lookup, question, expected):
    result = lookup.search(question, 5)
    assert result.confident and _keys(result)[0] == expected, (_keys(result), result.confident)
