"""A process forked from one that has used the report loop (a thread with its own event loop) or
started preparing a search index must not wait for threads that exist only in its parent: an app
the child opens closes at once."""

from __future__ import annotations

import asyncio
import multiprocessing

from bot.reports import offloop
from bot.search import lookup
from tests.support.transcript import make_app


def _child(folder: str, results) -> None:
    async def main() -> None:
        from pathlib import Path

        app = await make_app(Path(folder))
        await app.close()  # before: waited forever for the parent's report loop thread

    try:
        asyncio.run(asyncio.wait_for(main(), 20))
        results.put(("closed", [f for f in lookup._PREPARING.values() if not f.done()]))
    except BaseException as exc:  # noqa: BLE001 - reported to the parent
        results.put((repr(exc), []))


def test_a_forked_child_opens_and_closes_an_app_without_the_parents_threads(tmp_path):
    offloop._REPORTS.start()  # the report loop's thread runs in this process
    pending = lookup.Future()
    lookup._PREPARING[-1] = pending  # as if an index were still being prepared on a thread here
    try:
        ctx = multiprocessing.get_context("fork")
        results = ctx.Queue()
        child = ctx.Process(target=_child, args=(str(tmp_path / "child"), results))
        child.start()
        child.join(60)
        if child.is_alive():
            child.kill()
            child.join()
        assert results.get(timeout=5) == ("closed", [])
        assert child.exitcode == 0
    finally:
        lookup._PREPARING.pop(-1, None)
