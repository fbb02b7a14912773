"""What the core depends on for storage: small repositories per aggregate, the data classes they
exchange, and the unit of work (`Store`) that holds them and opens one transaction per turn.
bot/storage/sql/ implements them with SQLAlchemy Core for SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Iterable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol, TypedDict

from bot.domain.answers import Answer
from bot.domain.fairness import BindEvent
from bot.domain.models import Attempt, PaperItem
from bot.domain.official_exam import WindowOverride
from bot.domain.ranking import UnitFigures
from bot.domain.statistics import ItemSums
from bot.domain.study import ActivityRule
from bot.domain.units import RosterEntry, Unit


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
    reclaimed: bool = False  # claimed before by a sender whose lease ran out (it may have been sent)


@dataclass(frozen=True, slots=True)
class BankVersion:
    """One question-bank change: the bank file (relative to the content root) and its new text."""
    version: int
    path: str
    body: str
    created_at: float
    created_by: str | None = None


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


@dataclass(frozen=True, slots=True)
class GapRow:
    query: str
    count: int
    users: int
    rejected: int  # how many of them were "none of these"
    last_at: float


@dataclass(frozen=True, slots=True)
class PendingUpload:
    id: int
    user: str
    filename: str
    data: bytes
    created_at: float


@dataclass(frozen=True, slots=True)
class PersonRow:
    """One active roster entry with its registration, study points and final result on an exam."""
    roster_id: int
    staff_no: str
    name: str
    unit_id: str
    role: str
    registered: bool
    study_points: int
    attempts: int
    score: float | None
    passed: bool | None


@dataclass(frozen=True, slots=True)
class CertificateRecord:
    """One issued pass certificate, with the facts as of the day it was issued."""
    id: int | None
    serial: str
    attempt_id: int
    roster_id: int
    user_key: str
    exam_id: str
    exam_title: str
    name: str
    unit_id: str
    unit_name: str
    score: float
    max_score: float
    issued_on: str  # local date YYYY-MM-DD
    issued_at: float
    counter: int
    revoked_at: float | None = None
    revoked_by: str | None = None
    revoke_reason: str | None = None


@dataclass(frozen=True, slots=True)
class PersonStanding:
    """One active roster entry on a leaderboard: study points and 学时 seconds in a period."""
    roster_id: int
    name: str
    unit_id: str
    points: int
    seconds: float
    opted_out: bool


@dataclass(frozen=True, slots=True)
class PkQueueEntry:
    """A player waiting for a 答题PK opponent."""
    user: str
    unit_id: str | None
    locale: str
    joined_at: float


@dataclass(frozen=True, slots=True)
class PkPlayer:
    seat: int
    user: str
    locale: str
    active: bool
    rematch: bool


@dataclass(frozen=True, slots=True)
class PkAnswer:
    user: str
    pos: int
    choice: int  # option index; -1 = timed out
    correct: bool
    ms: int


@dataclass(frozen=True, slots=True)
class PkMatch:
    """One 答题PK match: both players are on question `pos` until `deadline`."""
    id: int
    status: str  # active | done
    questions: tuple[str, ...]
    pos: int
    started_at: float
    deadline: float
    created_at: float
    finished_at: float | None
    winner: str | None
    reason: str | None
    robot: list[list[Any]] | None  # the robot's moves [[correct, ms, choice], ...]; None between two people
    players: tuple[PkPlayer, ...]

    def seat_of(self, user: str) -> int | None:
        return next((p.seat for p in self.players if p.user == user), None)


class UserRepository(Protocol):
    async def get_locale(self, user: str) -> str | None: ...
    async def ensure_user(self, user: str, now: float) -> None: ...
    async def set_locale(self, user: str, locale: str) -> None: ...
    async def is_blocked(self, user: str) -> bool: ...
    async def mark_reachable(self, user: str) -> None: ...
    async def blocked_among(self, users: list[str]) -> list[str]: ...
    async def reachable_users(self, channels: Iterable[str] | None = None, limit: int = 1_000_000) -> list[str]: ...


class SessionRepository(Protocol):
    """A user's conversation state, and the numbered menu of text-only channels (WeChat, WeCom)."""
    async def get_state(self, user: str) -> dict[str, Any]: ...
    async def get_turn(self, user: str) -> tuple[dict[str, Any], bool | None]:
        """(state, blocked) in one read: blocked is None for a user not seen before."""
    async def get_turn_with_exams(self, user: str) -> tuple[dict[str, Any], bool | None, int]:
        """get_turn plus the console exams' revision (ConsoleExamRepository.exam_revision), in the
        same one statement: a turn learns whether the web console changed an exam at no extra cost."""
    async def set_state(self, user: str, state: dict[str, Any], now: float) -> None: ...
    async def get_menu(self, user: str) -> list[str]: ...
    async def set_menu(self, user: str, actions: list[str], now: float) -> None: ...


