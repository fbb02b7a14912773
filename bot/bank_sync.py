"""Every worker serves the same question bank. A bank import in chat (or an edit in the console)
writes the bank file on the worker that ran it and records the file's new text as a version in the database
(storage.bank_versions); a retirement in the console is stored in storage.retired_questions and
announced with a version too. Each worker applies, for every bank file changed since the version
it applied last, that file's newest version: it writes the file under its own content root (so a
restart loads it too) and puts the questions into its running catalog. Workers look at start, when PostgreSQL announces a version (LISTEN),
and every few seconds (the only way on SQLite, and a safety net for a dropped listener)."""

from __future__ import annotations

import asyncio
import logging
import os
from pathlib import Path

from bot.catalog.questions import load_bank_file

log = logging.getLogger(__name__)

POLL_SQLITE = 1.0
POLL_POSTGRES = 5.0


class BankSync:
    def __init__(self, app):
        self.app = app
        self.applied = 0  # the newest version this worker applied
        # versions decided without writing them (kept at start, outside the content root): a round
        # that comes back to an older version (a file superseded meanwhile) leaves them as decided
        self._settled: set[int] = set()
        self._wake = asyncio.Event()

    async def catch_up(self) -> int:
        """Apply, for every bank file changed since the last version applied, that file's newest
        version (oldest first); returns the newest version applied. At a worker's start a bank
        file changed on disk after its version was made (a `lawbot bank import` on this machine, a
        deployment) is kept: it is what the catalog was loaded from."""
        starting = self.applied == 0
        versions = self.app.storage.bank_versions
        latest = await versions.latest_version()
        if starting or latest > self.applied:  # retirements in the console come with a version
            self.app.catalog.set_retired(await self.app.storage.retired_questions.retired_ids())
        if latest <= self.applied:
            return self.applied
        changes = await versions.newest_per_path(self.applied)
        if not changes:
            return self.applied
        catalog = self.app.catalog
        root = catalog.root.resolve()
        wanted = []
        for change in changes:
            target = (root / change.path).resolve()
            if change.version in self._settled:
                continue
            if not target.is_relative_to(root):
                log.error("bank version %d names %s, outside the content root: ignored", change.version, change.path)
                self._settled.add(change.version)
            elif starting and _modified_after(target, change.created_at):
                log.info("bank version %d: %s changed on disk since; the file is kept", change.version, change.path)
                self._settled.add(change.version)
            else:
                wanted.append((change, target))
        superseded: list[int] = []
        applied = 0
        if wanted:
            from bot.services.bank import bank_lock

            async with bank_lock(catalog.root):  # not while a change on another worker writes a file
                fresh = {c.path: c.version for c in await versions.newest_per_path(self.applied)}
                for change, target in wanted:
                    if fresh.get(change.path) != change.version:  # a newer one of this file came meanwhile
                        superseded.append(change.version)
                        continue
                    questions, problems = await asyncio.to_thread(self._write_and_load, target, change.body,
                                                                  change.path)
                    if problems:
                        log.error("bank version %d (%s): %d problems, e.g. %s", change.version, change.path,
                                  len(problems), problems[0])
                    catalog.add_questions(questions)
                    applied += 1
                    log.info("question bank version %d applied (%s, %d questions)", change.version, change.path,
                             len(questions))
        if applied:
            self.app.service.practice.reload_questions()
        # a superseded file is applied next round: every version before it is done
        self.applied = min(superseded) - 1 if superseded else changes[-1].version
        return self.applied

    def _write_and_load(self, target: Path, body: str, shown: str):
        try:
            current = target.read_text(encoding="utf-8")
        except OSError:
            current = None
        if current != body:  # a temporary file and a rename: no worker ever reads half a file
            target.parent.mkdir(parents=True, exist_ok=True)
            temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
            temporary.write_text(body, encoding="utf-8")
            os.replace(temporary, target)
        return load_bank_file(target, self.app.catalog.laws, shown)

    async def run(self) -> None:
        """Apply versions until cancelled."""
        listener = None
        poll = POLL_SQLITE
        try:
            if self.app.storage.db.dialect_name == "postgresql":
                poll = POLL_POSTGRES
            while True:
                if poll == POLL_POSTGRES and (listener is None or listener.is_closed()):
                    listener = await self._listen()
                try:
                    await self.catch_up()
                except asyncio.CancelledError:
                    raise
                except Exception:
                    log.exception("applying a question-bank version failed")
                self._wake.clear()
                try:
                    await asyncio.wait_for(self._wake.wait(), poll)
                except TimeoutError:
                    pass
        finally:
            if listener is not None and not listener.is_closed():
                listener.terminate()

    async def _listen(self):
        """A connection that LISTENs for new versions (None when it cannot be opened now)."""
        import asyncpg

        from bot.storage.sql.bank_versions import BANK_CHANNEL

        u = self.app.storage.db.url
        try:
            conn = await asyncpg.connect(host=u.host or "127.0.0.1", port=u.port or 5432, user=u.username,
                                         password=u.password, database=u.database, timeout=5,
                                         server_settings={"application_name": "lawbot-bank-listener"})
            await conn.add_listener(BANK_CHANNEL, lambda *_args: self._wake.set())
        except Exception as exc:  # noqa: BLE001 - polling still works; the next round tries again
            log.warning("question-bank listener: %s", exc)
            return None
        return conn


def _modified_after(path: Path, when: float) -> bool:
    try:
        return path.stat().st_mtime > when
    except OSError:
        return False
