"""Rules of the lookup's ranking, one at a time: how a question's wording is read (intent), what
is left for topic matching, which kind wins when a guide and a case share a topic, the
"not covered" verdict, and the held-back accuracy floor."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from bot.search import synonyms
from bot.search import text as tx
from bot.search.intent import detect, pays_out, topic
from tests.support.lookup import hit_keys as _keys

REPO = Path(__file__).resolve().parents[2]
# the held-back half of tests/search/lookup_eval.yaml (bench/lookup_eval.py); floors a little
# under the figures measured when they were set, so a regression fails and noise does not
HELD_TOP1_FLOOR = 0.91  # measured 93.2% (507 questions, 63 guides)
HELD_TOP3_FLOOR = 0.96  # measured 98.0%


def _bench():
    spec = importlib.util.spec_from_file_location("lookup_eval", REPO / "bench" / "lookup_eval.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("text, kind", [
    ("申请劳动仲裁要带什么材料", "guide"), ("护照丢了去哪补办", "guide"), ("办护照要多少钱多久能拿", "guide"),
    ("人民调解收费吗", "guide"), ("身份证丢了怎么办", "guide"),
    ("老板用购物卡抵工资合法吗", "case"), ("打印的遗嘱有没有效", "case"), ("狗咬人谁赔", "case"),
    ("刑法第一百条", "law"), ("高空抛物是哪条法律", "law"),
    ("包工头跑路", ""),
])
def test_intent_from_the_wording(text, kind):
    assert detect(text).kind == kind


@pytest.mark.parametrize("text, kind", [("开个理发店要啥证", "guide"), ("失业金咋领", "guide"), ("这样扣钱算啥", "")])
def test_spoken_question_words_are_read_as_the_written_ones(text, kind):
    """啥 is 什么 and 咋 is 怎么 in a question's frame: "要啥证" asks for the papers."""
    assert detect(text).kind == kind
    assert "啥" not in topic(text) and "咋" not in topic(text)


def test_a_law_named_with_its_rules_asks_for_the_statute():
    assert detect("劳动法规定一天最多上几个小时班").kind == "law"
    assert detect("这样做合法吗").kind == "case"  # 合法 is not a law's name


def test_a_word_with_a_function_character_still_matches_statute_text(lookup):
    """"小时" has 时 (a function character, left out of the query's bigrams); the article that
    says "每日工作时间不超过八小时" is found from it."""
    assert _keys(lookup.search("劳动法规定一天最多上几个小时班", 3))[0] == "law:劳动法:36"


def test_a_verb_and_its_object_split_by_le_or_guo_are_read_as_one_word(lookup):
    """jieba reads "离了婚" as a word of its own; the content says 离婚."""
    assert _keys(lookup.search("离了婚房子怎么分", 3))[0] == "case:hunqian-caichan"
    assert "guide:yibao-baoxiao" in _keys(lookup.search("看过病自己垫的钱", 3))
    assert not lookup.search("报了警也没用", 3).uncovered
    assert _keys(lookup.search("有人在群里造我的谣", 3))[0] == "case:wangluo-zaoyao"  # 造…谣


def test_an_amount_of_money_is_not_part_of_the_topic():
    """"三万块" would match a story that names another amount of money ("充了三万元")."""
    assert "三万" not in topic("借给同事三万块过了四年还能要吗")
    assert "四年" in topic("借给同事三万块过了四年还能要吗")  # a duration may matter (时效)
    assert topic("退一赔三").strip() == "退一赔三"


def test_frames_leave_the_topic():
    assert topic("人民调解收费吗").split() == ["人民调解"]
    assert topic("申请劳动仲裁要带什么材料").split() == ["劳动仲裁要"]
    assert "公证" in topic("办公证要什么材料")  # a topic-bearing procedure word stays