class UpdateLog(Protocol):
    async def first_seen(self, key: str, now: float) -> bool:
        """Record an update key; False when it was handled before."""
    async def forget_updates_before(self, cutoff: float) -> None: ...


class AttemptSummary(NamedTuple):
    """A closed attempt as the user's own record lists it."""
    id: int
    exam_id: str
    status: str  # submitted | expired
    score: float | None
    passed: bool | None


class OfficialAttempt(NamedTuple):
    """One attempt of a roster entry at an official exam (open ones too)."""
    id: int
    phase: str  # regular | makeup
    status: str  # open | submitted | expired
    score: float | None
    passed: bool | None


class ExamWeek(NamedTuple):
    """One exam's attempts handed in over a period (the admins' weekly digest)."""
    exam_id: str
    users: int
    attempts: int
    passed_users: int


class ExamOutcome(NamedTuple):
    exam_id: str
    passed: bool | None


class AnswerLogRow(NamedTuple):
    """One answer for the answer log (practice, cases and exams alike)."""
    user: str
    question_id: str
    correct: bool
    elapsed_ms: int | None
    mode: str  # "exam", "case" or the practice mode
    attempt_id: int | None
    at: float


class AttemptRepository(Protocol):
    """Exam attempts and their answers (answers may be any text: choices, fill-ins)."""
    async def create_attempt(self, user: str, exam_id: str, kind: str, started_at: float,
                             deadline: float, paper: list[PaperItem]) -> Attempt: ...
    async def get_attempt(self, attempt_id: int) -> Attempt | None: ...
    async def open_attempt_for(self, user: str) -> Attempt | None: ...
    async def count_attempts(self, user: str, exam_id: str) -> int: ...
    async def save_answer(self, attempt_id: int, pos: int, choice: Answer, now: float) -> None: ...
    async def finish_attempt(self, attempt_id: int, status: str, now: float, score: float,
                             passed: bool) -> bool:
        """Close an open attempt; False if it was already closed (so it is graded once)."""
    async def expired_open_attempts(self, now: float, limit: int = 100) -> list[int]: ...
    async def attempts_of(self, user: str, limit: int = 10) -> list[AttemptSummary]:
        """Closed attempts, newest first."""
    async def users_passed(self, exam_id: str) -> set[str]: ...
    async def exam_week_stats(self, since: float, until: float) -> list[ExamWeek]:
        """Per exam (in id order), the attempts handed in in [since, until)."""
    async def tag_attempt(self, attempt_id: int, roster_id: int, unit_id: str, phase: str) -> None: ...
    async def official_attempts(self, roster_id: int, exam_id: str) -> list[OfficialAttempt]:
        """One roster entry's attempts at one exam, oldest first."""
    async def official_record(self, roster_id: int) -> list[ExamOutcome]:
        """Every closed official attempt of a roster entry."""


class PracticeRepository(Protocol):
    """The answer log and where sequential practice stopped."""
    async def log_answer(self, user: str, question_id: str, correct: bool, elapsed_ms: int | None,
                         mode: str, now: float, attempt_id: int | None = None) -> None: ...
    async def log_answers(self, rows: list[AnswerLogRow]) -> None: ...
    async def get_progress(self, user: str, scope: str) -> int: ...
    async def set_progress(self, user: str, scope: str, position: int) -> None: ...
    async def answer_stats(self, user: str) -> tuple[int, int]:
        """(answers, correct answers) over practice."""


