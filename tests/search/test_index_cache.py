"""The search index cache (bot/search/cache.py): hit, miss, rebuild on a content change, a
corrupt file ignored, two processes starting at once, and the same answers with and without it.

A small content root (two laws, a guide, two cases copied from the shipped content) keeps each
build to about a second."""

from __future__ import annotations

import os
import pickle
import shutil
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from bot.catalog.catalog import load_catalog
from bot.search import cache
from bot.search.lookup import Lookup, SearchIndex
from bot.search.text import Segmenter

REPO = Path(__file__).resolve().parents[2]
LAWS = ("中华人民共和国人民调解法.md", "中华人民共和国道路交通安全法.md", "aliases.yaml", "status.yaml", "SOURCE.md")
QUESTIONS = ["调解协议怎么去法院司法确认", "邻居吵架找谁调解", "人民调解收费吗", "喝了酒开车被查了怎么处罚", "酒驾",
             "醉酒驾驶", "道路交通安全法 91", "人民调解法第三十三条", "离昏", "今天天气怎么样", "手机丢了怎么办",
             "調解協議有效嗎", "xyz", "交通事故"]


def make_content(root: Path) -> Path:
    for name in LAWS:
        (root / "content" / "laws").mkdir(parents=True, exist_ok=True)
        shutil.copy(REPO / "content" / "laws" / name, root / "content" / "laws" / name)
    for folder, name in (("services", "renmin-tiaojie.yaml"), ("cases", "renmin-tiaojie.yaml"),
                         ("cases", "yinjiu-jiache.yaml")):
        (root / "content" / folder).mkdir(parents=True, exist_ok=True)
        shutil.copy(REPO / "content" / folder / name, root / "content" / folder / name)
    return root


@pytest.fixture(scope="module")
def content(tmp_path_factory) -> Path:
    return make_content(tmp_path_factory.mktemp("content"))


@pytest.fixture(scope="module")
def catalog(content):
    catalog, _ = load_catalog(content)
    assert len(catalog.services) == 1 and len(catalog.cases) == 2
    return catalog


@pytest.fixture(scope="module")
def memory_index(catalog) -> SearchIndex:
    """The catalog's index built in memory once, for the tests that only need one written."""
    return SearchIndex.build(catalog)


@pytest.fixture(scope="module")
def built(catalog, tmp_path_factory):
    """(cache dir, how the first load went, the lookup read back from the cache). Built as a bot
    builds it: by a child process (bot.search.builder)."""
    folder = tmp_path_factory.mktemp("cache")
    lookup, how = cache.cached_lookup(catalog, folder)
    return folder, how, lookup


def test_a_miss_builds_the_file_and_the_next_start_reads_it(built, catalog):
    folder, how, _lookup = built
    assert how == "built"
    files = list(folder.glob("search-*.sqlite3"))
    assert len(files) == 1 and not list(folder.glob(".*.tmp"))
    again, how = cache.cached_lookup(catalog, folder)
    assert how == "hit"
    assert isinstance(again.index, cache.StoredIndex)
    assert again.search("人民调解收费吗").best.ref == "renmin-tiaojie"


def test_answers_are_the_same_with_and_without_the_cache(built, catalog):
    _, _, stored = built
    memory = Lookup(catalog)  # built in memory, never written
    assert not isinstance(memory.index, cache.StoredIndex)
    for question in QUESTIONS:
        assert stored.search(question, 5) == memory.search(question, 5), question
        assert stored.search_laws(question, 10) == memory.search_laws(question, 10), question
        assert stored.search(question, 5, kinds=("case",)) == memory.search(question, 5, kinds=("case",))


def test_queries_are_cut_as_jieba_cuts_them(built):
    """The stored dictionary reproduces jieba's segmentation (HMM off), domain words included."""
    import jieba

    _, _, stored = built
    reference = jieba.Tokenizer()
    reference.initialize()
    segmenter, _table = Segmenter.from_jieba(["人民调解", "离婚冷静期"])
    for word in ("人民调解", "离婚冷静期"):
        reference.add_word(word)
    for text in QUESTIONS + ["离婚冷静期是多久", "A股3d打印 abc-1", "㐀中文\r\n空格 x"]:
        assert segmenter.cut(text) == list(reference.cut(text, HMM=False))
        assert segmenter.cut_for_search(text) == list(reference.cut_for_search(text, HMM=False))
    assert stored.an.segmenter.cut("人民调解委员会") == stored.index.analyzer.segmenter.cut("人民调解委员会")


