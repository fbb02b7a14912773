"""`lawbot chat` prepares the search index as `lawbot run` does (bot/serving.py): read from the
cache folder (LAWBOT_CACHE_DIR), or built there by a child process, in the background; the first
free-text question uses it (or awaits it) instead of building one in memory on the event loop."""

from __future__ import annotations

import shutil

from bot.bootstrap import load_checked_catalog
from bot.catalog.cachefiles import default_dir
from bot.search import cache
from bot.search.lookup import SearchIndex
from tests.support.cli import lawbot
from tests.support.transcript import REPO

QUESTION = "喝了酒开车被查了怎么处罚"


def _shipped_index_file():
    """The run's cache file of the shipped content's index (built by a child process if missing)."""
    folder = default_dir()
    assert folder is not None
    catalog = load_checked_catalog(REPO)  # the process's checked catalog, before the folder changes
    cache.cached_lookup(catalog, folder)
    return cache.cache_file(folder, cache.content_key(REPO))


def test_the_chat_reads_the_index_from_the_cache_folder(tmp_path, monkeypatch):
    seeded = tmp_path / "cache"
    seeded.mkdir(mode=0o700)
    shutil.copy2(_shipped_index_file(), seeded)
    built_here = []

    def refuse(cls, catalog):
        built_here.append(catalog)
        raise AssertionError("the index was built in the chat's process")

    monkeypatch.setattr(SearchIndex, "build", classmethod(refuse))
    result = lawbot("chat", "--data-dir", str(tmp_path / "data"), stdin=f"{QUESTION}\n",
                    env={"LAWBOT_CACHE_DIR": str(seeded)})
    assert result.returncode == 0, result.stderr[-2000:]
    assert not built_here
    assert "《道路交通安全法》第九十一条" in result.stdout  # answered from the cached index
