"""The 专项练习 menu pages its laws so every law is reachable and each page stays short."""

from __future__ import annotations

from bot.channels.telegram.render import MAX_CALLBACK_BYTES
from tests.support.transcript import Chat, make_app


async def test_every_law_is_reachable_through_short_pages(tmp_path):
    app = await make_app(tmp_path)
    try:
        chat = Chat(app)
        await chat.act("p:m")
        await chat.press("专项练习")
        seen: list[str] = []
        pages = 0
        while True:
            pages += 1
            laws = [c for c in chat.channel.choices if c.action.startswith("p:t:")]
            assert 0 < len(laws) <= 10
            assert all(len(c.action.encode("utf-8")) <= MAX_CALLBACK_BYTES for c in chat.channel.choices)
            seen += [c.label.split("（")[0] for c in laws]
            if not any("下一页" in label for label in chat.labels()):
                break
            await chat.press("下一页")
            assert f"第 {pages + 1}/" in chat.text
        assert sorted(seen) == sorted(app.catalog.law_tags())
        assert pages > 1 and len(seen) == len(set(seen))
        # the last page goes back, and a law on it starts practice on that law
        await chat.press("上一页")
        await chat.press("下一页")
        law = seen[-1]
        await chat.press(law)
        assert "第 1 题" in chat.text and law in chat.text
    finally:
        await app.close()


async def test_a_law_button_by_name_still_works_and_a_forged_key_is_refused(tmp_path):
    app = await make_app(tmp_path)
    try:
        chat = Chat(app)
        assert "第 1 题" in await chat.act("p:t:民法典")  # buttons sent before keys were short
        text = await chat.act("p:t:0000000000")
        assert "第 1 题" not in text
    finally:
        await app.close()
