"""The lookup in chat: unsure answers and "none of these" land in the gap log; /stats gaps."""

from __future__ import annotations

from tests.support.transcript import Chat, make_app


async def test_unsure_query_points_to_hotlines_and_is_logged(app, chat):
    await chat.say("怎么做红烧肉")
    assert "没有找到有把握的答案" in chat.text and "12345" in chat.text and "12348" in chat.text
    rows = await app.storage.gaps.top_gaps()
    assert [(r.query, r.count, r.rejected) for r in rows] == [("怎么做红烧肉", 1, 0)]


async def test_none_of_these_is_logged(app, chat):
    await chat.say("孩子上学报名要带啥")
    assert "都不是" in chat.labels()[-1]
    await chat.press("都不是")
    assert "已记下" in chat.text
    rows = await app.storage.gaps.top_gaps()
    assert rows[0].query == "孩子上学报名要带啥" and rows[0].rejected == 1
    await chat.act("k:n")  # pressed twice: logged once
    assert (await app.storage.gaps.top_gaps())[0].count == 1


async def test_stats_gaps_for_admins_only(tmp_path):
    app = await make_app(tmp_path, admin={"super_admins": ["cli:boss"]})
    try:
        resident, boss = Chat(app, "someone"), Chat(app, "boss")
        for _ in range(2):
            await resident.say("推荐一部好看的电影")
        await resident.say("/stats gaps")
        assert "仅限管理员" in resident.text
        await boss.say("/stats gaps")
        assert "1. 推荐一部好看的电影 — 2 次 · 1 人" in boss.text
    finally:
        await app.close()