def test_a_content_change_gives_a_new_key_and_a_rebuild(tmp_path):
    root = make_content(tmp_path / "c")
    folder = tmp_path / "cache"
    before = cache.content_key(root)
    catalog, _ = load_catalog(root)
    _, how = cache.cached_lookup(catalog, folder, apart=False)
    assert how == "built"
    guide = root / "content" / "services" / "renmin-tiaojie.yaml"
    guide.write_text(guide.read_text(encoding="utf-8").replace("调解委员会, ", "调解委员会, 找社区调解员, "),
                     encoding="utf-8")
    after = cache.content_key(root)
    assert after != before
    catalog, _ = load_catalog(root)
    lookup, how = cache.cached_lookup(catalog, folder, apart=False)
    assert how == "built"  # not the old file
    assert cache.cache_file(folder, after).is_file()
    assert lookup.search("找社区调解员").best.ref == "renmin-tiaojie"
    assert cache.content_key(root) == after  # stable while nothing changes


@pytest.mark.parametrize("damage", ["garbage", "truncated", "incomplete"])
def test_a_corrupt_file_is_ignored_and_rebuilt(built, catalog, tmp_path, damage):
    folder, _, _ = built
    copy = tmp_path / "cache"
    shutil.copytree(folder, copy)
    (path,) = copy.glob("search-*.sqlite3")
    if damage == "garbage":
        path.write_bytes(b"not a database" * 100)
    elif damage == "truncated":
        path.write_bytes(path.read_bytes()[:8192])
    else:  # a file whose writer died before the last row
        with sqlite3.connect(path) as conn:
            conn.execute("DELETE FROM meta WHERE name = 'complete'")
        conn.close()
    assert cache.open_cached(copy, cache.content_key(catalog.root)) is None
    lookup, how = cache.cached_lookup(catalog, copy, apart=False)
    assert how == "built"
    assert lookup.search("人民调解收费吗").best.ref == "renmin-tiaojie"
    assert cache.open_cached(copy, cache.content_key(catalog.root)) is not None


def test_an_unwritable_cache_folder_keeps_the_index_in_memory(catalog, tmp_path):
    blocked = tmp_path / "file"
    blocked.write_text("x")
    # a folder under a file cannot exist; built here (the builder process is tested below, without a folder)
    lookup, how = cache.cached_lookup(catalog, blocked / "cache", apart=False)
    assert how == "memory"
    assert lookup.search("人民调解收费吗").best.ref == "renmin-tiaojie"


_CHILD = """
import sys
from pathlib import Path
from bot.catalog.catalog import load_catalog
from bot.search import cache
catalog, _ = load_catalog(Path(sys.argv[1]))
lookup, how = cache.cached_lookup(catalog, Path(sys.argv[2]), apart=False)
print(how, lookup.search("人民调解收费吗").best.ref)
"""


