"""Bank changes across processes (bot/services/bank.py bank_lock): two worker processes on one
database and one content root save different questions of the same bank file at the same instant,
round after round. Each save reads, merges and writes the file; with only a per-process lock both
read the same file and the second write drops the first change. Every round both changes must be
in the file, and the newest bank version (what every worker applies) must hold both last changes."""

from __future__ import annotations

import asyncio
import multiprocessing
import random
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from bot.bootstrap import build, load_checked_catalog
from bot.clock import ManualClock
from bot.domain.models import QType
from bot.services import bank as svc
from bot.services.rights import actor_for
from bot.storage.sql.store import open_store
from tests.support import transcript
from tests.support.templates import migrated_sqlite
from tests.support.transcript import REPO

pytestmark = pytest.mark.sqlite_only  # the children open the SQLite file of the parent's tmp folder

ROOT = "cli:root"
ROUNDS = 6
WAIT = 30  # seconds a barrier waits for the others before the test fails (a child that died)


def _pair() -> tuple[str, str, str]:
    """Two editable single-choice questions of one bank file, and that file."""
    by_file: dict[str, list[str]] = {}
    for q in load_checked_catalog(REPO).question_list:
        if q.type is QType.SINGLE and not q.parent:
            by_file.setdefault(q.origin.rpartition(":")[0], []).append(q.id)
    shown, ids = next((f, ids) for f, ids in sorted(by_file.items()) if len(ids) >= 2 and f.startswith("quizzes/bank/"))
    return ids[0], ids[1], shown


def _marker(who: str, round_: int) -> str:
    return f"{who}{round_:02d}-"


def _worker(tmp: str, who: str, question_id: str, barrier, failures) -> None:
    """A forked worker: its own app (catalog copy, store) on the shared root and database; each
    round it waits for the others, then saves its question with this round's marker."""
    async def main() -> None:
        tmp_path = Path(tmp)
        shared = load_checked_catalog(REPO)
        catalog = replace(shared, root=tmp_path / "root", questions=dict(shared.questions))
        config = transcript.config_for(tmp_path, admin={"super_admins": [ROOT]})
        app = await build(config, clock=ManualClock(), rng=random.Random(1), database=tmp_path / "bank.sqlite3",
                          catalog=catalog)
        try:
            deps = app.service.deps
            actor = await actor_for(deps, ROOT)
            q = deps.catalog.questions[question_id]
            for round_ in range(ROUNDS):
                barrier.wait(WAIT)
                await svc.edit_question(deps, actor, svc.EditQuestion(
                    question_id=q.id, stem=_marker(who, round_) + q.stem, options=list(q.options),
                    answer="".join("ABCDEFG"[i] for i in q.answer), explanation=q.explanation, law=q.cite.law,
                    article=str(q.cite.article), tags=list(q.tags), difficulty=str(q.difficulty)))
                barrier.wait(WAIT)
        finally:
            await app.close()

    try:
        asyncio.run(main())
    except BaseException as exc:  # noqa: BLE001 - reported to the parent, which fails the test
        failures.put(f"{who}: {type(exc).__name__}: {exc}")
        barrier.abort()


def test_two_processes_saving_at_once_keep_both_changes(tmp_path):
    first, second, shown = _pair()
    root = tmp_path / "root"
    (root / shown).parent.mkdir(parents=True)
    shutil.copyfile(REPO / shown, root / shown)
    migrated_sqlite(tmp_path / "bank.sqlite3")

    ctx = multiprocessing.get_context("fork")  # the children share the parent's loaded catalog
    barrier, failures = ctx.Barrier(3), ctx.Queue()
    children = [ctx.Process(target=_worker, args=(str(tmp_path), who, qid, barrier, failures))
                for who, qid in (("A", first), ("B", second))]
    for child in children:
        child.start()
    lost = []
    try:
        for round_ in range(ROUNDS):
            barrier.wait(WAIT)  # both start saving
            barrier.wait(WAIT)  # both saved
            text = (root / shown).read_text(encoding="utf-8")
            lost += [f"round {round_}: {who}" for who in ("A", "B") if _marker(who, round_) not in text]
    finally:
        for child in children:
            child.join(WAIT)
    assert failures.empty(), failures.get()
    assert [child.exitcode for child in children] == [0, 0]
    assert lost == []

    async def newest_version() -> str:
        store = await open_store(tmp_path / "bank.sqlite3")
        try:
            change = await store.bank_versions.latest()
            assert change.path == shown
            return change.body
        finally:
            await store.close()

    body = asyncio.run(newest_version())  # published in the order the file was written
    assert _marker("A", ROUNDS - 1) in body and _marker("B", ROUNDS - 1) in body