class ReviewRepository(Protocol):
    """Spaced-repetition cards and the mistake notebook (wrong book)."""
    async def add_missed(self, user: str, question_ids: list[str], now: float) -> None: ...
    async def cards_for(self, user: str, question_ids: list[str]) -> dict[str, str]: ...
    async def put_cards(self, user: str, cards: list[tuple[str, str, float]]) -> None: ...
    async def wrong_entries(self, user: str) -> list[WrongEntry]: ...
    async def get_wrong(self, user: str, question_id: str) -> WrongEntry | None: ...
    async def put_wrong(self, user: str, question_id: str, streak: int, now: float) -> None: ...
    async def remove_wrong(self, user: str, question_id: str) -> None: ...
    async def get_card(self, user: str, question_id: str) -> str | None: ...
    async def put_card(self, user: str, question_id: str, card: str, due: float) -> None: ...
    async def due_cards(self, user: str, now: float, limit: int) -> list[str]: ...
    async def count_due(self, user: str, now: float) -> int: ...


class ActivityLog(Protocol):
    async def log_activity(self, user: str, kind: str, ref: str, now: float) -> None:
        """kind: case_read, law_lookup, guide_read ... (answers are logged by PracticeRepository)."""
    async def activity_count(self, user: str, kind: str, since: float = 0.0) -> int: ...


class ReminderRepository(Protocol):
    """/remind preferences and the daily question's bookkeeping."""
    async def get_reminder(self, user: str) -> ReminderPref | None: ...
    async def set_reminder(self, user: str, enabled: bool, minute: int, tz: str | None, now: float) -> None: ...
    async def reminder_zones(self) -> list[str | None]: ...
    async def daily_candidates(self, tz: str | None, date: str, low: int, high: int,
                               limit: int = 10_000) -> list[str]: ...
    async def mark_daily(self, users: list[str], date: str) -> None: ...
    async def reminder_flags(self) -> dict[str, bool]: ...


class TurnLock(Protocol):
    """One turn at a time per user, across every worker on the database."""
    async def lock_user(self, user: str) -> None: ...


class BankVersions(Protocol):
    """Question-bank changes, each file's newest wins; every worker applies them (bot/bank_sync.py)."""
    async def latest_version(self) -> int: ...
    async def latest(self) -> BankVersion | None: ...
    async def newest_per_path(self, after: int) -> list[BankVersion]: ...
    async def publish(self, path: str, body: str, now: float, by: str | None) -> int: ...


class Outbox(Protocol):
    """Proactive messages: queued in the deciding transaction, claimed and recorded by senders."""
    async def enqueue(self, channel: str, user: str, payload: dict[str, Any], dedupe_key: str,
                      now: float) -> bool: ...
    async def enqueue_many(self, campaign_id: int | None, rows: list[OutboxRow], now: float,
                           not_before: float = 0.0, expires_at: float | None = None) -> int: ...
    async def due_messages(self, channel: str, now: float, limit: int) -> list[OutboxMessage]: ...
    async def mark_sent(self, message_id: int, now: float) -> None: ...
    async def mark_retry(self, message_id: int, next_try_at: float, error: str) -> None: ...
    async def mark_failed(self, message_id: int, error: str) -> None: ...
    async def claim_outbox(self, channel: str, now: float, limit: int, user: str | None = None, *,
                           owner: str | None = None, lease_seconds: float = 30.0) -> list[OutboxMessage]: ...
    async def renew_leases(self, channel: str, owner: str, until: float) -> int: ...
    async def record_deliveries(self, records: list[DeliveryRecord], owner: str | None = None) -> None: ...
    async def release_inflight(self, channel: str) -> int: ...
    async def expired_leases(self, channel: str, now: float) -> int: ...
    async def outbox_totals(self, channel: str | None = None) -> dict[str, int]: ...
    async def outbox_outcomes(self, campaign_id: int | None = None) -> dict[str, int]: ...
    async def sent_at(self, dedupe_key: str) -> float | None: ...


