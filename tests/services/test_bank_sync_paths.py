"""Two workers on one database, each with a content root of its own (bot/bank_sync.py): worker A
edits questions of two different bank files, one after the other, while worker B does not look;
B's next catch_up must bring both files and both questions, not only the newest version's file
(which left the other file old on B's disk and in its catalog)."""

from __future__ import annotations

from contextlib import contextmanager

from bot.bank_sync import BankSync
from bot.domain.models import QType
from bot.services import bank as svc
from bot.services.rights import actor_for
from tests.support.bank_apps import ROOT, worker_app


def _three_files(app):
    """One editable single-choice question from each of three bank files."""
    picked: dict[str, object] = {}
    for q in app.catalog.question_list:
        shown = q.origin.rpartition(":")[0]
        if q.type is QType.SINGLE and not q.parent and shown.startswith("quizzes/bank/") and shown not in picked:
            picked[shown] = q
        if len(picked) == 3:
            return list(picked.values())
    raise AssertionError("the bank has fewer than three files with single-choice questions")


async def _edit(app, q, mark):
    deps = app.service.deps
    edited = await svc.edit_question(deps, await actor_for(deps, ROOT), svc.EditQuestion(
        question_id=q.id, stem=q.stem + mark, options=list(q.options), answer="".join("ABCDEFG"[i] for i in q.answer),
        explanation=q.explanation, law=q.cite.law, article=str(q.cite.article), tags=list(q.tags),
        difficulty=str(q.difficulty)))
    assert edited.changed
    return edited.version


async def _workers_at_version_one(tmp_path):
    """Workers A and B, three questions of three bank files, B's sync and version 1 (A edited the
    first question; B applied it)."""
    a = await worker_app(tmp_path, "root-a")
    b = await worker_app(tmp_path, "root-b")
    first, q1, q2 = _three_files(a)
    sync = BankSync(b)
    v1 = await _edit(a, first, "（一）")
    assert await sync.catch_up() == v1  # B is up to date with version 1
    assert b.catalog.questions[first.id].stem.endswith("（一）")
    return a, b, sync, (first, q1, q2), v1


async def test_two_files_changed_between_two_looks_both_reach_the_other_worker(tmp_path):
    a, b, sync, (first, q1, q2), v1 = await _workers_at_version_one(tmp_path)
    try:
        v2 = await _edit(a, q1, "（二）")  # two files changed while B does not look
        v3 = await _edit(a, q2, "（三）")
        assert v3 == v2 + 1 == v1 + 2
        assert await sync.catch_up() == v3
        for q, mark in ((q1, "（二）"), (q2, "（三）")):
            assert b.catalog.questions[q.id].stem == q.stem + mark
            shown = q.origin.rpartition(":")[0]
            on_disk = (b.catalog.root / shown).read_text(encoding="utf-8")
            assert on_disk == (a.catalog.root / shown).read_text(encoding="utf-8") and mark in on_disk
        assert q1.id in b.service.practice._order and b.catalog.questions[first.id].stem.endswith("（一）")
        assert await sync.catch_up() == v3  # nothing new: nothing done
    finally:
        await b.close()
        await a.close()


@contextmanager
def _changed_again_after_the_first_look(a, b, q, before: str, after: str):
    """While in the `with` body, the first time B looks for versions, A publishes q's file once more
    (q's stem ending in `after` instead of `before`): between B's look and B's lock. Yields the list
    of `after` arguments B looked with, and the new text."""
    shown = q.origin.rpartition(":")[0]
    newer = (a.catalog.root / shown).read_text(encoding="utf-8").replace(q.stem + before, q.stem + after)
    versions = b.storage.bank_versions
    looked = versions.newest_per_path
    calls: list[int] = []

    async def then_another_change(since):
        found = await looked(since)
        calls.append(since)
        if len(calls) == 1:
            await a.storage.bank_versions.publish(shown, newer, a.clock.now(), ROOT)
        return found

    versions.newest_per_path = then_another_change
    try:
        yield calls, newer
    finally:
        del versions.newest_per_path


async def test_a_file_changed_again_while_applying_waits_for_the_next_round(tmp_path):
    a, b, sync, (_first, q1, q2), v1 = await _workers_at_version_one(tmp_path)
    try:
        v2 = await _edit(a, q1, "（二）")
        v3 = await _edit(a, q2, "（三）")
        shown = q1.origin.rpartition(":")[0]
        with _changed_again_after_the_first_look(a, b, q1, "（二）", "（四）") as (calls, newer):
            assert await sync.catch_up() == v2 - 1  # q2's file applied; q1's file next round
            assert calls == [v1, v1]
        assert b.catalog.questions[q2.id].stem == q2.stem + "（三）"
        assert b.catalog.questions[q1.id].stem == q1.stem
        assert await sync.catch_up() == v3 + 1
        assert b.catalog.questions[q1.id].stem == q1.stem + "（四）"
        assert (b.catalog.root / shown).read_text(encoding="utf-8") == newer
    finally:
        await b.close()
        await a.close()


async def test_a_file_kept_at_start_stays_kept_when_a_round_comes_back_for_a_superseded_file(tmp_path):
    """At B's start its copy of one bank file was changed on disk after that file's version (a
    `lawbot bank import` on B's machine): B keeps it. Another file is superseded while B applies
    (a newer version comes between B's look and its lock), so B comes back next round from below
    that file's version; the kept file must not be written then either."""
    a = await worker_app(tmp_path, "root-a")
    b = await worker_app(tmp_path, "root-b")
    try:
        p1, p3, p2 = _three_files(a)
        v1 = await _edit(a, p1, "（一）")
        v2 = await _edit(a, p3, "（三）")
        await _edit(a, p2, "（二）")  # v3: the file B keeps
        kept = p2.origin.rpartition(":")[0]
        local = (a.catalog.root / kept).read_text(encoding="utf-8").replace(p2.stem + "（二）", p2.stem + "（本机）")
        (b.catalog.root / kept).write_text(local, encoding="utf-8")  # changed on B's disk after v3 was made
        sync = BankSync(b)
        with _changed_again_after_the_first_look(a, b, p3, "（三）", "（四）"):
            assert await sync.catch_up() == v2 - 1 == v1  # p3's file superseded: back to below it
        assert await sync.catch_up() > v2  # the newer p3 applied
        assert b.catalog.questions[p3.id].stem == p3.stem + "（四）"
        assert (b.catalog.root / kept).read_text(encoding="utf-8") == local  # still B's own text
    finally:
        await b.close()
        await a.close()
