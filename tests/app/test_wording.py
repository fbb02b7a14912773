"""Wording people see: law revision dates, English counted nouns and list separators."""

from __future__ import annotations

from bot.texts import join, tr
from tests.app.test_practice import _right_letter


def test_counted_nouns_and_separators():
    assert tr("en", "me_points", total=3, streak=1, days=2, today="x") == \
        "Study points 3 · streak 1 day · 2 study days\nToday: x"
    assert tr("zh", "me_points", total=3, streak=1, days=2, today="x").startswith("学习积分 3 分 · 连续学习 1 天")
    assert join("en", ["a", "b"], "items") == "a, b" and join("zh", ["a", "b"], "items") == "a，b"


async def test_law_with_an_undated_header_shows_its_revision_date(chat):
    await chat.say("/law 法规规章备案审查条例 20")
    assert "第二十条" in chat.text and "最后修订/修正：2024年8月30日" in chat.text
    assert "—" not in chat.text.splitlines()[0]


async def test_english_progress_page_has_english_plurals_and_punctuation(app, chat):
    await chat.say("/lang en")
    await chat.say("/practice")
    await chat.press("Random")
    await chat.say(await _right_letter(app, chat))
    text = await chat.say("/me")
    assert "1 practice answer," in text and "streak 1 day ·" in text and "1 study day" in text
    assert "practice 1/" in text and "，" not in text and "；" not in text