class CampaignRepository(Protocol):
    async def create_campaign(self, key: str, kind: str, created_by: str | None, now: float,
                              payload: dict[str, Any] | None = None, audience: str = "",
                              status: str = "active") -> tuple[int, bool]: ...
    async def get_campaign(self, campaign_id: int) -> CampaignInfo | None: ...
    async def recent_campaigns(self, kind: str, created_by: str | None = None, limit: int = 5) -> list[CampaignInfo]: ...
    async def set_campaign_status(self, campaign_id: int, status: str) -> None: ...
    async def campaign_progress(self, campaign_id: int) -> dict[str, int]: ...
    async def cancel_campaign(self, campaign_id: int, now: float) -> int: ...
    async def enqueue_audience(self, campaign_id: int, unit_ids: list[str] | None, payload: dict[str, Any],
                               now: float, not_before: float = 0.0) -> int:
        """A broadcast's outbox rows for everyone reachable (unit_ids None) or the accounts bound
        to active roster entries of these units, in one statement; returns how many were new."""
        ...


class JobLog(Protocol):
    """The scheduler's last fire time of each job (the missed-run rule)."""
    async def last_fire(self, job_id: str) -> float | None: ...
    async def record_fire(self, job_id: str, fire_time: float, now: float, outcome: str) -> None: ...


class UploadRepository(Protocol):
    """Question bank files admins sent in chat, kept between the preview and 导入."""
    async def save_upload(self, user: str, filename: str, data: bytes, now: float, expire_before: float) -> int: ...
    async def get_upload(self, upload_id: int, user: str) -> PendingUpload | None: ...
    async def drop_upload(self, upload_id: int) -> bool: ...


class LookupGapLog(Protocol):
    async def log_gap(self, user: str, query: str, reason: str, top_ref: str, now: float) -> None:
        """reason: unsure (no confident match) | none_of_these (the user rejected the candidates)."""
    async def top_gaps(self, since: float = 0.0, limit: int = 20) -> list[GapRow]: ...


@dataclass(frozen=True, slots=True)
class ConsoleExamRow:
    id: str
    body: dict[str, Any]  # the exam's YAML-shaped mapping (bot.catalog.exams.parse_exam reads it)
    revision: int
    created_by: str
    created_at: float
    updated_by: str
    updated_at: float


class ConsoleExamRepository(Protocol):
    """Official exams created in the web console (the YAML files' exams stay in quizzes/exams)."""
    async def exam_revision(self) -> int:
        """The sum of the exams' revisions: it grows with every exam created or saved (a save sets
        its row's revision above every other), so a worker compares it with the one it applied."""
    async def console_exams(self) -> list[ConsoleExamRow]: ...
    async def console_exam(self, exam_id: str) -> ConsoleExamRow | None: ...
    async def save_console_exam(self, exam_id: str, body: dict[str, Any], by: str, now: float,
                                create: bool, expected_revision: int | None = None) -> bool:
        """Insert (create=True; False when the id is taken) or update (False when missing, or when
        expected_revision is given and the stored revision is another: a save made since it was read)."""


@dataclass(frozen=True, slots=True)
class GapMark:
    query: str
    handled_by: str
    handled_at: float
    note: str = ""


class GapMarkRepository(Protocol):
    """Lookup gaps (by question text) an admin marked handled."""
    async def gap_marks(self, queries: list[str]) -> dict[str, GapMark]: ...
    async def mark_gap(self, query: str, by: str, now: float, note: str = "") -> None: ...
    async def unmark_gap(self, query: str) -> bool: ...


ERASED_PREFIX = "erased-"  # staff_no of an erased entry: erased-<id> (unique, never a real 工号)


@dataclass(frozen=True, slots=True)
class PersonRecord:
    """One roster entry as the console's roster lists it, with its chat bindings."""
    id: int
    staff_no: str
    name: str
    unit_id: str
    role: str
    phone_tail: str
    active: bool
    bindings: tuple[tuple[str, str, float], ...] = ()  # (platform, user key, bound at)

    @property
    def erased(self) -> bool:
        return self.staff_no.startswith(ERASED_PREFIX) and not self.name


@dataclass(frozen=True, slots=True)
class Erasure:
    """What erasing a person's personal data changed."""
    roster_id: int
    accounts: int  # chat accounts renamed to pseudonyms
    changed: dict[str, int]  # table -> rows deleted or renamed


