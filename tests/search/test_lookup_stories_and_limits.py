"""A question told as a long story, spoken 咋整, a question that opens with a law's name or points
at "that article" (那条), and a question on how long one has to act (its time limit)."""

from __future__ import annotations

import pytest

from bot.search.intent import asks_time_limit, detect, sets_person_limit, topic
from bot.search.lawref import named_first
from bot.search.lookup import STORY_WORDS, story_scale
from tests.support.lookup import hit_keys as _keys

TRAFFIC_STORY = ("上个礼拜天我骑自行车去给孙子买早点，在十字路口被一辆拐弯的小轿车刮倒了，胳膊擦破了皮膝盖也肿了，"
                 "在医院拍了片子。司机说保险公司会管。这种交通事故后面的赔偿该怎么处理")


def test_a_long_story_is_answered_though_most_of_its_words_are_details(lookup):
    # what the guide covers of 30-odd words of story fell under the "not covered" line, and a
    # character no document has (膝, 胳) made the question look off-topic
    result = lookup.search(TRAFFIC_STORY, 5)
    assert not result.uncovered, result.uncovered
    assert result.confident and _keys(result)[0] == "guide:jiaotong-shigu", _keys(result)


def test_story_scale_counts_a_story_against_a_fixed_number_of_words(lookup):
    short = lookup._query("驾驶证丢了怎么补")
    assert story_scale(short) == 1.0
    story = lookup._query(TRAFFIC_STORY)
    n = len(set(story["precise"]))
    assert n > STORY_WORDS and story_scale(story) == n / STORY_WORDS


@pytest.mark.parametrize("question", ["遇到电信诈骗了咋整", "驾驶证丢了咋整"])
def test_za_zheng_asks_what_to_do(lookup, question):
    assert detect(question).weak_procedure
    assert "整" not in topic(question, lookup.an)


def test_za_zheng_after_a_fraud_gets_the_reporting_guide_first(lookup):
    result = lookup.search("遇到电信诈骗了咋整", 3)
    assert result.confident and _keys(result)[0] == "guide:dianxin-zhapian-baoan", _keys(result)


def test_a_question_opening_with_a_law_name_asks_what_it_says(lookup):
    assert named_first(lookup.laws, "劳动合同法试用期工资最低多少") is not None
    assert named_first(lookup.laws, "劳动合同法") is None  # the name alone is a reference
    assert named_first(lookup.laws, "试用期工资最低多少") is None
    result = lookup.search("劳动合同法试用期工资最低多少", 5)
    assert _keys(result)[0] == "law:劳动合同法:20", _keys(result)


def test_that_article_asks_for_the_statute_but_that_dog_does_not():
    assert detect("劳动合同法没签合同双倍工资那条").law
    assert "那条" not in topic("劳动合同法没签合同双倍工资那条")
    assert not detect("那条狗咬人了").law


def test_articles_that_set_the_persons_own_time_limit():
    assert sets_person_limit("可以自知道或者应当知道该行政行为之日起六十日内提出行政复议申请")
    assert sets_person_limit("可以在收到复议决定书之日起十五日内向人民法院提起诉讼")
    assert not sets_person_limit("行政复议机关收到行政复议申请后，应当在五日内进行审查")
    assert not sets_person_limit("行政复议机关应当自受理申请之日起六十日内作出行政复议决定")
    assert asks_time_limit("要在多少天内申请行政复议")
    assert not asks_time_limit("办护照要多少天")


@pytest.mark.parametrize("question, expected", [
    # the articles on the authority's own periods (审查 in 5 days, decide in 60) scored with it
    ("对复议决定不服多少天内起诉是哪条", "law:行政诉讼法:45"),
    ("工伤保险条例多少天内申请工伤认定", "law:工伤保险条例:17"),
])
def test_a_time_limit_question_gets_the_article_on_the_persons_limit_first(lookup, question, expected):
    result = lookup.search(question, 5)
    assert _keys(result)[0] == expected, _keys(result)


def test_the_persons_limit_outranks_the_authoritys_periods(lookup):
    keys = _keys(lookup.search("不服罚款决定要在多少天内申请行政复议是哪条规定", 5))
    assert "law:行政复议法:20" in keys[:3], keys
    others = [k for k in keys if k.startswith("law:行政复议法:") and k != "law:行政复议法:20"]
    assert all(keys.index("law:行政复议法:20") < keys.index(k) for k in others), keys


def test_a_guide_far_ahead_of_the_rest_is_confident_though_the_story_has_details(lookup):
    # the retirement guide scored over twice any other, but the details (五十五, 纺织厂, 一辈子)
    # kept its share of the question under the line
    result = lookup.search("我妈今年五十五了在纺织厂干了一辈子，下个月就满退休年龄了，厂里人事说退休的事要她自己跑。退休要办些啥", 5)
    assert result.confident and _keys(result)[0] == "guide:tuixiu", _keys(result)


@pytest.mark.parametrize("question", ["公司黄了想把执照销掉", "厂子没了营业执照怎么销掉"])
def test_xiao_diao_is_cancelling_the_licence(lookup, question):
    # 销掉 is what the guides call 注销; the company-opening guide came first
    result = lookup.search(question, 3)
    assert _keys(result)[0] == "guide:qiye-jianyi-zhuxiao", _keys(result)


def test_money_sent_to_a_fraudster_and_wanted_back_reaches_the_fraud_guide(lookup):
    # 打钱 / 要回来 are 转账 / 追回 in the guide's words
    assert "guide:dianxin-zhapian-baoan" in _keys(lookup.search("被人骗了打钱过去能要回来吗", 3))
