"""One admin list: admin.super_admins. The older scheduler.broadcast_admins is still read (its users
join the super admins) with a deprecation warning logged once per process."""

from __future__ import annotations

import logging

import pytest

import bot.config
from bot.config import load_config
from bot.services.org import AdminRole


@pytest.fixture(autouse=True)
def fresh_warnings(monkeypatch):
    monkeypatch.setattr(bot.config, "_warned", set())


def test_the_old_key_joins_the_super_admins_with_one_warning(caplog):
    caplog.set_level(logging.WARNING, logger="bot.config")
    config = load_config(None, admin={"super_admins": ["tg:1"]}, scheduler={"broadcast_admins": ["cli:boss", "tg:1"]})
    assert config.admin.super_admins == ["tg:1", "cli:boss"]
    load_config(None, scheduler={"broadcast_admins": ["cli:boss"]})
    warnings = [r for r in caplog.records if "broadcast_admins is deprecated" in r.getMessage()]
    assert len(warnings) == 1


def test_no_old_key_no_warning(caplog):
    caplog.set_level(logging.WARNING, logger="bot.config")
    assert load_config(None, admin={"super_admins": ["tg:1"]}).admin.super_admins == ["tg:1"]
    assert not [r for r in caplog.records if "deprecated" in r.getMessage()]


def test_one_admin_role_shape():
    assert AdminRole("tg:1", None).is_super and not AdminRole("tg:1", "u1").is_super