class RosterAdminRepository(Protocol):
    """The console's roster: paged search within units, moving a person, erasing a person's
    personal data (bot/storage/sql/roster_admin.py)."""
    async def search(self, scope: set[str] | None, text: str, offset: int, limit: int, sort: str = "staff_no",
                     desc: bool = False, active_only: bool = False) -> tuple[list[PersonRecord], int]: ...
    async def person(self, roster_id: int) -> PersonRecord | None: ...
    async def staff_owners(self, staff_nos: list[str]) -> dict[str, str]: ...
    async def move(self, roster_id: int, unit_id: str, now: float) -> bool: ...
    async def unit_exists(self, unit_id: str) -> bool: ...
    async def erase(self, roster_id: int, now: float, audit_target: str | None = None) -> Erasure | None:
        """Erase the person's personal data in one transaction; rows of the audit log whose target is
        `audit_target` lose their before/after. None when there is no such roster entry."""


class RetiredInfo(NamedTuple):
    at: float
    by: str
    reason: str


class RetiredQuestionRepository(Protocol):
    """Questions retired in the console: kept for past attempts, no longer drawn."""
    async def retired_ids(self) -> frozenset[str]: ...
    async def retired_info(self, question_id: str) -> RetiredInfo | None:
        """When, by whom and why a question was retired; None when it is in use."""
    async def retire(self, question_id: str, by: str, now: float, reason: str = "") -> None: ...
    async def restore(self, question_id: str) -> bool: ...


class RosterRepository(Protocol):
    """Units, the roster, bindings of chat accounts to roster entries, one-time bind codes."""
    async def upsert_units(self, units: list[Unit]) -> int: ...
    async def all_units(self) -> list[Unit]: ...
    async def upsert_roster(self, entries: list[RosterEntry], now: float, replace: bool = False) -> tuple[int, int, int]: ...
    async def roster_entry(self, roster_id: int) -> RosterEntry | None: ...
    async def roster_by_staff_no(self, staff_no: str) -> RosterEntry | None: ...
    async def roster_of(self, user: str) -> RosterEntry | None: ...
    async def roster_count(self) -> int: ...
    async def bind(self, roster_id: int, platform: str, user: str, now: float, by: str = "") -> bool: ...
    async def binding_of(self, roster_id: int, platform: str) -> str | None: ...
    async def unbind(self, roster_id: int, platform: str | None = None) -> int: ...
    async def users_of(self, roster_id: int) -> list[str]: ...
    async def reach_by_unit(self, unit_ids: list[str] | None = None) -> dict[str | None, int]:
        """Reachable (not blocked) accounts per unit of their active roster entry, one grouped query:
        None: every known account (key None: on no active entry); else those bound in these units."""
    async def create_bind_code(self, code: str, roster_id: int, by: str, now: float, expires_at: float) -> bool: ...
    async def use_bind_code(self, code: str, user: str, now: float) -> int | None: ...


class AdminRepository(Protocol):
    async def admin_scope(self, user: str) -> tuple[bool, str | None]: ...
    async def set_admin(self, user: str, unit_id: str | None, by: str, now: float) -> None: ...
    async def remove_admin(self, user: str) -> bool: ...
    async def list_admins(self) -> list[tuple[str, str | None]]: ...
    async def log_admin(self, user: str, action: str, detail: str, now: float) -> None: ...


class ExamWindowRepository(Protocol):
    """Admins' changes to official exam windows."""
    async def window_override(self, exam_id: str) -> WindowOverride | None: ...
    async def set_window(self, exam_id: str, window: WindowOverride, by: str, now: float) -> None: ...


class StudyDay(NamedTuple):
    day: int  # local day number
    activity: str
    times: int  # how many times the activity counted that day
    points: int


class StudyRepository(Protocol):
    """Study credit per user, local day and activity, folded in from the logs."""
    async def refresh_study(self, utc_offset: int, rules: dict[str, ActivityRule]) -> None: ...
    async def study_days_of(self, users: list[str], since_day: int = 0) -> list[StudyDay]:
        """These chat accounts' (one person's bindings) credit per day and activity, oldest first."""


class UnitRoleCount(NamedTuple):
    unit_id: str
    role: str
    people: int


class UnitResult(NamedTuple):
    """How many people of a unit and role have this final result."""
    unit_id: str
    role: str
    score: float | None
    passed: bool
    people: int


class UnitCounts(TypedDict):
    """Per (unit, role) of the active roster: its people, those registered (bound), those who
    studied (enough points), and the final results."""
    roster: list[UnitRoleCount]
    registered: list[UnitRoleCount]
    studied: list[UnitRoleCount]
    results: list[UnitResult]