@pytest.mark.parametrize("query, guide, case", [
    ("人民调解收费吗", "renmin-tiaojie", "renmin-tiaojie"),
    ("被家暴了怎么向法院申请保护令", "renshen-anquan-baohuling", "renshen-baohuling"),
    ("对罚款不服怎么申请行政复议要带什么", "xingzheng-fuyi", "xingzheng-fuyi"),
    ("法律援助去哪里申请", "falv-yuanzhu", "falv-yuanzhu"),
])
def test_how_to_question_puts_the_guide_first_and_keeps_the_case(lookup, query, guide, case):
    keys = _keys(lookup.search(query))
    assert keys[0] == f"guide:{guide}"
    assert f"case:{case}" in keys[:3]


@pytest.mark.parametrize("query, case", [
    ("调解协议有法律效力吗", "renmin-tiaojie"),
    ("被家暴了不敢回家", "renshen-baohuling"),
])
def test_rights_question_puts_the_case_first(lookup, query, case):
    assert _keys(lookup.search(query))[0] == f"case:{case}"


@pytest.mark.parametrize("query, uncovered", [
    ("刑事诉讼法第一百条", "law:刑事诉讼法"), ("婚姻登记条例", "law:婚姻登记条例"),
    ("宪法第九百条", "article:宪法:900"), ("不存在的东西xyz", "none"), ("哈哈哈哈", "none"),
])
def test_not_covered_verdicts(lookup, query, uncovered):
    result = lookup.search(query)
    assert result.uncovered == uncovered and not result.confident


def test_a_question_with_a_match_is_not_marked_uncovered(lookup):
    result = lookup.search("离职了公积金怎么提")
    assert result.uncovered == "" and result.confident


def test_law_keyword_search_offers_nothing_unrelated(lookup):
    assert lookup.search_laws("今天天气怎么样") == []
    assert lookup.search_laws("劳动争议仲裁 不收费")[0].ref == "劳动争议调解仲裁法:53"


def test_eval_set_and_split():
    bench = _bench()
    rows = bench.load_eval()
    tuning, held = bench.split(rows)
    assert len(rows) >= 400 and len({r["q"] for r in rows}) == len(rows)
    assert abs(len(tuning) - len(held)) < len(rows) * 0.1
    assert bench.split(rows) == (tuning, held)  # deterministic
    assert sum("none" in r["ok"] for r in held) >= 10


def test_held_back_accuracy_floor(lookup):
    bench = _bench()
    _, held = bench.split(bench.load_eval())

    def answer(query):
        result = lookup.search(query, limit=5)
        return ([], False) if result.uncovered else ([f"{h.kind}:{h.ref}" for h in result.hits], result.confident)

    figures = bench.grade(held, answer)
    assert figures["top1"] >= HELD_TOP1_FLOOR, figures["top1"]
    assert figures["top3"] >= HELD_TOP3_FLOOR, figures["top3"]


@pytest.mark.parametrize("text, kind", [
    ("包工头跑了工钱找谁要", "case"),  # who owes the money, not where to file
    ("法院不受理我的起诉", "case"),  # whether a refusal is lawful
    ("试用期是多久", "case"),  # what a legal period is
    ("办护照要多久", "guide"),  # how long the service takes
])
def test_rights_frames_that_look_like_how_to(text, kind):
    assert detect(text).kind == kind


def test_the_frame_asked_last_leans_when_both_are_there():
    assert detect("自己写的遗嘱要公证才有效吗").lean == "case"
    assert detect("被骗了合法吗怎么报警").lean == "guide"
    assert detect("包工头跑路").lean == ""


def test_a_frame_inside_a_longer_word_stays_in_the_topic():
    assert "申请书" in topic("复议申请书怎么写")
    assert "申请" not in topic("行政复议怎么申请")


def test_benefit_questions_prefer_guides_that_pay_out(lookup):
    assert detect("失业后每个月能领多少").benefit and not detect("失业登记去哪办").benefit
    assert pays_out("失业保险金申领") and pays_out("生育保险待遇（生育津贴）申领") and not pays_out("失业登记")
    result = lookup.search("失业后每个月能领多少")
    assert result.confident and _keys(result)[0] == "guide:shiye-baoxianjin"


def test_everyday_words_find_the_official_ones(lookup):
    assert "房产证" in synonyms.alternatives("房本") and "工资" in synonyms.alternatives("工钱")
    # "工钱" is in no guide; "工资" is
    result = lookup.search("公司欠我工钱不给")
    assert result.confident and _keys(result)[0] == "guide:tuoqian-gongzi-tousu"


