"""Proactive messages: APScheduler jobs (daily question, exam-window reminders, weekly digest,
nightly snapshot), the rules that decide who gets what (rules.py, pure), and the outbox sender
that delivers them per channel under the platform's rate limits (outbox_sender.py)."""