class StatsRepository(Protocol):
    """SQL aggregation for admin statistics; the maths is in bot/domain/statistics.py."""
    async def unit_counts(self, exam_id: str, final_score: str, since_day: int, min_points: int) -> UnitCounts: ...
    async def person_rows(self, exam_id: str, final_score: str = "best", since_day: int = 0) -> list[PersonRow]: ...
    def person_row_chunks(self, exam_id: str, final_score: str, since_day: int, first_day: int, last_day: int,
                          size: int = 5000) -> AsyncGenerator[list[tuple[PersonRow, float]], None]:
        """person_rows `size` at a time, each with its 学时 seconds over local days [first_day, last_day]."""
        ...
    async def item_sums(self, exam_id: str) -> list[ItemSums]: ...
    async def fold_item_sums(self) -> None: ...
    async def save_snapshot(self, day: str, exam_id: str, rows: list[tuple[str, int, int, int, int, int]],
                            now: float) -> None: ...
    async def snapshots(self, exam_id: str, unit_id: str) -> list[tuple[str, int, int, int, int, int]]: ...
    async def stats_fingerprint(self) -> tuple[object, ...]:
        """Changes whenever anything unit_counts depends on changes (compared, never read)."""


class PersonListRepository(Protocol):
    """One page of an official exam's target roster (drill-down), filtered, sorted and paged in SQL."""
    async def person_page(self, exam_id: str, final_score: str, since_day: int, min_points: int, *,
                          units: list[str] | None = None, roles: list[str] | None = None, which: str = "all",
                          sort: str = "staff_no", descending: bool = False, offset: int = 0,
                          limit: int = 50) -> list[PersonRow]: ...
    async def unit_seconds(self, first_day: int, last_day: int) -> list[tuple[str, int, float]]: ...


class StudyTimeRepository(Protocol):
    """学时: active study seconds per account and local day, and each account's last action."""
    async def last_active(self, user: str) -> float | None: ...
    async def add_time(self, user: str, day: int, seconds: float, now: float) -> None: ...
    async def seconds_of(self, users: list[str], first_day: int, last_day: int) -> list[tuple[int, float]]: ...
    async def seconds_by_roster(self, first_day: int, last_day: int) -> dict[int, float]: ...


class RankingRepository(Protocol):
    """Leaderboard reads and the opt-outs (/rank off)."""
    async def set_opt_out(self, roster_id: int, out: bool, now: float) -> None: ...
    async def is_opted_out(self, roster_id: int) -> bool: ...
    async def unit_figures(self, first_day: int, last_day: int, since: float, until: float,
                           min_points: int) -> tuple[list[UnitFigures], list[tuple[str, str, float, int]]]: ...
    async def people_in_units(self, unit_ids: list[str], first_day: int, last_day: int) -> list[PersonStanding]: ...


class CertificateRepository(Protocol):
    """Pass certificates: issued once per passed attempt, found by serial, revoked by admins."""
    async def next_counter(self, roster_id: int, exam_id: str) -> int: ...
    async def add_certificate(self, record: CertificateRecord) -> bool:
        """False (nothing written) when the attempt already has a certificate."""
    async def certificate_by_serial(self, serial: str) -> CertificateRecord | None: ...
    async def certificate_of_attempt(self, attempt_id: int) -> CertificateRecord | None: ...
    async def certificates_of(self, roster_id: int | None, user: str) -> list[CertificateRecord]: ...
    async def revoke_certificate(self, serial: str, by: str, reason: str, now: float) -> bool: ...


@dataclass(frozen=True, slots=True)
class FlagRecord:
    """A flag for admins on an official exam (bot/domain/fairness.py says when one is raised);
    `key` makes raising it idempotent; `evidence` is what the admin is shown."""
    id: int | None
    key: str
    kind: str  # fast | identical | rebind
    exam_id: str
    phase: str  # regular | makeup
    unit_id: str
    roster_id: int
    attempt_id: int | None
    other_roster_id: int | None
    other_attempt_id: int | None
    evidence: dict[str, Any]
    created_at: float