def test_two_processes_starting_at_once_build_one_file_and_both_answer(content, tmp_path):
    folder = tmp_path / "cache"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    children = [subprocess.Popen([sys.executable, "-c", _CHILD, str(content), str(folder)], env=env,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [child.communicate(timeout=120) for child in children]
    assert [child.returncode for child in children] == [0, 0], outputs
    hows = sorted(out.split()[0] for out, _ in outputs)
    assert hows == ["built", "hit"]  # the lock: the second waited and read the first one's file
    assert all(out.split()[1] == "renmin-tiaojie" for out, _ in outputs)
    assert len(list(folder.glob("search-*.sqlite3"))) == 1 and not list(folder.glob(".*.tmp"))


def test_the_write_is_atomic(memory_index, tmp_path, monkeypatch):
    """A writer that fails half-way leaves no file under the final name (readers never see it)."""
    index = memory_index
    path = tmp_path / "search-x.sqlite3"

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(cache.os, "replace", boom)
    with pytest.raises(OSError):
        cache.write_index(index, path, "x")
    assert not path.exists() and not list(tmp_path.glob(".*.tmp"))


def test_cli_reads_the_cache_without_loading_the_catalog(built, content, monkeypatch):
    folder, _, _ = built

    def refuse():
        raise AssertionError("the catalog was loaded on a cache hit")

    lookup, how = cache.cli_lookup(content, folder, refuse)
    assert how == "hit" and lookup.catalog is None
    assert lookup.search("人民调解法第三十三条").best.ref == "人民调解法:33"
    assert not any(law._articles for law in lookup.laws.laws.values() if law.short_name != "人民调解法")


async def test_a_question_during_start_up_awaits_the_index_without_blocking_the_loop(tmp_path, monkeypatch):
    """A bot at start-up (start_preparing) leaves a cold build to another process
    (bot.search.builder): its own threads keep the interpreter (Ctrl-C, the Telegram start) and
    jieba stays out of its memory."""
    import asyncio

    from bot.search.lookup import lookup_ready, start_preparing

    catalog, _ = load_catalog(make_content(tmp_path / "c"))

    def refuse(cls, catalog):
        raise AssertionError("the index was built in the serving process")

    monkeypatch.setattr(SearchIndex, "build", classmethod(refuse))
    preparing = start_preparing(catalog, tmp_path / "cache")
    ticks = 0

    async def ticker():
        nonlocal ticks
        while not preparing.done():
            ticks += 1
            await asyncio.sleep(0.01)

    task = asyncio.create_task(ticker())
    lookup = await lookup_ready(catalog)  # asked at once, before the index is ready
    await task
    assert preparing.result() == "built" and isinstance(lookup.index, cache.StoredIndex)
    assert ticks > 0  # the loop ran while the index was built
    assert lookup.search("人民调解收费吗").best.ref == "renmin-tiaojie"


def test_an_open_index_keeps_answering_after_its_file_is_removed(built, catalog, tmp_path):
    """A newer content version's writer prunes old files; a process still using one goes on."""
    import threading

    folder, _, _ = built
    copy = tmp_path / "cache"
    shutil.copytree(folder, copy)
    (path,) = copy.glob("search-*.sqlite3")
    index = cache.StoredIndex(path, cache.content_key(catalog.root))
    lookup = Lookup(catalog, index=index)
    path.unlink()
    answers = []
    worker = threading.Thread(target=lambda: answers.append(lookup.search("喝了酒开车被查了怎么处罚", 3)))
    worker.start()
    worker.join()
    assert answers[0].hits and answers[0] == Lookup(catalog).search("喝了酒开车被查了怎么处罚", 3)


def _copy_of(built, tmp_path) -> tuple[Path, Path]:
    folder, _, _ = built
    copy = tmp_path / "cache"
    shutil.copytree(folder, copy)
    (path,) = copy.glob("search-*.sqlite3")
    return copy, path


@pytest.mark.parametrize("how", ["group-writable", "world-writable", "foreign owner"])
def test_a_file_others_could_have_written_is_not_read(built, catalog, memory_index, tmp_path, monkeypatch, caplog,
                                                      how):
    """The file holds a pickle: as for the catalog cache, one that is not ours alone is rebuilt."""
    copy, path = _copy_of(built, tmp_path)
    if how == "foreign owner":
        if os.getuid() != 0:
            pytest.skip("only root can give a file to another user")
        os.chown(path, 65534, 65534)  # nobody
    else:
        os.chmod(path, 0o620 if how == "group-writable" else 0o602)
    unpickled, loads = [], pickle.loads
    monkeypatch.setattr(cache.pickle, "loads", lambda data: unpickled.append(data) or loads(data))
    key = cache.content_key(catalog.root)
    assert cache.open_cached(copy, key) is None
    assert not unpickled and "writable by others or not ours" in caplog.text
    _, how_loaded = cache.load_or_build(catalog.root, copy, lambda: memory_index)
    assert how_loaded == "built"  # replaced by a file of our own, read from then on
    assert path.stat().st_uid == os.getuid() and stat.S_IMODE(path.stat().st_mode) == 0o600
    lookup, how_loaded = cache.cached_lookup(catalog, copy)
    assert how_loaded == "hit" and unpickled
    assert lookup.search("人民调解收费吗").best.ref == "renmin-tiaojie"


def test_a_folder_others_may_write_keeps_the_index_in_memory(built, catalog, memory_index, tmp_path, caplog):
    copy, _ = _copy_of(built, tmp_path)
    os.chmod(copy, 0o777)
    before = sorted(copy.iterdir())
    index, how = cache.load_or_build(catalog.root, copy, lambda: memory_index)
    assert how == "memory" and index is memory_index and "writable by others or not ours" in caplog.text
    assert sorted(copy.iterdir()) == before  # nothing written there
    _, how = cache.load_or_build(catalog.root, copy / "new", lambda: memory_index)  # made here: ours alone
    assert how == "built" and stat.S_IMODE((copy / "new").stat().st_mode) == 0o700


def test_the_written_file_is_private_whatever_the_umask(catalog, memory_index, tmp_path):
    old = os.umask(0o002)  # the usual umask of a user with a private group
    try:
        _, how = cache.load_or_build(catalog.root, tmp_path / "cache", lambda: memory_index)
    finally:
        os.umask(old)
    (path,) = (tmp_path / "cache").glob("search-*.sqlite3")
    assert how == "built" and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert cache.cached_lookup(catalog, tmp_path / "cache")[1] == "hit"


def test_without_a_cache_folder_a_bot_still_builds_apart_and_keeps_nothing(tmp_path, monkeypatch):
    """LAWBOT_CACHE_DIR=off: the builder writes into a private temporary folder, the bot opens the
    file and the folder is removed at once; the open index goes on answering."""
    import tempfile

    catalog, _ = load_catalog(make_content(tmp_path / "c"))

    def refuse(cls, catalog):
        raise AssertionError("the index was built in the serving process")

    monkeypatch.setattr(SearchIndex, "build", classmethod(refuse))
    (tmp_path / "tmp").mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    lookup, how = cache.cached_lookup(catalog, None)
    assert how == "memory" and isinstance(lookup.index, cache.StoredIndex)
    assert not list((tmp_path / "tmp").iterdir())
    assert lookup.search("人民调解收费吗").best.ref == "renmin-tiaojie"
    assert lookup.search_laws("酒后驾驶", 3)


def test_when_the_builder_process_cannot_run_the_bot_builds_the_index_itself(tmp_path, monkeypatch, caplog):
    from bot.search import builder
    from bot.search.lookup import start_preparing

    catalog, _ = load_catalog(make_content(tmp_path / "c"))
    monkeypatch.setattr(builder.sys, "executable", str(tmp_path / "no-python"))
    assert start_preparing(catalog, tmp_path / "cache").result(timeout=120) == "built"
    assert "builder process could not start" in caplog.text
    assert cache.open_cached(tmp_path / "cache", cache.content_key(catalog.root)) is not None


def test_a_builder_that_finds_the_index_built_meanwhile_does_not_load_the_content(built, content, tmp_path,
                                                                                  monkeypatch):
    """Bots starting together each start a builder; those that waited for the lock read the file."""
    from bot.search import builder

    copy, _ = _copy_of(built, tmp_path)

    def refuse(root):
        raise AssertionError("the content was loaded though the index was there")

    monkeypatch.setattr(builder, "_catalog", refuse)
    assert builder.main([str(content), str(copy), cache.content_key(content)]) == 0


def test_the_builder_refuses_content_changed_since_the_key_was_computed(tmp_path):
    from bot.search import builder

    root = make_content(tmp_path / "c")
    assert builder.main([str(root), str(tmp_path / "cache"), "0" * 64]) == builder.STALE
    assert not (tmp_path / "cache").exists()


async def test_the_bot_and_the_command_line_share_the_catalogs_cache_folder(tmp_path, monkeypatch):
    """serve prepares the index in the folder of the catalog cache (not <data_dir>/cache), the
    one `lawbot ask`/`lawbot law` read; LAWBOT_CACHE_DIR=off keeps it in memory."""
    import argparse
    import asyncio

    from bot.bootstrap import load_checked_catalog
    from bot.catalog.cachefiles import default_dir
    from bot.cli_lookup import cache_dir_for
    from bot.search import lookup as lookup_module
    from bot.serving import serve
    from tests.support.transcript import REPO as SHIPPED
    from tests.support.transcript import config_for

    load_checked_catalog(SHIPPED)  # from the run's catalog cache, before the folder is changed
    chosen = []

    def record(catalog, cache_dir=None):
        chosen.append(cache_dir)

    monkeypatch.setattr(lookup_module, "start_preparing", record)
    for setting in (str(tmp_path / "shared"), "off"):
        monkeypatch.setenv("LAWBOT_CACHE_DIR", setting)
        stop = asyncio.Event()
        assert await serve(config_for(tmp_path / "data"), stop=stop, port=0, on_ready=lambda _, s=stop: s.set()) == 0
        assert cache_dir_for(argparse.Namespace(config=None)) == default_dir()
    assert chosen == [tmp_path / "shared", None]
    assert not (tmp_path / "data" / "cache").exists()
