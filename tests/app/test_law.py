"""查法条 as chat transcripts: digits, Chinese numerals, free text, prev/next, unknown law, splitting."""

from __future__ import annotations

from bot.app.chunks import split_text


async def test_digits_and_chinese_numerals(chat):
    await chat.say("/law 民法典 1254")
    assert "《民法典》第一千二百五十四条" in chat.text and "最后修订/修正：2020年5月28日" in chat.text
    await chat.say("/law 行政处罚法 第三十三条")
    assert "《行政处罚法》第三十三条" in chat.text and "初次违法且危害后果轻微并及时改正的" in chat.text
    await chat.say("/law 宪法 第一条")
    assert "《宪法》第一条" in chat.text


async def test_prev_and_next_buttons(app, chat):
    await chat.say("/law 民法典 1254")
    await chat.press("下一条")
    assert "第一千二百五十五条" in chat.text
    await chat.press("上一条")
    await chat.press("上一条")
    assert "第一千二百五十三条" in chat.text
    await chat.say("/law 宪法 1")
    assert "上一条" not in " ".join(chat.labels())
    assert await app.storage.activity.activity_count(chat.user, "law_lookup") == 5


async def test_free_text_search_ranks_articles(chat):
    await chat.say("/law 高空抛物")
    assert chat.text.splitlines()[1].startswith("1. 《民法典》第一千二百五十四条")
    await chat.say("/law 首违不罚")
    assert "《行政处罚法》第三十三条" in chat.text


async def test_free_text_question_finds_the_article(chat):
    await chat.say("高空抛物是哪条法律")
    assert any("第一千二百五十四条" in label for label in chat.labels())


async def test_unknown_law_and_article_name_the_closest(chat):
    await chat.say("/law 刑事诉讼法 第三条")
    assert "本库暂未收录《刑事诉讼法》" in chat.text and "《民事诉讼法》" in chat.text
    await chat.say("/law 宪法 第九百条")
    assert "《宪法》没有第 900 条" in chat.text


async def test_law_name_alone_shows_an_overview(chat):
    await chat.say("/law 民法典")
    assert "共 1260 条" in chat.text
    await chat.press("从第一条读起")
    assert "《民法典》第一条" in chat.text


async def test_forged_law_buttons(chat):
    await chat.act("l:a:999:1")
    assert "按钮已失效" in chat.text
    await chat.act("l:a:0:99999")
    assert "按钮已失效" in chat.text


def test_long_article_is_split_under_the_limit():
    paragraph = "第一款" + "依法承担责任。" * 700  # one paragraph of ~4,900 characters
    text = "《某法》第一条\n" + paragraph + "\n" + "第二款内容。" * 300
    parts = split_text(text)
    assert len(parts) >= 2
    assert all(len(p) <= 4000 for p in parts)
    assert "".join(parts).replace("\n", "") == text.replace("\n", "")


async def test_odd_article_numbers_get_a_plain_answer(chat):
    await chat.say("/law 民法典 一千二百五十四")  # Chinese numerals without 第/条
    assert "《民法典》第一千二百五十四条" in chat.text and "禁止从建筑物中抛掷物品" in chat.text
    await chat.say("/law 民法典 -1")
    assert chat.text == "《民法典》没有第 -1 条：条文从第 1 条到第 1260 条。"
    await chat.say("/law 民法典 1254.5")
    assert chat.text.startswith("条号是整数，没有第 1254.5 条") and "第一千二百五十四条" not in chat.text
