"""Moved to bot.app.audience (the audience ports belong to the app; the scheduler uses them);
kept so older imports keep working."""

from bot.app.audience import (
    AdminDirectory,
    AttemptsDigest,
    ConfigAdmins,
    ConfigExamSchedule,
    DigestSource,
    ExamSchedule,
    SnapshotHook,
)
from bot.app.org import AdminRole

__all__ = ["AdminDirectory", "AdminRole", "AttemptsDigest", "ConfigAdmins", "ConfigExamSchedule", "DigestSource",
           "ExamSchedule", "SnapshotHook"]
