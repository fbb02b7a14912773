"""查法条 for inserted articles (刑法 第一百三十三条之一) as chat transcripts: typed forms,
prev/next across them, free-text search buttons, and the command-line `lawbot law`."""

from __future__ import annotations

from bot.cli import main


async def test_inserted_article_by_digits_and_by_label(chat):
    await chat.say("/law 刑法 133之一")
    assert "《刑法》第一百三十三条之一" in chat.text and "醉酒驾驶机动车的" in chat.text
    assert "交通运输肇事后逃逸" not in chat.text  # 第一百三十三条 is not glued on
    await chat.say("/law 刑法 第二百八十七条之二")
    assert "《刑法》第二百八十七条之二" in chat.text and "明知他人利用信息网络实施犯罪" in chat.text
    await chat.say("/law 刑法 133")
    assert "《刑法》第一百三十三条" in chat.text and "交通运输肇事后逃逸" in chat.text
    assert "醉酒" not in chat.text and "第一百三十三条之一" not in chat.text


async def test_prev_and_next_step_through_inserted_articles(app, chat):
    await chat.say("/law 刑法 133")
    await chat.press("下一条")
    assert "《刑法》第一百三十三条之一" in chat.text and "醉酒驾驶机动车的" in chat.text
    await chat.press("下一条")
    assert "《刑法》第一百三十三条之二" in chat.text
    await chat.press("下一条")
    assert "《刑法》第一百三十四条" in chat.text
    await chat.press("上一条")
    await chat.press("上一条")
    assert "《刑法》第一百三十三条之一" in chat.text
    await chat.press("上一条")
    assert "《刑法》第一百三十三条\n" in chat.text or "《刑法》第一百三十三条（" in chat.text
    assert "交通运输肇事后逃逸" in chat.text
    assert await app.storage.activity.activity_count(chat.user, "law_lookup") == 7


async def test_missing_inserted_article_and_forged_button(chat):
    await chat.say("/law 刑法 133之三")
    assert "《刑法》没有" in chat.text and "133之三" in chat.text
    await chat.act("l:a:0:1之九")
    assert "按钮已失效" in chat.text


async def test_search_hit_on_an_inserted_article_opens_it(chat):
    await chat.say("/law 追逐竞驶")
    hits = [label for label in chat.labels() if "第一百三十三条之一" in label]
    assert hits, chat.text
    await chat.press(hits[0])
    assert "《刑法》第一百三十三条之一" in chat.text and "醉酒驾驶机动车的" in chat.text


def test_cli_prints_an_inserted_article(capsys):
    assert main(["law", "刑法", "133之一"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("《刑法》第一百三十三条之一（") and "醉酒驾驶机动车的" in out and "交通运输肇事" not in out
    assert main(["--lang", "zh", "law", "刑法", "133之九"]) == 1
    assert "《刑法》没有第 133之九 条" in capsys.readouterr().err


async def test_free_text_reference_to_an_inserted_article(chat):
    await chat.say("刑法第二百七十六条之一")
    assert "最相关的是【法条】《刑法》第二百七十六条之一" in chat.text
    await chat.press("查看：《刑法》第二百七十六条之一")
    assert "《刑法》第二百七十六条之一" in chat.text and "逃避支付劳动者的劳动报酬" in chat.text