@dataclass(frozen=True, slots=True)
class WindowSheet:
    """A handed-in official attempt: its paper and answers (pos -> (answer, answered_at))."""
    attempt_id: int
    roster_id: int
    paper: list[PaperItem]
    answers: dict[int, tuple[Answer, float]]


class AttemptTags(NamedTuple):
    roster_id: int
    unit_id: str
    phase: str  # regular | makeup


class FairnessRepository(Protocol):
    """Fair official exams: the per-question clock, bind/unbind events and flags for admins."""
    async def shown_times(self, attempt_id: int) -> dict[int, float]: ...
    async def mark_shown(self, attempt_id: int, pos: int, now: float) -> None:
        """Record when a question was first shown (a second call keeps the first time)."""
    async def answer_times(self, attempt_id: int) -> dict[int, float]: ...
    async def attempt_tags(self, attempt_id: int) -> AttemptTags | None:
        """Whose official attempt it is, in which unit and window; None for a mock one."""
    async def window_sheets(self, exam_id: str, unit_id: str, phase: str, exclude_roster: int) -> list[WindowSheet]: ...
    async def record_bind_event(self, roster_id: int, platform: str, user: str, kind: str, now: float,
                                by: str = "") -> None: ...
    async def bind_events(self, roster_id: int) -> list[BindEvent]:
        """A roster entry's bind and unbind events, oldest first."""
    async def add_flag(self, flag: FlagRecord) -> bool:
        """False (nothing written) when a flag with this key exists."""
    async def flags(self, exam_id: str | None = None, units: list[str] | None = None,
                    limit: int = 1000) -> list[FlagRecord]: ...


