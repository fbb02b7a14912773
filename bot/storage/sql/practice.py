"""The answer log, practice progress, spaced-repetition cards and the mistake notebook."""

from __future__ import annotations

from sqlalchemy import bindparam, delete, func, insert, select

from bot.storage.ports import AnswerLogRow, WrongEntry
from bot.storage.sql.base import Repo, chunks
from bot.storage.sql.database import Prepared
from bot.storage.sql.dialect import insert_ignore, upsert
from bot.storage.tables import answer_log, practice_progress, review_cards, wrong_book

LOG_COLUMNS = ("user_key", "question_id", "correct", "elapsed_ms", "mode", "attempt_id", "at")


class SqlPractice(Repo):
    def __init__(self, db):
        super().__init__(db)
        self._log = Prepared(insert(answer_log), *LOG_COLUMNS)
        self._progress = Prepared(select(practice_progress.c.position).where(
            practice_progress.c.user_key == bindparam("user_key"), practice_progress.c.scope == bindparam("scope")))
        self._set_progress = Prepared(upsert(self.dialect, practice_progress, ["user_key", "scope"], ["position"]),
                                      "user_key", "scope", "position")

    async def log_answer(self, user: str, question_id: str, correct: bool, elapsed_ms: int | None,
                         mode: str, now: float, attempt_id: int | None = None) -> None:
        await self.db.run(self._log, {"user_key": user, "question_id": question_id, "correct": int(correct),
                                      "elapsed_ms": elapsed_ms, "mode": mode, "attempt_id": attempt_id, "at": now})

    async def log_answers(self, rows: list[AnswerLogRow]) -> None:
        await self.db.run_many(self._log, [
            {"user_key": u, "question_id": q, "correct": int(c), "elapsed_ms": e, "mode": m, "attempt_id": a,
             "at": at} for u, q, c, e, m, a, at in rows])

    async def answer_stats(self, user: str) -> tuple[int, int]:
        row = (await self.db.run(select(func.count(), func.coalesce(func.sum(answer_log.c.correct), 0))
                                 .where(answer_log.c.user_key == user, answer_log.c.mode != "exam"))).first()
        return int(row[0]), int(row[1])

    async def get_progress(self, user: str, scope: str) -> int:
        return (await self.db.run(self._progress, {"user_key": user, "scope": scope})).scalar() or 0

    async def set_progress(self, user: str, scope: str, position: int) -> None:
        await self.db.run(self._set_progress, {"user_key": user, "scope": scope, "position": position})


class SqlReviews(Repo):
    def __init__(self, db):
        super().__init__(db)
        self._missed = Prepared(insert_ignore(self.dialect, wrong_book, ["user_key", "question_id"]),
                                "user_key", "question_id", "streak", "added_at")
        self._put_card = Prepared(upsert(self.dialect, review_cards, ["user_key", "question_id"], ["card", "due"]),
                                  "user_key", "question_id", "card", "due")
        self._put_wrong = Prepared(upsert(self.dialect, wrong_book, ["user_key", "question_id"], ["streak"]),
                                   "user_key", "question_id", "streak", "added_at")
        self._get_card = Prepared(select(review_cards.c.card).where(review_cards.c.user_key == bindparam("user_key"),
                                                           review_cards.c.question_id == bindparam("question_id")))

    async def add_missed(self, user: str, question_ids: list[str], now: float) -> None:
        """Put questions in the mistake notebook; ones already there keep their streak."""
        await self.db.run_many(self._missed, [{"user_key": user, "question_id": q, "streak": 0, "added_at": now}
                                              for q in question_ids])

    async def cards_for(self, user: str, question_ids: list[str]) -> dict[str, str]:
        found: dict[str, str] = {}
        for chunk in chunks(question_ids):
            rows = await self.db.run(select(review_cards.c.question_id, review_cards.c.card).where(
                review_cards.c.user_key == user, review_cards.c.question_id.in_(chunk)))
            found.update(dict(rows.rows))
        return found

    async def put_cards(self, user: str, cards: list[tuple[str, str, float]]) -> None:
        """(question id, card JSON, due) rows."""
        await self.db.run_many(self._put_card, [{"user_key": user, "question_id": q, "card": c, "due": d}
                                                for q, c, d in cards])

    async def wrong_entries(self, user: str) -> list[WrongEntry]:
        rows = await self.db.run(select(wrong_book.c.question_id, wrong_book.c.streak)
                                 .where(wrong_book.c.user_key == user).order_by(wrong_book.c.added_at))
        return [WrongEntry(q, s) for q, s in rows.rows]

    async def get_wrong(self, user: str, question_id: str) -> WrongEntry | None:
        row = (await self.db.run(select(wrong_book.c.question_id, wrong_book.c.streak).where(
            wrong_book.c.user_key == user, wrong_book.c.question_id == question_id))).first()
        return WrongEntry(*row) if row else None

    async def put_wrong(self, user: str, question_id: str, streak: int, now: float) -> None:
        await self.db.run(self._put_wrong, {"user_key": user, "question_id": question_id, "streak": streak,
                                            "added_at": now})

    async def remove_wrong(self, user: str, question_id: str) -> None:
        await self.db.run(delete(wrong_book).where(wrong_book.c.user_key == user,
                                                   wrong_book.c.question_id == question_id))

    async def get_card(self, user: str, question_id: str) -> str | None:
        return (await self.db.run(self._get_card, {"user_key": user, "question_id": question_id})).scalar()

    async def put_card(self, user: str, question_id: str, card: str, due: float) -> None:
        await self.db.run(self._put_card, {"user_key": user, "question_id": question_id, "card": card, "due": due})

    async def due_cards(self, user: str, now: float, limit: int) -> list[str]:
        rows = await self.db.run(select(review_cards.c.question_id)
                                 .where(review_cards.c.user_key == user, review_cards.c.due <= now)
                                 .order_by(review_cards.c.due).limit(limit))
        return [r[0] for r in rows.rows]

    async def count_due(self, user: str, now: float) -> int:
        return (await self.db.run(select(func.count()).select_from(review_cards).where(
            review_cards.c.user_key == user, review_cards.c.due <= now))).scalar()
