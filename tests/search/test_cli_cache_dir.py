"""Where `lawbot ask/law` keep the search index."""

import argparse

from bot.cli_lookup import cache_dir_for


def test_with_a_config_the_cli_uses_the_bots_cache_folder(tmp_path, monkeypatch):
    """The bot keeps the index beside the catalog cache, not under its data_dir (bot.serving)."""
    config = tmp_path / "lawbot.yaml"
    config.write_text(f"data_dir: {tmp_path / 'data'}\n", encoding="utf-8")
    monkeypatch.setenv("LAWBOT_CACHE_DIR", str(tmp_path / "shared"))

    assert cache_dir_for(argparse.Namespace(config=str(config))) == tmp_path / "shared"


def test_without_a_config_the_environment_chooses(tmp_path, monkeypatch):
    monkeypatch.setenv("LAWBOT_CACHE_DIR", str(tmp_path / "index"))
    assert cache_dir_for(argparse.Namespace(config=None)) == tmp_path / "index"
    monkeypatch.setenv("LAWBOT_CACHE_DIR", "off")
    assert cache_dir_for(argparse.Namespace(config=None)) is None
    monkeypatch.delenv("LAWBOT_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir_for(argparse.Namespace(config=None)) == tmp_path / "xdg" / "lawbot"