class PkRepository(Protocol):
    """答题PK: the matchmaking queue, matches, their players and answers."""
    async def queued(self, user: str) -> PkQueueEntry | None: ...
    async def enqueue(self, entry: PkQueueEntry) -> bool:
        """False when the user is already waiting."""
    async def take_opponent(self, user: str, unit_id: str | None) -> PkQueueEntry | None:
        """Remove and return one waiting player other than `user` (same unit first, then the
        longest waiting); a row is taken by one caller only, even across workers."""
    async def take_queued(self, user: str) -> PkQueueEntry | None:
        """Remove and return this user's queue entry (None when someone else took it first)."""
    async def waiting(self, joined_before: float, limit: int = 100) -> list[PkQueueEntry]: ...
    async def create_match(self, questions: list[str], players: list[tuple[str, str]], now: float,
                           deadline: float, robot: list[list[Any]] | None) -> int:
        """A new active match; players are (user, locale) for seat 0, 1. A person already in an
        active match makes it fail (a unique index), so nobody plays two at once."""
    async def get_match(self, match_id: int, lock: bool = False) -> PkMatch | None:
        """lock: hold the match row until the transaction ends (answers of both players serialise)."""
    async def active_match_of(self, user: str) -> int | None: ...
    async def last_match_of(self, user: str) -> int | None: ...
    async def add_answer(self, match_id: int, answer: PkAnswer, now: float) -> bool:
        """False when this player already answered this question."""
    async def answers(self, match_id: int) -> list[PkAnswer]: ...
    async def advance(self, match_id: int, from_pos: int, now: float, deadline: float) -> bool:
        """Move an active match from question from_pos to the next; False if it moved already."""
    async def finish(self, match_id: int, now: float, winner: str | None, reason: str) -> bool:
        """Close an active match (its players become free); False if it was closed already."""
    async def overdue(self, now: float, limit: int = 100) -> list[int]: ...
    async def set_rematch(self, match_id: int, user: str) -> bool: ...
    async def answer_stats(self, question_ids: list[str]) -> dict[str, tuple[int, int, float | None]]:
        """Real answers per question from the answer log: (answers, right, mean ms)."""


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One line of the audit log (操作日志); before/after are the JSON-able dicts recorded."""
    id: int
    at: float
    actor: str
    action: str
    target: str
    unit_id: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None


class LoginLink(NamedTuple):
    user: str
    expires_at: float
    used_at: float | None


class WebSession(NamedTuple):
    user: str
    created_at: float
    last_seen: float


class WebAccountRepository(Protocol):
    """The console's one-time login links and sessions (stored as SHA-256 hashes), and refused
    links per client address (for the rate limit)."""
    async def add_login_token(self, token_hash: str, user: str, now: float, expires_at: float) -> None: ...
    async def login_token(self, token_hash: str) -> LoginLink | None:
        """A link by its hash, or None when unknown."""
    async def use_login_token(self, token_hash: str, now: float) -> bool:
        """Mark an unused, unexpired link used; False when it was not (used meanwhile, expired)."""
    async def add_session(self, session_hash: str, user: str, now: float) -> None: ...
    async def session(self, session_hash: str) -> WebSession | None: ...
    async def touch_session(self, session_hash: str, now: float) -> None: ...
    async def end_session(self, session_hash: str) -> bool: ...
    async def end_sessions_of(self, user: str) -> int: ...
    async def add_login_failure(self, address: str, reason: str, now: float) -> None: ...
    async def login_failures(self, address: str, since: float) -> int: ...
    async def purge_web(self, now: float, idle_seconds: float, failure_window: float) -> int:
        """Delete expired links, idle sessions and failures older than the window; rows deleted."""


class AuditRepository(Protocol):
    async def add_audit(self, *, at: float, actor: str, action: str, target: str, unit_id: str | None,
                        before: str | None, after: str | None) -> int:
        """Append an entry (before/after already JSON text); its id."""
    async def audit_entries(self, *, units: list[str] | None, offset: int, limit: int, action: str | None = None,
                            newest_first: bool = True, older_than: tuple[float, int] | None = None,
                            newer_than: tuple[float, int] | None = None,
                            count: bool = True) -> tuple[list[AuditEntry], int]:
        """A page of entries whose unit is in `units` (None: every entry, also those without a
        unit), optionally of one action (or action prefix ending in '.'), in (at, id) order, only
        those older / newer than an (at, id) cursor when given, and the total count (-1 without
        `count`)."""


class Store(Protocol):
    """The unit of work: every repository, and `atomic()`, one transaction that the calls made
    inside it (in the same task) join. A call outside `atomic()` is a transaction of its own."""

    dialect: str  # "sqlite" | "postgresql"
    # the repositories are read-only properties: an implementation may hold its own classes (SqlUsers, ...)
    @property
    def users(self) -> UserRepository: ...
    @property
    def sessions(self) -> SessionRepository: ...
    @property
    def updates(self) -> UpdateLog: ...
    @property
    def activity(self) -> ActivityLog: ...
    @property
    def attempts(self) -> AttemptRepository: ...
    @property
    def practice(self) -> PracticeRepository: ...
    @property
    def reviews(self) -> ReviewRepository: ...
    @property
    def reminders(self) -> ReminderRepository: ...
    @property
    def outbox(self) -> Outbox: ...
    @property
    def campaigns(self) -> CampaignRepository: ...
    @property
    def jobs(self) -> JobLog: ...
    @property
    def bank_versions(self) -> BankVersions: ...
    @property
    def turns(self) -> TurnLock: ...
    @property
    def uploads(self) -> UploadRepository: ...
    @property
    def gaps(self) -> LookupGapLog: ...
    @property
    def roster(self) -> RosterRepository: ...
    @property
    def admins(self) -> AdminRepository: ...
    @property
    def windows(self) -> ExamWindowRepository: ...
    @property
    def study(self) -> StudyRepository: ...
    @property
    def stats(self) -> StatsRepository: ...
    @property
    def person_list(self) -> PersonListRepository: ...
    @property
    def certificates(self) -> CertificateRepository: ...
    @property
    def study_time(self) -> StudyTimeRepository: ...
    @property
    def ranking(self) -> RankingRepository: ...
    @property
    def pk(self) -> PkRepository: ...
    @property
    def fairness(self) -> FairnessRepository: ...
    @property
    def console_exams(self) -> ConsoleExamRepository: ...
    @property
    def gap_marks(self) -> GapMarkRepository: ...
    @property
    def roster_admin(self) -> RosterAdminRepository: ...
    @property
    def retired_questions(self) -> RetiredQuestionRepository: ...
    @property
    def web_accounts(self) -> WebAccountRepository: ...
    @property
    def audit(self) -> AuditRepository: ...

    def atomic(self) -> AbstractAsyncContextManager[None]: ...
    async def close(self) -> None: ...
