"""Moved to bot.domain.reminder_rules (pure rules belong to the domain); kept so older imports
keep working."""

from bot.domain.reminder_rules import (
    _HHMM,
    DAY,
    ExamWindow,
    QuietHours,
    backoff,
    daily_expiry,
    daily_window,
    exam_reminder_kind,
    fmt_hhmm,
    minute_of,
    missed_run,
    parse_hhmm,
    reminder_audience,
    wants_daily,
    wants_reminders,
)

__all__ = [
    "DAY",
    "_HHMM",
    "ExamWindow",
    "QuietHours",
    "backoff",
    "daily_expiry",
    "daily_window",
    "exam_reminder_kind",
    "fmt_hhmm",
    "minute_of",
    "missed_run",
    "parse_hhmm",
    "reminder_audience",
    "wants_daily",
    "wants_reminders",
]
