"""Reminder rules (pure): quiet hours, the daily window and expiry, exam-window reminders,
audiences, backoff, the missed-run decision."""

from __future__ import annotations

import random
from datetime import date, datetime
from zoneinfo import ZoneInfo

from bot.scheduler import rules
from bot.scheduler.rules import ExamWindow, QuietHours

SH = ZoneInfo("Asia/Shanghai")


def test_parse_and_format_times():
    assert rules.parse_hhmm("08:30") == 510 and rules.parse_hhmm("8:05") == 485
    assert rules.parse_hhmm("20：00") == 1200  # full-width colon, as typed on a Chinese keyboard
    for bad in ("24:00", "8", "08:60", "", "abc", "８:00x"):
        assert rules.parse_hhmm(bad) is None
    assert rules.fmt_hhmm(485) == "08:05"


def test_quiet_hours_wrap_midnight():
    quiet = QuietHours(22 * 60, 7 * 60)
    assert quiet.contains(22 * 60) and quiet.contains(23 * 60 + 59) and quiet.contains(0) and quiet.contains(6 * 60 + 59)
    assert not quiet.contains(7 * 60) and not quiet.contains(21 * 60 + 59)
    assert not QuietHours(0, 0).contains(3 * 60)  # start == end: no quiet hours
    day = QuietHours(12 * 60, 14 * 60)
    assert day.contains(13 * 60) and not day.contains(14 * 60)
    late = datetime(2026, 3, 1, 23, 30, tzinfo=SH)
    assert quiet.next_end(late) == datetime(2026, 3, 2, 7, 0, tzinfo=SH)
    early = datetime(2026, 3, 1, 5, 0, tzinfo=SH)
    assert quiet.next_end(early) == datetime(2026, 3, 1, 7, 0, tzinfo=SH)
    noon = datetime(2026, 3, 1, 12, 0, tzinfo=SH)
    assert quiet.next_end(noon) == noon and quiet.next_start(noon) == datetime(2026, 3, 1, 22, 0, tzinfo=SH)


def test_daily_window_and_expiry():
    assert rules.daily_window(8 * 60, 180) == (5 * 60, 8 * 60)
    assert rules.daily_window(60, 180) == (0, 60)  # never reaches back into yesterday
    quiet = QuietHours(22 * 60, 7 * 60)
    at = datetime(2026, 3, 1, 8, 0, tzinfo=SH)
    assert rules.daily_expiry(at, 8 * 60, 180, quiet) == datetime(2026, 3, 1, 11, 0, tzinfo=SH)
    late = datetime(2026, 3, 1, 21, 0, tzinfo=SH)  # quiet hours start before the grace ends
    assert rules.daily_expiry(late, 21 * 60, 180, quiet) == datetime(2026, 3, 1, 22, 0, tzinfo=SH)
    none = QuietHours(0, 0)  # no quiet hours: midnight still ends the day's question
    assert rules.daily_expiry(late, 21 * 60, 240, none) == datetime(2026, 3, 2, 0, 0, tzinfo=SH)


def test_who_wants_what():
    assert rules.wants_daily(True) and not rules.wants_daily(None) and not rules.wants_daily(False)
    assert rules.wants_reminders(True) and rules.wants_reminders(None) and not rules.wants_reminders(False)
    audience = rules.reminder_audience(["a", "b", "c", "d"], {"b": False, "c": True}, blocked={"d"})
    assert audience == ["a", "c"]


def test_exam_window_reminders():
    window = ExamWindow("xuefa", {"zh": "年度考试"}, date(2026, 12, 1), date(2026, 12, 20))
    kind = lambda d: rules.exam_reminder_kind(d, window, [3, 7])  # noqa: E731
    assert kind(date(2026, 11, 30)) is None
    assert kind(date(2026, 12, 1)) == ("open", 19)
    assert kind(date(2026, 12, 2)) is None
    assert kind(date(2026, 12, 13)) == ("closing", 7)
    assert kind(date(2026, 12, 17)) == ("closing", 3)
    assert kind(date(2026, 12, 20)) == ("last_day", 0)
    assert kind(date(2026, 12, 21)) is None
    one_day = ExamWindow("x", {}, date(2026, 5, 5), date(2026, 5, 5))
    assert rules.exam_reminder_kind(date(2026, 5, 5), one_day, [3]) == ("last_day", 0)


def test_backoff_grows_and_is_capped():
    rng = random.Random(1)
    delays = [rules.backoff(t, 2.0, 60.0, rng) for t in range(1, 10)]
    assert 1.0 <= delays[0] <= 2.0 and 2.0 <= delays[1] <= 4.0 and 4.0 <= delays[2] <= 8.0
    assert all(d <= 60.0 for d in delays) and delays[-1] >= 30.0


def test_missed_run_policy():
    assert rules.missed_run(None, None, 100.0, 60) == "idle"  # never due yet
    assert rules.missed_run(50.0, 50.0, 100.0, 60) == "idle"  # already ran
    assert rules.missed_run(50.0, 90.0, 100.0, 60) == "run"  # due, still meaningful
    assert rules.missed_run(50.0, 30.0 + 50, 200.0, 60) == "skip"  # stale: never sent late
    assert rules.missed_run(None, 95.0, 100.0, 60) == "run"
