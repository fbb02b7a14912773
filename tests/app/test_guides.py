"""办事指南 as chat transcripts: browsing, a full guide, locality filled or placeholder, lookup."""

from __future__ import annotations

from tests.support.transcript import Chat, make_app


async def test_menu_reaches_guides_cases_law_and_practice_in_one_tap(chat):
    await chat.say("/start")
    for label in ("办事指南", "以案释法", "查法条", "学法练习"):
        assert any(label in lab for lab in chat.labels()), label


async def test_browse_by_category_and_read_a_guide_with_placeholders(app, chat):
    await chat.say("/start")
    await chat.press("办事指南")
    assert "请选择类别" in chat.text
    await chat.press("一件事一次办")
    await chat.press("新生儿出生一件事")
    text = chat.text
    for section in ("【适用对象】", "【申请材料】", "【办理流程】", "【办理时限】", "【收费】", "【办理渠道】",
                    "【设定依据】", "【咨询电话】12345", "【一次办好的事项】"):
        assert section in text, section
    assert "{portal}" not in text and "请向当地政务服务平台确认" in text
    assert "最后核对：" in text
    await chat.press("《民法典》第十三条")
    assert "《民法典》第十三条" in chat.text and "自然人从出生时起到死亡时止" in chat.text
    assert await app.storage.activity.activity_count(chat.user, "guide_read") == 1


async def test_locality_from_config_fills_the_guide(tmp_path):
    app = await make_app(tmp_path, locality={"portal": "某市政务服务网", "app": "某市办事App", "hall": "某市民中心"})
    try:
        chat = Chat(app)
        await chat.act("g:s:xinshenger-chusheng")
        assert "某市政务服务网" in chat.text and "某市民中心" in chat.text
        assert "{hall}" not in chat.text
    finally:
        await app.close()


async def test_everyday_question_finds_the_guide_with_candidates(chat):
    await chat.say("宝宝刚生下来要跑哪些部门")
    assert "最相关的是【办事指南】新生儿出生一件事" in chat.text
    labels = chat.labels()
    assert labels[0].startswith("👉 查看") and "都不是" in labels[-1]
    assert len(labels) == 4  # the best, the next two, none of these
    await chat.press("查看")
    assert "【办事指南】新生儿出生一件事" in chat.text


async def test_traditional_input(chat):
    await chat.say("身份證丟了怎麼補辦")
    assert "居民身份证申领与补领" in chat.text


async def test_forged_guide_button_is_refused(chat):
    await chat.act("g:s:no-such-guide")
    assert "按钮已失效" in chat.text
    await chat.act("g:c:999")
    assert "按钮已失效" in chat.text


async def test_a_fee_free_by_law_says_free_and_shows_its_article(chat):
    await chat.act("g:s:laodong-zhengyi-zhongcai")
    text = chat.text
    fee = text.split("【收费】", 1)[1].split("【", 1)[0]
    assert fee.strip().startswith("免费") and "以当地规定为准" not in fee
    assert "（依据：《劳动争议调解仲裁法》第五十三条" in fee
    limit = text.split("【办理时限】", 1)[1].split("【", 1)[0]
    assert "一年" in limit and "《劳动争议调解仲裁法》第二十七条" in limit
    await chat.press("《劳动争议调解仲裁法》第五十三条")
    assert "劳动争议仲裁不收费" in chat.text


async def test_a_term_without_a_national_rule_says_so(chat):
    await chat.act("g:s:rexian-12345")
    fee = chat.text.split("【收费】", 1)[1].split("【", 1)[0]
    assert "国家法律法规没有规定统一的收费" in fee
    limit = chat.text.split("【办理时限】", 1)[1].split("【", 1)[0]
    assert "国家法律法规没有规定统一的办理时限" in limit


async def test_protection_order_is_free(chat):
    await chat.say("被老公打了想申请保护令要交钱吗")
    await chat.press("查看")
    fee = chat.text.split("【收费】", 1)[1].split("【", 1)[0]
    assert fee.strip().startswith("免费") and "法释〔2016〕15号" in fee and "《反家庭暴力法》第十九条" in fee
