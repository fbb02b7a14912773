"""The checked catalog kept on disk per content version (bot.catalog.cache) and read by
bootstrap.load_checked_catalog: the same catalog as a fresh load, a new one when the content
changes, and a damaged or foreign file is never trusted."""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import pytest

from bot import bootstrap
from bot.catalog import cache
from bot.catalog.catalog import load_catalog
from bot.catalog.check import check_content

REPO = Path(__file__).resolve().parents[2]
LAW = "罚款决定与罚款收缴分离实施办法.md"


@pytest.fixture
def root(tmp_path) -> Path:
    """A small content root: one law, no questions."""
    folder = tmp_path / "content-root"
    (folder / "content" / "laws").mkdir(parents=True)
    shutil.copy(REPO / "content" / "laws" / LAW, folder / "content" / "laws" / LAW)
    return folder


@pytest.fixture
def folder(tmp_path, monkeypatch) -> Path:
    path = tmp_path / "cache"
    monkeypatch.setenv("LAWBOT_CACHE_DIR", str(path))
    return path


@pytest.fixture
def fresh_process(monkeypatch):
    """load_checked_catalog as in a new process: nothing loaded in memory."""
    monkeypatch.setattr(bootstrap, "_CATALOGS", {})


def _articles(catalog):
    return {name: [(a.number, a.text, a.chapter) for a in law.articles.values()]
            for name, law in catalog.laws.laws.items()}


def test_the_shipped_catalog_from_the_cache_equals_a_fresh_load(tmp_path):
    key = cache.catalog_key(REPO)
    fresh, problems = check_content(REPO.resolve())
    assert not problems
    assert cache.store(tmp_path, key, fresh)
    stored = cache.load(tmp_path, key)
    assert stored is not None and stored is not fresh
    assert stored.root == fresh.root
    assert stored.questions == fresh.questions and list(stored.questions) == list(fresh.questions)
    assert stored.exams == fresh.exams and stored.cases == fresh.cases and stored.services == fresh.services
    assert _articles(stored) == _articles(fresh)
    assert stored.laws.aliases == fresh.laws.aliases
    assert stored.laws.stale_names() == fresh.laws.stale_names()


def test_a_second_process_reads_the_file_instead_of_the_content(root, folder, fresh_process, monkeypatch):
    first = bootstrap.load_checked_catalog(root)
    assert [p.name for p in folder.glob("catalog-*.pickle")] == [f"catalog-{cache.catalog_key(root)}.pickle"]
    monkeypatch.setattr(bootstrap, "_CATALOGS", {})

    def no_load(_root):
        raise AssertionError("the content was loaded again")

    monkeypatch.setattr(bootstrap, "check_content", no_load)
    second = bootstrap.load_checked_catalog(root)
    assert second is not first and _articles(second) == _articles(first)


def test_changed_content_gives_a_new_key_and_a_fresh_load(root, folder, fresh_process, monkeypatch):
    before = bootstrap.load_checked_catalog(root)
    law = root / "content" / "laws" / LAW
    law.write_text(law.read_text(encoding="utf-8").replace("第二条 罚款的收取", "第二条 罚款之收取"), encoding="utf-8")
    monkeypatch.setattr(bootstrap, "_CATALOGS", {})
    after = bootstrap.load_checked_catalog(root)
    (name,) = after.laws.names()
    assert "罚款之收取" in after.laws.article(name, 2).text
    assert "罚款的收取" in before.laws.article(name, 2).text
    assert len(list(folder.glob("catalog-*.pickle"))) == 2


def test_the_key_covers_root_content_questions_and_code(root, monkeypatch, tmp_path):
    key = cache.catalog_key(root)
    assert cache.catalog_key(root) == key  # stable while nothing changes
    moved = tmp_path / "moved"
    shutil.copytree(root, moved)
    assert cache.catalog_key(moved) != key  # the catalog holds its paths
    (root / "quizzes" / "bank").mkdir(parents=True)
    (root / "quizzes" / "bank" / "x.yaml").write_text("questions: []\n", encoding="utf-8")
    assert cache.catalog_key(root) != key
    code = tmp_path / "bot"
    for part in cache.CODE_DIRS:
        shutil.copytree(cache._CODE / part, code / part)
    monkeypatch.setattr(cache, "_CODE", code)
    unchanged = cache.catalog_key(root)
    (code / "domain" / "models.py").write_text("# changed\n", encoding="utf-8")
    assert cache.catalog_key(root) != unchanged


@pytest.mark.parametrize("damage", ["garbage", "truncated", "other key", "not a catalog"])
def test_a_damaged_file_is_ignored_and_replaced(root, folder, fresh_process, monkeypatch, damage):
    key = cache.catalog_key(root)
    good = load_catalog(root)[0]
    path = cache.cache_file(folder, key)
    folder.mkdir(mode=0o700)
    if damage == "garbage":
        path.write_bytes(b"not a pickle" * 10)
    elif damage == "truncated":
        cache.store(folder, key, good)
        path.write_bytes(path.read_bytes()[:1000])
    elif damage == "other key":
        cache.store(folder, "0" * 64, good)
        os.replace(cache.cache_file(folder, "0" * 64), path)
    else:
        import pickle

        path.write_bytes(pickle.dumps((key, {"laws": []})))
    assert cache.load(folder, key) is None
    catalog = bootstrap.load_checked_catalog(root)
    assert _articles(catalog) == _articles(good)
    assert cache.load(folder, key) is not None  # written again


def test_a_file_others_may_write_is_not_read(root, tmp_path):
    folder = tmp_path / "shared"
    key = cache.catalog_key(root)
    assert cache.store(folder, key, load_catalog(root)[0])
    assert cache.load(folder, key) is not None
    cache.cache_file(folder, key).chmod(0o666)
    assert cache.load(folder, key) is None
    cache.cache_file(folder, key).chmod(0o600)
    folder.chmod(0o777)
    assert cache.load(folder, key) is None


def test_writers_at_once_leave_one_whole_file(root, tmp_path):
    folder = tmp_path / "cache"
    key = cache.catalog_key(root)
    catalog = load_catalog(root)[0]
    results: list[bool] = []
    threads = [threading.Thread(target=lambda: results.append(cache.store(folder, key, catalog))) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [True] * 4
    assert [p.name for p in folder.iterdir()] == [cache.cache_file(folder, key).name]  # no temporary files left
    assert _articles(cache.load(folder, key)) == _articles(catalog)


def test_invalid_content_is_never_stored(root, folder, fresh_process):
    (root / "quizzes" / "bank").mkdir(parents=True)
    (root / "quizzes" / "bank" / "bad.yaml").write_text("questions: [\n", encoding="utf-8")
    with pytest.raises(bootstrap.ContentError):
        bootstrap.load_checked_catalog(root)
    assert not list(folder.glob("catalog-*"))


def test_off_turns_it_off(root, monkeypatch, fresh_process, tmp_path):
    monkeypatch.setenv("LAWBOT_CACHE_DIR", "off")
    assert cache.default_dir() is None
    monkeypatch.delenv("LAWBOT_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache.default_dir() == tmp_path / "xdg" / "lawbot"
    monkeypatch.setenv("LAWBOT_CACHE_DIR", "off")
    bootstrap.load_checked_catalog(root)
    assert not (tmp_path / "xdg").exists()
