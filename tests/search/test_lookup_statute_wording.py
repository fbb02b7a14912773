"""An article's own text is searched as words (the segmenter the questions go through), not only
as character bigrams: a question worded like the statute finds the article even when the guides
and cases that cite it word it otherwise. An everyday mishap that shares one word with some
statute text is still not answered with that article. A homophone typo that leaves no whole
word ("社宝卡") still offers the guide whose name it sounds like."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.lookup import hit_keys as _keys

REPO = Path(__file__).resolve().parents[2]


def test_an_articles_own_words_are_indexed_as_words(lookup):
    """Through the index's public side, as a bot reads it (built in memory or from the cache)."""
    from bot.bootstrap import load_checked_catalog

    index = lookup.index
    at = next(i for i in range(index.article_count) if index.article_hit(i, 0.0).ref == "劳动合同法:47")
    catalog = load_checked_catalog(REPO)
    article = catalog.laws.get("劳动合同法").articles[47]
    citing = [t for t in (*catalog.services.values(), *catalog.cases.values())
              if any(c.law == "劳动合同法" and str(c.article) == "47" for c in t.cites)]
    borrowed = " ".join([article.law, article.chapter, *(w for t in citing for w in (
        [t.name, *t.aliases] if hasattr(t, "aliases") else list(t.keywords)))])
    assert "年限" in index.article_body(at) and "年限" not in borrowed
    assert index.law_space().indexes["words"].has(at, "年限")


def test_a_question_in_the_statutes_wording_finds_the_article(lookup):
    # the guides and cases citing 劳动合同法 art. 47 say 经济补偿金怎么要, 被公司辞退要赔偿; the
    # article itself says 按劳动者在本单位工作的年限 ... 支付
    result = lookup.search("被辞退的经济补偿按工作年限怎么算，是哪一条", 5)
    assert "law:劳动合同法:47" in _keys(result)[:3], _keys(result)


@pytest.mark.parametrize("question", ["电视没信号了怎么办", "自行车丢了怎么办"])
def test_a_mishap_sharing_one_word_with_an_article_is_not_a_confident_answer(lookup, question):
    result = lookup.search(question, 3)
    assert not result.confident, _keys(result)


def test_a_homophone_typo_of_a_guides_name_is_still_offered(lookup):
    # "社宝卡" (社保卡 with 宝 for 保) leaves no whole word: its syllables are the guide name's
    result = lookup.search("社宝卡丢了", 3)
    assert result.uncovered == "", _keys(result)
    assert _keys(result)[0] == "guide:shebaoka"

