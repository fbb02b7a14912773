"""A guide's fee and time limit: each cites the articles that set it or says no national rule does."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.catalog.guide_rules import term_problems
from bot.catalog.guides import load_service
from bot.catalog.laws import LawLibrary

REPO = Path(__file__).resolve().parents[2]

BASE = """id: t
name: 测试事项
category: 投诉与救济
audience: 劳动者
materials: [申请书]
steps: [申请]
channels: {offline: [仲裁委员会]}
basis: {cite: [{law: 劳动争议调解仲裁法, article: 5}]}
source: 测试
last_verified: 2026-11-24
"""


@pytest.fixture(scope="module")
def laws() -> LawLibrary:
    return LawLibrary.load(REPO / "content" / "laws")


def _guide(tmp_path: Path, laws: LawLibrary, terms: str):
    path = tmp_path / "t.yaml"
    path.write_text(BASE + terms, encoding="utf-8")
    guide, problems = load_service(path, "t.yaml", laws)
    assert problems == [], problems
    return guide


def test_grounded_terms_pass(tmp_path, laws):
    guide = _guide(tmp_path, laws, """time_limit: 一年
time_limit_cite: [{law: 劳动争议调解仲裁法, article: 27}]
fee: 免费：劳动争议仲裁不收费
fee_cite: [{law: 劳动争议调解仲裁法, article: 53}]
""")
    assert term_problems(guide, laws) == []
    assert [c.article for c in guide.term_cites["fee"]] == [53]


def test_a_guide_without_term_citations_loads_but_fails_the_check(tmp_path, laws):
    guide = _guide(tmp_path, laws, "time_limit: 以当地规定为准\nfee: 以当地规定为准\n")
    reasons = term_problems(guide, laws)
    assert len(reasons) == 2
    assert reasons[0].startswith("time_limit names no article") and reasons[1].startswith("fee names no article")


def test_a_fee_made_free_by_the_cited_article_must_say_free(tmp_path, laws):
    guide = _guide(tmp_path, laws, """time_limit: 以当地为准
time_limit_cite: no_national_rule
fee: 以当地规定为准
fee_cite: [{law: 劳动争议调解仲裁法, article: 53}]
""")
    assert term_problems(guide, laws) == [
        "fee cites 劳动争议调解仲裁法 article 53, which makes it free, but does not say 免费"]


def test_no_national_rule_cannot_quote_a_figure_or_claim_free(tmp_path, laws):
    guide = _guide(tmp_path, laws, """time_limit: 一般15个工作日办结
time_limit_cite: no_national_rule
fee: 免费
fee_cite: no_national_rule
""")
    reasons = term_problems(guide, laws)
    assert "time_limit quotes “15个工作日”" in reasons[0]
    assert reasons[1].startswith("fee says it is free but fee_cite says no_national_rule")


def test_a_named_unshipped_text_counts_as_a_basis(tmp_path, laws):
    guide = _guide(tmp_path, laws, """time_limit: 当场办结
time_limit_cite: no_national_rule
fee: 免费
fee_cite: ["《婚姻登记条例》（2025年修订，本库未收录）"]
""")
    assert term_problems(guide, laws) == []
    assert guide.term_other["fee"] == ("《婚姻登记条例》（2025年修订，本库未收录）",)


def test_bad_term_citations_are_load_problems(tmp_path, laws):
    path = tmp_path / "t.yaml"
    path.write_text(BASE + "time_limit: 一年\ntime_limit_cite: 见法条\nfee: 免费\n"
                    "fee_cite: [{law: 劳动争议调解仲裁法, article: 999}]\n", encoding="utf-8")
    guide, problems = load_service(path, "t.yaml", laws)
    assert guide is None
    reasons = [p.reason for p in problems]
    assert any("time_limit_cite must be a list of citations or no_national_rule" in r for r in reasons)
    assert any("article 999, which does not exist" in r for r in reasons)
