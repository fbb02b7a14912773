"""Who a proactive message is for: small ports (ExamSchedule, AdminDirectory, DigestSource) and
implementations on the config and the attempts table: exam windows from
`scheduler.exam_windows`, super admins from `admin.super_admins`. The organisation's
implementations (official exams, unit admins) are in bot/services/org_audience.py."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from typing import TYPE_CHECKING, Protocol

from bot.domain.reminder_rules import ExamWindow
from bot.services.org import AdminRole

if TYPE_CHECKING:
    from bot.catalog.catalog import Catalog
    from bot.storage.ports import Store


class ExamSchedule(Protocol):
    async def windows(self, today: date) -> list[ExamWindow]:
        """Exam windows that include `today` (local date)."""
    async def still_to_pass(self, exam_id: str) -> list[str]:
        """Users who still have to sit or pass this exam (before opt-outs and blocks)."""


class AdminDirectory(Protocol):
    async def role_of(self, user: str) -> AdminRole | None: ...
    async def admins(self) -> list[str]:
        """Everyone who gets the weekly digest."""
    async def audience(self, role: AdminRole) -> list[str]:
        """Who a broadcast by an admin with this role reaches (reachable users only)."""


class DigestSource(Protocol):
    async def digest(self, admin: str, locale: str, now: float) -> str: ...


SnapshotHook = Callable[[float], Awaitable[object]]


class ConfigExamSchedule:
    """Windows from `scheduler.exam_windows`; 'still to pass' = reachable users of the given
    channels with no passed attempt of that exam."""

    def __init__(self, storage: Store, windows: list[ExamWindow], catalog: Catalog | None = None) -> None:
        self.storage = storage
        self._windows = windows
        self.catalog = catalog

    async def windows(self, today: date) -> list[ExamWindow]:
        return [w for w in self._windows if w.opens <= today <= w.closes]

    async def still_to_pass(self, exam_id: str) -> list[str]:
        passed = await self.storage.attempts.users_passed(exam_id)
        return [u for u in await self.storage.users.reachable_users() if u not in passed]


class ConfigAdmins:
    """Super admins listed in the config (`admin.super_admins`: user keys such as tg:123, cli:local)."""

    def __init__(self, storage: Store, admins: list[str]) -> None:
        self.storage = storage
        self._admins = list(admins)

    async def role_of(self, user: str) -> AdminRole | None:
        return AdminRole(user, None) if user in self._admins else None

    async def admins(self) -> list[str]:
        return list(self._admins)

    async def audience(self, role: AdminRole) -> list[str]:
        if role.is_super:
            return await self.storage.users.reachable_users()
        return []  # no roster here: unit admins reach members through OrgAdmins


class AttemptsDigest:
    """The weekly digest from the attempts table: per exam, attempts and pass rate this week."""

    def __init__(self, storage: Store, catalog: Catalog | None) -> None:
        self.storage = storage
        self.catalog = catalog

    async def digest(self, admin: str, locale: str, now: float) -> str:
        from bot.texts import tr

        rows = await self.storage.attempts.exam_week_stats(now - 7 * 86400, now)
        if not rows:
            return tr(locale, "digest_head") + "\n" + tr(locale, "digest_empty")
        lines = [tr(locale, "digest_head")]
        for exam_id, users, attempts, passed in rows:
            definition = self.catalog.exams.get(exam_id) if self.catalog else None
            title = definition.title_for(locale) if definition else exam_id
            rate = f"{passed / users:.0%}" if users else "—"
            lines.append(tr(locale, "digest_line", title=title, users=users, attempts=attempts,
                            passed=passed, rate=rate))
        return "\n".join(lines)
