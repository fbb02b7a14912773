"""A question-bank change made on one worker reaches another worker's running catalog and its
copy of the bank file (each worker here has a catalog and a content root of its own), on SQLite
and on PostgreSQL."""

from __future__ import annotations

import copy
import time
from types import SimpleNamespace

import pytest

from bot.bank_sync import BankSync
from bot.bootstrap import load_checked_catalog
from bot.storage.sql.store import open_store
from tests.support import pg
from tests.support.transcript import REPO

NEW_BANK = """questions:
  - id: sync-0001
    type: judge
    stem: 生产经营单位的主要负责人是本单位安全生产第一责任人。
    answer: true
    explanation: >-
      《安全生产法》第五条规定“生产经营单位的主要负责人是本单位安全生产第一责任人”。
    cite: {law: 安全生产法, article: 5}
    tags: [安全生产法]
    audience: [resident]
    difficulty: 1
"""


class Practice:
    def __init__(self):
        self.reloads = 0

    def reload_questions(self):
        self.reloads += 1


def worker(store, root):
    catalog = copy.deepcopy(load_checked_catalog(REPO))
    catalog.root = root
    return SimpleNamespace(storage=store, catalog=catalog, service=SimpleNamespace(practice=Practice()))


@pytest.fixture(params=["sqlite", "postgresql"])
def target(request, tmp_path):
    if request.param == "sqlite":
        yield str(tmp_path / "bank.sqlite3")
        return
    pg.require()
    url = pg.create_database()
    yield url
    pg.drop_database(url)


async def test_a_bank_version_reaches_every_worker(tmp_path, target):
    a_store, b_store = await open_store(target), await open_store(target)
    try:
        b_root = tmp_path / "b"
        (b_root / "quizzes" / "bank").mkdir(parents=True)
        b = worker(b_store, b_root)
        sync = BankSync(b)
        assert await sync.catch_up() == 0 and "sync-0001" not in b.catalog.questions
        # worker a imports and publishes (what BankAdminFlow does after writing its file)
        async with a_store.atomic():
            assert await a_store.bank_versions.publish("quizzes/bank/imported.yaml", NEW_BANK, time.time(),
                                                       "tg:1") == 1
        assert await sync.catch_up() == 1
        assert b.catalog.questions["sync-0001"].cite.law == "安全生产法"
        assert (b_root / "quizzes" / "bank" / "imported.yaml").read_text(encoding="utf-8") == NEW_BANK
        assert b.service.practice.reloads == 1
        assert await sync.catch_up() == 1 and b.service.practice.reloads == 1  # nothing new: nothing done
        changed = NEW_BANK.replace("第一责任人。", "第一责任人，对安全生产工作全面负责。")
        await a_store.bank_versions.publish("quizzes/bank/imported.yaml", changed, time.time(), "tg:1")
        assert await sync.catch_up() == 2
        assert "全面负责" in b.catalog.questions["sync-0001"].stem
    finally:
        await a_store.close()
        await b_store.close()


async def test_at_start_a_bank_file_changed_on_disk_later_is_kept(tmp_path, target):
    store = await open_store(target)
    try:
        await store.bank_versions.publish("quizzes/bank/imported.yaml", NEW_BANK, time.time() - 60, "tg:1")
        root = tmp_path / "c"
        (root / "quizzes" / "bank").mkdir(parents=True)
        kept = "questions: []\n"
        (root / "quizzes" / "bank" / "imported.yaml").write_text(kept, encoding="utf-8")  # e.g. a CLI import
        c = worker(store, root)
        assert await BankSync(c).catch_up() == 1
        assert (root / "quizzes" / "bank" / "imported.yaml").read_text(encoding="utf-8") == kept
        assert "sync-0001" not in c.catalog.questions
    finally:
        await store.close()
