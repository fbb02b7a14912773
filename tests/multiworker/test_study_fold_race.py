"""Two workers (two stores, each its own connections, on one PostgreSQL database) fold the answer
log into study credit (refresh_study) at the same moment, several rounds with new answers in
between: every logged answer is counted once, never twice."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from bot.domain.study import ActivityRule
from bot.storage.sql.store import open_store
from bot.storage.tables import study_daily
from tests.support import pg

RULES = {"practice": ActivityRule(1, 0), "case_read": ActivityRule(2, 0), "daily": ActivityRule(5, 0)}
ROUNDS = 6
USERS = 40
PER_USER = 25


async def test_two_workers_folding_at_once_count_each_answer_once():
    pg.require()
    url = pg.create_database()
    stores = [await open_store(url) for _ in range(2)]
    try:
        logged = 0
        for r in range(ROUNDS):
            at = (20_000 + r % 2) * 86_400 + 3_600.0
            await stores[0].practice.log_answers([(f"tg:{u}", f"q{i}", 1, None, "practice", None, at)
                                                  for u in range(USERS) for i in range(PER_USER)])
            logged += USERS * PER_USER
            await asyncio.gather(*(s.study.refresh_study(0, RULES) for s in stores))
            counted = (await stores[1].db.run(select(func.sum(study_daily.c.count)))).scalar()
            assert counted == logged, (r, counted, logged)
    finally:
        for store in stores:
            await store.close()
        pg.drop_database(url)
