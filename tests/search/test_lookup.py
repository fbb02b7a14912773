"""The lookup over the shipped content: accuracy floor on the labelled set, the 30 named
services, Traditional input, typos, article references, and no confident answer for chit-chat."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.bootstrap import load_checked_catalog
from bot.search import text as tx
from bot.search.lawref import closest_laws, parse_ref
from bot.search.lookup import lookup_for
from tests.support.lookup import hit_keys as _keys

REPO = Path(__file__).resolve().parents[2]
EVAL = yaml.safe_load((REPO / "tests" / "search" / "lookup_eval.yaml").read_text(encoding="utf-8"))["queries"]
# measured 90.7% / 98.2% when this floor was set (bench/lookup_eval.py); a small margin below
TOP1_FLOOR = 0.88
TOP3_FLOOR = 0.96

NAMED_SERVICES = ["新生儿出生一件事", "入学一件事", "企业开办一件事", "企业简易注销", "养老保险待遇资格认证", "交通违法学法减分", "12345热线诉求反映", "行政复议申请", "行政处罚信用修复", "政府信息公开申请", "法律援助申请", "人民调解申请", "跨省通办", "法律咨询", "劳动争议仲裁申请", "拖欠工资投诉", "消费投诉举报", "电信网络诈骗报案与止付", "居民身份证申领与补领", "户口迁移", "结婚登记", "社会保障卡申领", "异地就医备案", "失业保险金申领", "住房公积金提取", "不动产转移登记", "个体工商户登记", "身后一件事", "行政诉讼起诉", "公证办理"]


@pytest.fixture(scope="module")
def catalog():
    return load_checked_catalog(REPO)


@pytest.fixture(scope="module")
def lookup(catalog):
    return lookup_for(catalog)


def test_accuracy_floor_over_the_labelled_set(lookup):
    assert len(EVAL) >= 150
    top1 = top3 = 0
    for row in EVAL:
        ok = {row["expect"], *row.get("also", [])}
        result = lookup.search(row["q"])
        keys = _keys(result)
        if "none" in ok:
            top1 += not result.confident
            top3 += not result.confident
        else:
            top1 += result.confident and bool(keys) and keys[0] in ok
            top3 += any(k in ok for k in keys[:3])
    assert top1 / len(EVAL) >= TOP1_FLOOR, top1 / len(EVAL)
    assert top3 / len(EVAL) >= TOP3_FLOOR, top3 / len(EVAL)


def test_every_named_service_is_found_first_from_an_everyday_phrasing(catalog, lookup):
    assert len(NAMED_SERVICES) == 30
    by_name = {g.name: g for g in catalog.services.values()}
    missing = []
    for name in NAMED_SERVICES:
        guide = by_name[name]
        phrasings = [r["q"] for r in EVAL if r["expect"] == f"guide:{guide.id}" and r["q"] != name]
        found = any(_keys(res := lookup.search(q))[:1] == [f"guide:{guide.id}"] and res.confident for q in phrasings)
        if not found:
            missing.append((name, phrasings))
    assert not missing


def test_traditional_and_simplified_find_the_same(lookup):
    simplified = lookup.search("离婚后孩子归谁")
    traditional = lookup.search("離婚後孩子歸誰")
    assert _keys(simplified)[:3] == _keys(traditional)[:3]
    assert tx.normalize("戶口遷移") == "户口迁移"


def test_homophone_typos_still_match(lookup):
    assert _keys(lookup.search("离职了公机金怎么提"))[0] == "guide:gongjijin-tiqu"
    assert _keys(lookup.search("户口签移要什么手续"))[0] == "guide:hukou-qianyi"


def test_chit_chat_is_not_a_confident_match(lookup):
    for query in ("你好", "哈哈哈哈", "股票明天会涨吗", "怎么做红烧肉", "🙂🙂", "asdfgh"):
        assert not lookup.search(query).confident, query


def test_article_reference_comes_first(lookup):
    result = lookup.search("民法典第一千二百五十四条")
    assert result.confident and _keys(result)[0] == "law:民法典:1254"


def test_law_keyword_search_ranks_the_cited_article(lookup):
    assert [h.ref for h in lookup.search_laws("高空抛物")][:3].count("民法典:1254") == 1
    assert "行政处罚法:33" in [h.ref for h in lookup.search_laws("首违不罚")][:3]


@pytest.mark.parametrize("typed, law, number", [
    ("民法典 1254", "民法典", 1254), ("行政处罚法 第三十三条", "行政处罚法", 33), ("宪法 第一条", "宪法", 1),
    ("《宪法》第1条", "宪法", 1), ("中华人民共和国民法典第1254条", "民法典", 1254), ("民法典１２５４", "民法典", 1254),
    ("民法典", "民法典", None), ("行政復議法第十條", "行政复议法", 10),
])
def test_parse_ref(catalog, typed, law, number):
    ref = parse_ref(catalog.laws, typed)
    assert ref is not None and ref.law is not None
    assert (ref.law.short_name, ref.number) == (law, number)


def test_parse_ref_leaves_ordinary_questions_alone(catalog):
    for text in ("被拖欠3个月工资", "打12345投诉", "孩子出生了要办什么"):
        assert parse_ref(catalog.laws, text) is None


@pytest.mark.parametrize("text", ["物业说不交物业费就停我家电合不合法", "公司这样扣工资违法", "开除我犯法",
                                  "老板不给钱有啥办法"])
def test_a_question_ending_in_a_word_with_fa_is_not_a_law_name(catalog, lookup, text):
    """合法, 违法, 犯法, 有啥办法 end many questions; they are not the name of an unshipped law."""
    assert parse_ref(catalog.laws, text) is None
    assert not lookup.search(text, 3).uncovered.startswith("law:")


def test_unknown_law_names_the_closest(catalog):
    ref = parse_ref(catalog.laws, "刑事诉讼法 第三条")
    assert ref is not None and ref.law is None and ref.number == 3
    names = [name for name, _ in closest_laws(catalog.laws, ref.name)]
    assert "民事诉讼法" in names


@pytest.mark.parametrize("typed, law", [
    ("公司法", "公司法"), ("刑法", "刑法"), ("民诉法", "民事诉讼法"), ("民事诉讼法", "民事诉讼法"),
    ("人身安全保护令规定", "最高人民法院关于办理人身安全保护令案件适用法律若干问题的规定"),
    ("个税法", "个人所得税法"), ("政务处分法", "公职人员政务处分法"), ("保密法", "保守国家秘密法"),
    ("反诈法", "反电信网络诈骗法"), ("中华人民共和国劳动法", "劳动法"), ("消保法", "消费者权益保护法"),
])
def test_short_names_and_aliases_resolve(catalog, typed, law):
    ref = parse_ref(catalog.laws, f"{typed} 1")
    assert ref is not None and ref.law is not None and ref.law.short_name == law
    assert catalog.laws.get(typed).short_name == law


def test_an_unshipped_law_name_is_recognised_but_topics_are_not(catalog):
    for text in ("婚姻登记条例", "刑事诉讼法 3", "企业所得税法第五条"):
        ref = parse_ref(catalog.laws, text)
        assert ref is not None and ref.law is None, text
    for text in ("离婚冷静期的法律规定", "劳动仲裁有哪些规定", "高空抛物"):
        ref = parse_ref(catalog.laws, text)
        assert ref is None or ref.law is not None, text


def test_stale_laws_come_from_status_yaml(catalog):
    assert catalog.laws.stale_names() == {"治安管理处罚法", "网络安全法", "食品安全法"}
    stale = catalog.laws.laws["治安管理处罚法"].stale
    assert (stale.text_of, stale.amended, stale.in_force, stale.renumbered) == ("2012-10-26", "2025-06-27", "2026-01-01", True)
    assert catalog.laws.laws["食品安全法"].stale.in_force is None
    assert "婚姻登记条例" in catalog.laws.not_included and catalog.laws.get("婚姻登记条例") is None
