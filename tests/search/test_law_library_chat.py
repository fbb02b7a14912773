"""The law library and the lookup in chat: new laws by short name or alias, the stale-law notice,
laws that are not shipped, articles that do not exist, questions outside the content, no case,
and a number that is not a choice."""

from __future__ import annotations

import pytest

STALE_LINE = "请以国家法律法规数据库为准"
CHOICES = ("🏛", "⚖️", "📜", "📘", "📝", "⚔️", "📕", "🔁", "📊", "🌐")  # the main menu's buttons


@pytest.mark.parametrize("typed, head", [
    ("/law 公司法 1", "《公司法》第一条"),
    ("/law 刑法 1", "《刑法》第一条"),
    ("/law 民诉法 3", "《民事诉讼法》第三条"),
    ("/law 民事诉讼法 第三条", "《民事诉讼法》第三条"),
    ("/law 个税法 6", "《个人所得税法》第六条"),
    ("/law 人身安全保护令规定 1", "《最高人民法院关于办理人身安全保护令案件适用法律若干问题的规定》第一条"),
    ("/law 劳动争议调解仲裁法 第五十三条", "《劳动争议调解仲裁法》第五十三条"),
])
async def test_new_laws_by_short_name_and_alias(chat, typed, head):
    await chat.say(typed)
    assert chat.text.startswith(head)
    assert STALE_LINE not in chat.text


async def test_new_laws_in_keyword_search_and_free_text(chat):
    await chat.say("/law 劳动争议仲裁 不收费")
    assert "《劳动争议调解仲裁法》第五十三条" in chat.text
    await chat.say("刑法第一百条")
    assert "《刑法》第一百条" in chat.text and "依法受过刑事处罚的人" in chat.text


async def test_stale_law_carries_the_notice_everywhere_it_is_shown(chat):
    await chat.say("/law 治安管理处罚法 第十条")
    assert "非现行文本" in chat.text and "现行文本，" not in chat.text
    assert "2012-10-26" in chat.text and "2025-06-27" in chat.text and "2026-01-01 起施行" in chat.text
    assert "条文序号已调整" in chat.text and STALE_LINE in chat.text
    await chat.say("/law 食品安全法")
    assert "2021-04-29" in chat.text and "2025-09-12" in chat.text and "施行日期未确认" in chat.text
    assert STALE_LINE in chat.text
    await chat.say("/law 治安拘留")
    assert "《治安管理处罚法》" in chat.text and STALE_LINE in chat.text
    await chat.say("网络安全法第一条")
    assert "《网络安全法》第一条" in chat.text and "2016-11-07" in chat.text and STALE_LINE in chat.text
    await chat.say("/law 宪法 1")
    assert STALE_LINE not in chat.text


async def test_a_case_citing_a_stale_law_says_so(chat):
    await chat.act("c:s:guoqi-shipin")
    assert "《食品安全法》" in chat.text and STALE_LINE in chat.text


async def test_law_that_is_not_shipped(chat):
    await chat.say("/law 婚姻登记条例")
    assert "本库暂未收录《婚姻登记条例》" in chat.text and "flk.npc.gov.cn" in chat.text
    await chat.say("/law 刑事诉讼法 1")
    assert "本库暂未收录《刑事诉讼法》" in chat.text and "《民事诉讼法》" in chat.text and "12348" in chat.text
    assert "第一条" not in chat.text
    await chat.say("刑事诉讼法第一百条")
    assert "本库暂未收录《刑事诉讼法》" in chat.text and "第一百条" not in chat.text
    await chat.say("婚姻登记条例")
    assert "本库暂未收录《婚姻登记条例》" in chat.text


async def test_article_that_does_not_exist_in_free_text(chat):
    await chat.say("宪法第九百条")
    assert "《宪法》没有第 900 条" in chat.text
    assert not any("第九百" in label or "可能相关" in label for label in chat.labels())


@pytest.mark.parametrize("query", ["今天天气怎么样", "推荐一部好看的电影", "你是谁", "怎么做红烧肉"])
async def test_questions_outside_the_content_get_the_hotlines_and_no_article(chat, query):
    await chat.say(query)
    assert "12345" in chat.text and "12348" in chat.text
    assert "最相关的是" not in chat.text
    assert not any("《" in label for label in chat.labels())  # no article offered


async def test_no_such_case(chat):
    await chat.say("/case 不存在的东西xyz")
    assert "没有找到相关案例" in chat.text
    assert chat.labels() == ["⚖️ 以案释法"]
    await chat.say("/case 离婚")
    assert any("离婚" in label for label in chat.labels())


async def test_a_number_that_is_not_a_menu_choice(chat):
    await chat.say("/start")
    await chat.say("999")
    assert chat.text.startswith("请回复 1–10")
    assert len(chat.labels()) == 10 and all(label.startswith(CHOICES) for label in chat.labels())
    await chat.say("3")  # the menu is on screen again: 3 is 查法条
    assert "查法条" in chat.text


async def test_a_how_to_question_opens_the_guide_and_keeps_the_case_among_the_choices(chat):
    await chat.say("人民调解收费吗")
    assert chat.text.startswith("最相关的是【办事指南】人民调解申请")
    assert any("以案释法" in label and "调解" in label for label in chat.labels())
