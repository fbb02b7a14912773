"""Apps ("workers") on one SQLite database, each with a content root of its own in a temp folder
and a copy of the shipped catalog (the repository's bank is never written), with `ROOT` as
super admin: for the question-bank use cases and their sync between workers."""

from __future__ import annotations

import random
from dataclasses import replace

from bot.bootstrap import build, load_checked_catalog
from bot.clock import ManualClock
from tests.support import transcript
from tests.support.transcript import REPO

ROOT = "cli:root"


def worker_catalog(tmp_path, name):
    shared = load_checked_catalog(REPO)  # cached and shared: never mutated
    root = tmp_path / name
    (root / "quizzes" / "bank").mkdir(parents=True)
    return replace(shared, root=root, questions=dict(shared.questions))


async def worker_app(tmp_path, name):
    config = transcript.config_for(tmp_path, admin={"super_admins": [ROOT]})
    return await build(config, clock=ManualClock(), rng=random.Random(3), database=tmp_path / "bank.sqlite3",
                       catalog=worker_catalog(tmp_path, name))
