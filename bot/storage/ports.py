"""Repository interfaces the core depends on. SQLite implements them today (sqlite.py);
a PostgreSQL backend would implement the same methods."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, AsyncContextManager, Protocol

from bot.domain.models import Attempt, PaperItem


@dataclass(frozen=True, slots=True)
class OutboxMessage:
    id: int
    channel: str
    user_key: str
    payload: dict[str, Any]
    tries: int
    expires_at: float | None = None  # a reminder not sent by then is dropped, not sent late
    blocked: bool = False  # the user blocked the bot: recorded as failed without a send
    campaign_id: int | None = None


@dataclass(frozen=True, slots=True)
class OutboxRow:
    """A message to queue: (channel, user) plus its dedupe key, usually '<campaign key>:<user>'."""
    channel: str
    user: str
    payload: dict[str, Any]
    dedupe_key: str
    expires_at: float | None = None


@dataclass(frozen=True, slots=True)
class DeliveryRecord:
    """The outcome of one claimed message. status: sent | failed | pending (try again at
    next_try_at); outcome: sent | blocked | permanent | gave_up | expired | retry | throttled."""
    message_id: int
    user: str
    status: str
    outcome: str
    at: float
    next_try_at: float = 0.0
    tries_used: int = 1
    error: str | None = None


@dataclass(frozen=True, slots=True)
class ReminderPref:
    user: str
    enabled: bool
    minute: int  # local minute of the day for the daily question
    tz: str | None
    last_daily: str | None


@dataclass(frozen=True, slots=True)
class CampaignInfo:
    id: int
    key: str
    kind: str
    created_by: str | None
    created_at: float
    status: str
    payload: dict[str, Any] | None
    audience: str
    total: int


@dataclass(frozen=True, slots=True)
class WrongEntry:
    question_id: str
    streak: int


class UserRepository(Protocol):
    async def get_locale(self, user: str) -> str | None: ...
    async def ensure_user(self, user: str, now: float) -> None: ...
    async def set_locale(self, user: str, locale: str) -> None: ...


class SessionRepository(Protocol):
    async def get_state(self, user: str) -> dict[str, Any]: ...
    async def set_state(self, user: str, state: dict[str, Any], now: float) -> None: ...


class UpdateLog(Protocol):
    async def first_seen(self, key: str, now: float) -> bool:
        """Record an update key; False when it was handled before."""
    async def forget_updates_before(self, cutoff: float) -> None: ...


class AttemptRepository(Protocol):
    async def create_attempt(self, user: str, exam_id: str, kind: str, started_at: float,
                             deadline: float, paper: list[PaperItem]) -> Attempt: ...
    async def get_attempt(self, attempt_id: int) -> Attempt | None: ...
    async def open_attempt_for(self, user: str) -> Attempt | None: ...
    async def count_attempts(self, user: str, exam_id: str) -> int: ...
    async def save_answer(self, attempt_id: int, pos: int, choice: frozenset[int], now: float) -> None: ...
    async def finish_attempt(self, attempt_id: int, status: str, now: float, score: float,
                             passed: bool) -> bool:
        """Close an open attempt; False if it was already closed (so it is graded once)."""
    async def expired_open_attempts(self, now: float, limit: int = 100) -> list[int]: ...
    async def attempts_of(self, user: str, limit: int = 10) -> list[tuple[int, str, str, float | None, int | None]]:
        """Closed attempts, newest first: (id, exam_id, status, score, passed)."""


class PracticeRepository(Protocol):
    async def log_answer(self, user: str, question_id: str, correct: bool, elapsed_ms: int | None,
                         mode: str, now: float, attempt_id: int | None = None) -> None: ...
    async def log_answers(self, rows: list[tuple]) -> None: ...
    async def wrong_entries(self, user: str) -> list[WrongEntry]: ...
    async def get_wrong(self, user: str, question_id: str) -> WrongEntry | None: ...
    async def put_wrong(self, user: str, question_id: str, streak: int, now: float) -> None: ...
    async def remove_wrong(self, user: str, question_id: str) -> None: ...
    async def get_card(self, user: str, question_id: str) -> str | None: ...
    async def put_card(self, user: str, question_id: str, card: str, due: float) -> None: ...
    async def due_cards(self, user: str, now: float, limit: int) -> list[str]: ...
    async def count_due(self, user: str, now: float) -> int: ...
    async def get_progress(self, user: str, scope: str) -> int: ...
    async def set_progress(self, user: str, scope: str, position: int) -> None: ...
    async def answer_stats(self, user: str) -> tuple[int, int]:
        """(answers, correct answers) over practice."""


class ActivityLog(Protocol):
    async def log_activity(self, user: str, kind: str, ref: str, now: float) -> None:
        """kind: case_read, law_lookup, guide_read ... (answers are logged by PracticeRepository)."""
    async def activity_count(self, user: str, kind: str, since: float = 0.0) -> int: ...


class Outbox(Protocol):
    async def enqueue(self, channel: str, user: str, payload: dict[str, Any], dedupe_key: str,
                      now: float) -> bool: ...
    async def due_messages(self, channel: str, now: float, limit: int) -> list[OutboxMessage]: ...
    async def mark_sent(self, message_id: int, now: float) -> None: ...
    async def mark_retry(self, message_id: int, next_try_at: float, error: str) -> None: ...
    async def mark_failed(self, message_id: int, error: str) -> None: ...


class ReminderRepository(Protocol):
    """Issue 5: /remind preferences, campaigns, the scheduler's run log, the outbox claim cycle."""
    async def get_reminder(self, user: str) -> ReminderPref | None: ...
    async def set_reminder(self, user: str, enabled: bool, minute: int, tz: str | None, now: float) -> None: ...
    async def reminder_zones(self) -> list[str | None]: ...
    async def daily_candidates(self, tz: str | None, date: str, low: int, high: int,
                               limit: int = 10_000) -> list[str]: ...
    async def mark_daily(self, users: list[str], date: str) -> None: ...
    async def is_blocked(self, user: str) -> bool: ...
    async def reminder_flags(self) -> dict[str, bool]: ...
    async def users_passed(self, exam_id: str) -> set[str]: ...
    async def exam_week_stats(self, since: float, until: float) -> list[tuple[str, int, int, int]]: ...
    async def reachable_users(self, channels=None, limit: int = 1_000_000) -> list[str]: ...
    async def create_campaign(self, key: str, kind: str, created_by: str | None, now: float,
                              payload: dict[str, Any] | None = None, audience: str = "",
                              status: str = "active") -> tuple[int, bool]: ...
    async def get_campaign(self, campaign_id: int) -> CampaignInfo | None: ...
    async def recent_campaigns(self, kind: str, created_by: str | None = None, limit: int = 5) -> list[CampaignInfo]: ...
    async def set_campaign_status(self, campaign_id: int, status: str) -> None: ...
    async def enqueue_many(self, campaign_id: int | None, rows: list[OutboxRow], now: float,
                           not_before: float = 0.0, expires_at: float | None = None) -> int: ...
    async def campaign_progress(self, campaign_id: int) -> dict[str, int]: ...
    async def cancel_campaign(self, campaign_id: int, now: float) -> int: ...
    async def last_fire(self, job_id: str) -> float | None: ...
    async def record_fire(self, job_id: str, fire_time: float, now: float, outcome: str) -> None: ...
    async def claim_outbox(self, channel: str, now: float, limit: int, user: str | None = None) -> list[OutboxMessage]: ...
    async def record_deliveries(self, records: list[DeliveryRecord]) -> None: ...
    async def release_inflight(self, channel: str) -> int: ...
    async def outbox_totals(self, channel: str | None = None) -> dict[str, int]: ...
    async def outbox_outcomes(self, campaign_id: int | None = None) -> dict[str, int]: ...


class NumberedMenuRepository(Protocol):
    """Text-only channels (WeChat, WeCom): the actions behind the numbers of each user's last menu."""
    async def get_menu(self, user: str) -> list[str]: ...
    async def set_menu(self, user: str, actions: list[str], now: float) -> None: ...


@dataclass(frozen=True, slots=True)
class GapRow:
    query: str
    count: int
    users: int
    rejected: int  # how many of them were "none of these"
    last_at: float


class LookupGapLog(Protocol):
    async def log_gap(self, user: str, query: str, reason: str, top_ref: str, now: float) -> None:
        """reason: unsure (no confident match) | none_of_these (the user rejected the candidates)."""
    async def top_gaps(self, since: float = 0.0, limit: int = 20) -> list[GapRow]: ...


class Storage(UserRepository, SessionRepository, UpdateLog, AttemptRepository, PracticeRepository,
              ActivityLog, Outbox, ReminderRepository, NumberedMenuRepository, LookupGapLog, Protocol):
    """Everything above, plus a transaction that groups several calls atomically."""

    def atomic(self) -> AsyncContextManager[None]: ...
    async def close(self) -> None: ...
