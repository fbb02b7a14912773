"""The systemd unit of docs/deploy.md gives the service a cache folder of its own: systemd's
CacheDirectory=, and LAWBOT_CACHE_DIR pointing the catalog and search index caches at it (a
service user whose home cannot be written has no ~/.cache/lawbot)."""

from __future__ import annotations

import re

from bot.catalog.cachefiles import default_dir
from tests.support.transcript import REPO


def _unit() -> dict[str, list[str]]:
    text = (REPO / "docs" / "deploy.md").read_text(encoding="utf-8")
    block = re.search(r"```ini\n# /etc/systemd/system/lawbot\.service\n(.*?)```", text, re.S)
    assert block, "no systemd unit in docs/deploy.md"
    settings: dict[str, list[str]] = {}
    section = ""
    for line in block.group(1).splitlines():
        if line.startswith("["):
            section = line.strip("[]")
        elif "=" in line and not line.startswith("#"):
            name, value = line.split("=", 1)
            settings.setdefault(f"{section}.{name}", []).append(value)
    return settings


def test_the_unit_gives_the_service_its_own_cache_folder(monkeypatch):
    unit = _unit()
    (folder,) = unit["Service.CacheDirectory"]
    environment = dict(item.split("=", 1) for item in unit.get("Service.Environment", []))
    assert environment.get("LAWBOT_CACHE_DIR") == f"/var/cache/{folder}"  # the folder systemd makes
    monkeypatch.setenv("LAWBOT_CACHE_DIR", environment["LAWBOT_CACHE_DIR"])
    assert str(default_dir()) == f"/var/cache/{folder}"
