"""Typed config: defaults, the shipped example, and errors that name the key and the file."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import ConfigError, load_config

REPO = Path(__file__).resolve().parents[1]


def test_defaults_need_no_file():
    config = load_config(None)
    assert config.default_locale == "zh" and config.timezone == "Asia/Shanghai"
    assert config.database_path == Path("data") / "lawbot.sqlite3"


def test_example_config_is_valid_and_complete():
    config = load_config(REPO / "config.example.yaml")
    assert config.practice.wrong_book_clear_after == 2
    example = (REPO / "config.example.yaml").read_text(encoding="utf-8")
    for name in type(config).model_fields:
        assert name in example, f"config.example.yaml does not document {name}"
    for section in ("storage", "practice", "exam", "telegram", "http", "web", "wechat", "wecom"):
        for field in type(getattr(config, section)).model_fields:
            assert field in example, f"config.example.yaml does not document {section}.{field}"


@pytest.mark.parametrize("body, key", [
    ("practise: {}\n", "practise: unknown key"),
    ("practice: {wrong_book_clear_after: 0}\n", "practice.wrong_book_clear_after"),
    ("telegram: {poll_timeout: -1}\n", "telegram.poll_timeout"),
    ("timezone: Mars/Olympus\n", "timezone"),
    ("default_locale: fr\n", "default_locale"),
    ("telegram: {tokn: x}\n", "telegram.tokn: unknown key"),
    ("web: {link_ttl_minutes: 0}\n", "web.link_ttl_minutes"),
    ("web: {trusted_proxies: [nginx.local]}\n", "web.trusted_proxies"),
])
def test_bad_values_name_the_key_and_the_file(tmp_path, body, key):
    path = tmp_path / "config.yaml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert f"{path}: {key}" in str(info.value)


def test_token_comes_from_the_environment(monkeypatch, tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text("telegram: {token: from-file}\n", encoding="utf-8")
    assert load_config(path).telegram.resolved_token() == "from-file"
    monkeypatch.setenv("LAWBOT_TELEGRAM_TOKEN", "from-env")
    assert load_config(path).telegram.resolved_token() == "from-env"


def test_cli_reports_a_bad_config_without_traceback(tmp_path):
    from tests.support.cli import lawbot

    path = tmp_path / "config.yaml"
    path.write_text("exam: {sweep_interval_seconds: nope}\n", encoding="utf-8")
    result = lawbot("--config", str(path), "content", "check")
    assert result.returncode == 2
    assert "exam.sweep_interval_seconds" in result.stderr and "Traceback" not in result.stderr