def test_content_phrases_are_not_dictionary_words():
    assert tx.is_term("离婚冷静期") and tx.is_term("学法减分")
    assert not tx.is_term("公司不交社保怎么办") and not tx.is_term("失业了要登记吗")


def test_function_words_make_no_match():
    assert "打" not in tx.query_bigrams("打12345投诉")
    assert "ye le" not in tx.query_pinyin_bigrams("失业了能领多少钱")


@pytest.mark.parametrize("query", ["电脑蓝屏了怎么办", "今天天气怎么样"])
def test_a_question_about_something_the_content_lacks_is_not_covered(lookup, query):
    result = lookup.search(query)
    assert result.uncovered == "none" and not result.confident


@pytest.mark.parametrize("query, expected", [
    ("申请劳动仲栽要带什么", "guide:laodong-zhengyi-zhongcai"),  # a look-alike character
    ("协议离昏去哪办", "guide:lihun-dengji"),  # a homophone
])
def test_typos_are_still_found(lookup, query, expected):
    result = lookup.search(query)
    assert result.uncovered == "" and _keys(result)[0] == expected


@pytest.mark.parametrize("text, kind", [
    ("对城管的处罚决定不服", "guide"),  # challenging a decision is done through a procedure
    ("我想告他", "guide"),  # suing is a procedure
    ("起诉政府有时间限制吗", "case"),  # what a legal period is, not how to file
])
def test_challenge_and_sue_frames(text, kind):
    assert detect(text).kind == kind


def test_a_wish_before_a_verb_does_not_hide_the_verb():
    # jieba would read 想开 ("get over it") and lose 开 (open a shop)
    assert "开" in topic("我想开个水果店") and "想开" not in topic("我想开个水果店")
    assert "思想" in topic("思想汇报")


def test_everyday_single_characters_and_words_match_the_content_words():
    assert "噪音" in synonyms.alternatives("吵") and "起诉" in synonyms.alternatives("告")
    assert "迁移" in synonyms.alternatives("迁过来") and "年龄" in synonyms.alternatives("年纪")
    assert "吵" in tx.precise_words("楼上太吵了") and "迁" in tx.precise_words("户口迁到这边")
    assert "不想" not in tx.precise_words("我不想干了") and "下个月" not in tx.precise_words("下个月去领证")


@pytest.mark.parametrize("query, guide", [
    ("借给同事的钱一直不还我要去法院告他", "minshi-qisu"),  # 告 is 起诉
    ("我要告区政府该怎么起诉", "xingzheng-susong"),  # the case on its time limit scores higher on the topic
])
def test_a_how_to_question_about_suing_finds_the_suing_guide_first(lookup, query, guide):
    assert _keys(lookup.search(query))[0] == f"guide:{guide}"


def test_an_everyday_question_gets_at_most_one_article_among_the_first_three(lookup):
    kinds = [h.kind for h in lookup.search("男的多少岁才能领结婚证").hits]
    assert kinds[0] == "guide" and kinds[:3].count("law") <= 1
    # a question that asks for the statute still gets articles first
    kinds = [h.kind for h in lookup.search("结婚年龄是哪条法律规定的").hits]
    assert kinds[:3].count("law") >= 2


def test_lending_and_other_everyday_words(lookup):
    assert "借钱" in synonyms.alternatives("借给") and "诽谤" in synonyms.alternatives("造谣")
    assert "父亲" in synonyms.alternatives("老爸") and "住房公积金" in synonyms.alternatives("公积金")
    # "借给" (lend) finds the case about lending money to a friend (its keywords say 借钱)
    assert "case:jiekuan-lixi" in _keys(lookup.search("借给同事三万块过了四年还能要吗"))[:3]


def test_more_everyday_words():
    assert "异地" in synonyms.alternatives("外地") and "赠与" in synonyms.alternatives("送给")
    assert "征收" in synonyms.alternatives("强拆") and "信访" in synonyms.alternatives("上访")
