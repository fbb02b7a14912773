"""The login and audit rules without a browser: one-time links, sessions, the failure limit, and
the audit log's scope, on a real database with a hand-moved clock (tests/conftest.py `clock`).
Also /web in chat and `lawbot web-link`."""

from __future__ import annotations

import pytest

from bot.app.messages import Incoming
from bot.cli import main as cli_main
from bot.domain.units import Unit
from bot.services import accounts, audit
from bot.services.rights import Forbidden, actor_for
from tests.support.transcript import make_app

SUPER, UNIT_ADMIN, PERSON = "cli:root", "tg:9001", "tg:5"
UNITS = [Unit("city", "市"), Unit("ua", "甲局", "city"), Unit("ub", "乙局", "city"), Unit("ua1", "甲局一科", "ua")]


@pytest.fixture
async def app(tmp_path, clock):
    application = await make_app(tmp_path, clock, admin={"super_admins": [SUPER]},
                                 http={"public_url": "https://bot.example.org"})
    store = application.storage
    await store.roster.upsert_units(UNITS)
    await store.admins.set_admin(UNIT_ADMIN, "ua", SUPER, clock.now())
    yield application
    await application.close()


@pytest.fixture
def deps(app):
    return app.service.deps


def _token(link: accounts.LoginLink) -> str:
    return link.url.split("token=", 1)[1]


async def test_a_link_is_for_admins_only_and_points_at_the_public_url(deps):
    link = await accounts.issue_link(deps, SUPER)
    assert link.url.startswith("https://bot.example.org/admin/login?token=")
    assert link.expires_at == deps.clock.now() + 600
    stored = await deps.storage.web_accounts.login_token(accounts.digest(_token(link)))
    assert stored == (SUPER, link.expires_at, None)
    assert await deps.storage.web_accounts.login_token(_token(link)) is None  # only the hash is stored
    assert (await accounts.issue_link(deps, UNIT_ADMIN)).user == UNIT_ADMIN
    with pytest.raises(Forbidden):
        await accounts.issue_link(deps, PERSON)


async def test_a_link_logs_in_once_within_ten_minutes(deps, clock):
    link = await accounts.issue_link(deps, UNIT_ADMIN)
    clock.advance(599)
    assert await accounts.check_link(deps, _token(link), "10.0.0.1") == UNIT_ADMIN  # a peek does not use it
    session = await accounts.log_in(deps, _token(link), "10.0.0.1")
    assert session.user == UNIT_ADMIN and session.csrf == accounts.csrf_for(session.token)
    with pytest.raises(accounts.LoginRefused) as used:
        await accounts.log_in(deps, _token(link), "10.0.0.1")
    assert used.value.key == "web_link_used"
    late = await accounts.issue_link(deps, UNIT_ADMIN)
    clock.advance(600)
    with pytest.raises(accounts.LoginRefused) as expired:
        await accounts.log_in(deps, _token(late), "10.0.0.1")
    assert expired.value.key == "web_link_expired"
    with pytest.raises(accounts.LoginRefused) as wrong:
        await accounts.log_in(deps, "x" * 43, "10.0.0.1")
    assert wrong.value.key == "web_link_invalid"


async def test_a_link_of_an_admin_whose_role_was_taken_away_is_refused(deps):
    link = await accounts.issue_link(deps, UNIT_ADMIN)
    await deps.storage.admins.remove_admin(UNIT_ADMIN)
    with pytest.raises(accounts.LoginRefused):
        await accounts.log_in(deps, _token(link), "10.0.0.1")


async def test_failed_links_are_limited_per_address_and_logged(deps, clock, caplog):
    limit = deps.config.web.max_failures
    for _ in range(limit):
        with pytest.raises(accounts.LoginRefused):
            await accounts.check_link(deps, "y" * 43, "10.0.0.9")
    refusals = [r for r in caplog.records if r.name == "bot.services.accounts" and r.levelname == "WARNING"]
    assert len(refusals) == limit and "10.0.0.9" in refusals[0].getMessage()
    assert "web_link_invalid" in refusals[0].getMessage()
    good = await accounts.issue_link(deps, SUPER)
    with pytest.raises(accounts.LoginRefused) as blocked:
        await accounts.log_in(deps, _token(good), "10.0.0.9")
    assert blocked.value.key == "web_login_too_many"
    assert (await accounts.log_in(deps, _token(good), "10.0.0.10")).user == SUPER  # another address
    clock.advance(deps.config.web.failure_window_minutes * 60 + 1)
    again = await accounts.issue_link(deps, SUPER)
    assert (await accounts.log_in(deps, _token(again), "10.0.0.9")).user == SUPER


