"""Moved to bot.app.org_audience; kept so older imports keep working."""

from bot.app.org_audience import OfficialDigest, OfficialExamSchedule, OrgAdmins

__all__ = ["OfficialDigest", "OfficialExamSchedule", "OrgAdmins"]
