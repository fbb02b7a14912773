"""`lawbot bank import` on a deployment tells its running workers, as an import in chat does: the
bank file's new text becomes the next bank version in the deployment's database, and a worker's
BankSync applies it to its own catalog and content root (SQLite and PostgreSQL). A scratch copy
of the content (--content elsewhere) publishes nothing."""

from __future__ import annotations

import asyncio
import copy
import shutil
from types import SimpleNamespace

import pytest

from bot.bank_sync import BankSync
from bot.bootstrap import load_checked_catalog
from bot.cli import main
from bot.storage.sql.store import open_store
from tests.support import pg
from tests.support.transcript import REPO

GOOD = REPO / "tests" / "catalog" / "fixtures" / "import" / "good-gbk.csv"


def _content(folder):
    for part in ("content/laws", "quizzes/bank"):
        shutil.copytree(REPO / part, folder / part)
    return folder


class _Practice:
    def __init__(self):
        self.reloads = 0

    def reload_questions(self):
        self.reloads += 1


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request, tmp_path):
    if request.param == "sqlite":
        yield None
        return
    pg.require()
    url = pg.create_database()
    yield url
    pg.drop_database(url)


@pytest.mark.sqlite_only  # it names its own databases (a SQLite file, or one it creates on the server)
def test_cli_import_reaches_a_running_worker(tmp_path, database, capsys, monkeypatch):
    monkeypatch.setenv("LAWBOT_LANG", "zh")
    monkeypatch.delenv("LAWBOT_DATABASE_URL", raising=False)
    root = _content(tmp_path / "deployed")
    data = tmp_path / "data"
    config = tmp_path / "config.yaml"
    lines = [f"data_dir: {data}", f"content_root: {root}"]
    if database:
        lines.append(f"database: {{url: '{database}'}}")
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    target = database or str(data / "lawbot.sqlite3")
    worker_root = _content(tmp_path / "worker")  # another machine's copy of the content

    async def open_worker():
        store = await open_store(target)
        catalog = copy.deepcopy(load_checked_catalog(REPO))
        catalog.root = worker_root
        worker = SimpleNamespace(storage=store, catalog=catalog, service=SimpleNamespace(practice=_Practice()))
        return store, worker, BankSync(worker)

    async def before():
        store, worker, sync = await open_worker()
        try:
            return await sync.catch_up(), len(worker.catalog.questions)
        finally:
            await store.close()

    assert asyncio.run(before())[0] == 0  # the deployment's database exists; no version yet

    scratch = _content(tmp_path / "scratch")  # an import into a scratch copy tells nobody
    assert main(["--config", str(config), "bank", "import", str(GOOD), "--content", str(scratch)]) == 0
    assert "已发布题库版本" not in capsys.readouterr().out

    assert main(["--config", str(config), "bank", "import", str(GOOD)]) == 0
    out = capsys.readouterr().out
    assert "已写入 quizzes/bank/imported.yaml：新增 3 题" in out
    assert "已发布题库版本 1（quizzes/bank/imported.yaml）" in out

    async def after():
        store, worker, sync = await open_worker()
        try:
            assert await sync.catch_up() == 1
            written = (worker_root / "quizzes" / "bank" / "imported.yaml").read_text(encoding="utf-8")
            assert written == (root / "quizzes" / "bank" / "imported.yaml").read_text(encoding="utf-8")
            assert worker.service.practice.reloads == 1
            return len(worker.catalog.questions)
        finally:
            await store.close()

    assert asyncio.run(after()) == asyncio.run(before())[1] + 3