async def test_a_session_ends_after_eight_idle_hours_and_on_logout(deps, clock):
    session = await accounts.log_in(deps, _token(await accounts.issue_link(deps, SUPER)), "127.0.0.1")
    for _ in range(3):  # in use: the idle clock restarts
        clock.advance(7 * 3600)
        info = await accounts.session_for(deps, session.token)
        assert info is not None and info.user == SUPER and info.csrf == session.csrf
    clock.advance(8 * 3600)
    assert await accounts.session_for(deps, session.token) is None
    assert await deps.storage.web_accounts.session(accounts.digest(session.token)) is None  # deleted
    other = await accounts.log_in(deps, _token(await accounts.issue_link(deps, SUPER)), "127.0.0.1")
    assert await accounts.log_out(deps, other.token)
    assert await accounts.session_for(deps, other.token) is None
    assert await accounts.session_for(deps, "not-a-session") is None


async def test_purge_deletes_expired_links_idle_sessions_and_old_failures(deps, clock):
    link = await accounts.issue_link(deps, SUPER)
    await accounts.log_in(deps, _token(await accounts.issue_link(deps, SUPER)), "127.0.0.1")
    with pytest.raises(accounts.LoginRefused):
        await accounts.check_link(deps, "z" * 43, "10.1.1.1")
    assert await accounts.purge(deps) == 0
    clock.advance(9 * 3600)
    assert await accounts.purge(deps) == 4  # two links, one session, one failure
    assert await deps.storage.web_accounts.login_token(accounts.digest(_token(link))) is None


async def test_the_audit_log_is_read_within_the_readers_scope(deps, clock):
    root = await actor_for(deps, SUPER)
    unit_admin = await actor_for(deps, UNIT_ADMIN)
    await audit.record(deps, root, "exam.create", "exam:e1", after={"title": "年度考试"})  # org-wide
    clock.advance(1)
    await audit.record(deps, root, "roster.move", "person:001", unit="ua1", before={"unit": "ub"},
                       after={"unit": "ua1"})
    clock.advance(1)
    await audit.record(deps, root, "roster.move", "person:002", unit="ub")
    clock.advance(1)
    await audit.record(deps, unit_admin, "roster.unbind", "person:003")  # default: the actor's unit
    everything = await audit.entries(deps, root)
    assert [e.target for e in everything.entries] == ["person:003", "person:002", "person:001", "exam:e1"]
    assert everything.total == 4
    first = everything.entries[2]
    assert (first.actor, first.action, first.unit_id, first.before, first.after) == \
        (SUPER, "roster.move", "ua1", {"unit": "ub"}, {"unit": "ua1"})
    assert first.at == deps.clock.now() - 2
    mine = await audit.entries(deps, unit_admin)
    assert [e.target for e in mine.entries] == ["person:003", "person:001"]
    assert [e.target for e in (await audit.entries(deps, unit_admin, unit="ua1")).entries] == ["person:001"]
    with pytest.raises(Forbidden):
        await audit.entries(deps, unit_admin, unit="ub")
    with pytest.raises(Forbidden):
        await audit.entries(deps, root, unit="nowhere")
    paged = await audit.entries(deps, root, offset=1, limit=2, action="roster.")
    assert [e.target for e in paged.entries] == ["person:002", "person:001"] and paged.total == 3


async def test_an_audit_entry_rolls_back_with_its_write(deps):
    root = await actor_for(deps, SUPER)
    with pytest.raises(RuntimeError):
        async with deps.storage.atomic():
            await audit.record(deps, root, "exam.create", "exam:e2")
            raise RuntimeError("the write failed")
    assert (await audit.entries(deps, root)).total == 0


async def _say(app, user: str, text: str, private: bool = True) -> str:
    replies = await app.service.handle(Incoming(user=user, text=text, locale="zh", private=private))
    return "\n".join(r.text for r in replies)


async def test_web_in_chat_sends_a_link_to_admins_in_private_only(app):
    answer = await _say(app, UNIT_ADMIN, "/web")
    assert "10 分钟内有效" in answer and "https://bot.example.org/admin/login?token=" in answer
    assert "私聊" in await _say(app, UNIT_ADMIN, "/web", private=False)
    assert await _say(app, PERSON, "/web") == "此功能仅限管理员使用。"
    assert "/web" in await _say(app, UNIT_ADMIN, "/help")
    assert "/web" not in await _say(app, PERSON, "/help")


def test_web_link_on_the_command_line(tmp_path, capsys):
    config = tmp_path / "config.yaml"
    config.write_text(f'admin:\n  super_admins: ["{SUPER}"]\nhttp:\n  port: 8123\n', encoding="utf-8")
    assert cli_main(["--config", str(config), "web-link", SUPER, "--data-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("登录链接") and out[1].startswith("http://127.0.0.1:8123/admin/login?token=")
    assert cli_main(["--config", str(config), "web-link", PERSON, "--data-dir", str(tmp_path)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"{PERSON} 不是管理员（须为配置中的超级管理员或单位管理员）。"]
