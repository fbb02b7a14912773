"""The console's login links, sessions, refused-link log and audit log on both databases."""

from __future__ import annotations


async def test_login_tokens_are_used_once_and_not_after_expiry(store):
    repo = store.web_accounts
    await repo.add_login_token("h1", "tg:1", 100.0, 700.0)
    await repo.add_login_token("h2", "tg:2", 100.0, 700.0)
    assert await repo.login_token("h1") == ("tg:1", 700.0, None)
    assert await repo.login_token("nope") is None
    assert await repo.use_login_token("h1", 200.0)
    assert not await repo.use_login_token("h1", 201.0)  # once
    assert await repo.login_token("h1") == ("tg:1", 700.0, 200.0)
    assert not await repo.use_login_token("h2", 700.0)  # expired at 700
    assert await repo.login_token("h2") == ("tg:2", 700.0, None)


async def test_sessions_touch_end_and_purge(store):
    repo = store.web_accounts
    async with store.atomic():
        await repo.add_session("s1", "tg:1", 100.0)
        await repo.add_session("s2", "tg:1", 100.0)
        await repo.add_session("s3", "tg:2", 100.0)
    await repo.touch_session("s1", 500.0)
    await repo.touch_session("s1", 400.0)  # never backwards
    assert await repo.session("s1") == ("tg:1", 100.0, 500.0)
    assert await repo.end_session("s2") and not await repo.end_session("s2")
    assert await repo.session("s2") is None
    await repo.add_login_token("t", "tg:1", 100.0, 200.0)
    await repo.add_login_failure("10.0.0.1", "web_link_invalid", 100.0)
    await repo.add_login_failure("10.0.0.1", "web_link_used", 300.0)
    await repo.add_login_failure("10.0.0.2", "web_link_used", 300.0)
    assert await repo.login_failures("10.0.0.1", 100.0) == 2
    assert await repo.login_failures("10.0.0.1", 101.0) == 1
    # at 450 with 300 s idle and a 200 s window: the link, session s3 (seen at 100) and one failure go
    assert await repo.purge_web(450.0, 300.0, 200.0) == 3
    assert await repo.session("s1") is not None and await repo.session("s3") is None
    assert await repo.login_failures("10.0.0.1", 0.0) == 1
    assert await repo.end_sessions_of("tg:1") == 1


async def test_audit_entries_filter_by_units_and_action_and_page(store):
    repo = store.audit
    ids = []
    for i, (unit, action) in enumerate([(None, "exam.create"), ("u1", "roster.move"), ("u2", "roster.move"),
                                        ("u1", "bank.edit"), ("u3", "roster.unbind")]):
        ids.append(await repo.add_audit(at=1000.0 + i, actor="cli:root", action=action, target=f"t{i}", unit_id=unit,
                                        before='{"a":1}' if i == 1 else None, after='{"名":"张三"}'))
    assert ids == sorted(ids) and len(set(ids)) == 5
    rows, total = await repo.audit_entries(units=None, offset=0, limit=10)
    assert total == 5 and [r.target for r in rows] == ["t4", "t3", "t2", "t1", "t0"]
    assert rows[3].before == {"a": 1} and rows[3].after == {"名": "张三"} and rows[4].unit_id is None
    rows, total = await repo.audit_entries(units=["u1", "u3"], offset=0, limit=10)
    assert total == 3 and [r.target for r in rows] == ["t4", "t3", "t1"]
    rows, total = await repo.audit_entries(units=["u1", "u2", "u3"], offset=1, limit=1, action="roster.")
    assert total == 3 and [r.target for r in rows] == ["t2"]
    rows, total = await repo.audit_entries(units=None, offset=0, limit=10, action="roster.move", newest_first=False)
    assert [r.target for r in rows] == ["t1", "t2"] and total == 2
    assert await repo.audit_entries(units=[], offset=0, limit=10) == ([], 0)
    rows, _ = await repo.audit_entries(units=None, offset=0, limit=10, action="r%.")  # no LIKE wildcards
    assert rows == []
