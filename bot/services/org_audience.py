"""The audience ports (bot/services/audience.py) implemented on the organisation: official exam
windows, the roster (who still has to sit or pass), admin roles (super / unit), per-unit rates for
the weekly digest and the nightly rates snapshot (Stats.take_snapshot)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import TYPE_CHECKING, Protocol
from zoneinfo import ZoneInfo

from bot.domain.official_exam import is_target
from bot.domain.reminder_rules import ExamWindow
from bot.services.audience import ConfigExamSchedule
from bot.services.org import AdminRole, Org
from bot.texts import tr

if TYPE_CHECKING:
    from bot.deps import Deps
    from bot.domain.models import ExamDefinition, OfficialSpec
    from bot.services.audience import DigestSource
    from bot.services.stats_report import Stats
    from bot.storage.ports import Store


class OfficialSpecs(Protocol):
    """The official exams and their effective windows (the chat's OfficialExams, bot/app/official.py)."""
    deps: Deps

    def definitions(self) -> list[ExamDefinition]: ...
    async def spec(self, definition: ExamDefinition) -> OfficialSpec: ...


def _pct(part: int, whole: int) -> str:
    return f"{part / whole:.0%}" if whole else "—"


class OfficialExamSchedule:
    """Windows of the official exams (with admins' overrides); 'still to sit or pass' = users
    bound to target roster entries without a passing final result. Exams only in
    `scheduler.exam_windows` fall back to the config schedule."""

    def __init__(self, storage: Store, official: OfficialSpecs, org: Org, zone: ZoneInfo,
                 fallback: ConfigExamSchedule) -> None:
        self.storage = storage
        self.official = official  # app.service.exam.official (the chat's OfficialExams)
        self.org = org
        self.zone = zone
        self.fallback = fallback

    def _date(self, ts: float) -> date:
        return datetime.fromtimestamp(ts, self.zone).date()

    async def windows(self, today: date) -> list[ExamWindow]:
        from bot.services.exams import refresh  # exams created in the web console

        await refresh(self.official.deps)
        found = {}
        for definition in self.official.definitions():
            spec = await self.official.spec(definition)
            window = ExamWindow(definition.id, dict(definition.title), self._date(spec.opens),
                                self._date(spec.closes - 1))  # closes is the first moment after it
            if window.opens <= today <= window.closes:
                found[definition.id] = window
        for window in await self.fallback.windows(today):
            found.setdefault(window.exam_id, window)
        return list(found.values())

    async def still_to_pass(self, exam_id: str) -> list[str]:
        from bot.services.exams import refresh

        await refresh(self.official.deps)
        definition = next((d for d in self.official.definitions() if d.id == exam_id), None)
        if definition is None:
            return await self.fallback.still_to_pass(exam_id)
        spec = await self.official.spec(definition)
        tree = await self.org.tree()
        users: list[str] = []
        for person in await self.storage.stats.person_rows(exam_id, spec.final_score):
            if person.passed or not person.registered:
                continue
            if is_target(spec, tree.ancestors(person.unit_id) or [person.unit_id], person.role):
                users.extend(await self.storage.roster.users_of(person.roster_id))
        return users


class OrgAdmins:
    """Admin roles of the organisation: `admin.super_admins` from the config and the appointed unit
    admins; `extra_super` adds super admins (the deprecated `scheduler.broadcast_admins`)."""

    def __init__(self, storage: Store, org: Org, extra_super: Iterable[str] = ()) -> None:
        self.storage = storage
        self.org = org
        self.extra = list(extra_super)

    async def role_of(self, user: str) -> AdminRole | None:
        if user in self.extra:
            return AdminRole(user, None)
        return await self.org.role(user)

    async def admins(self) -> list[str]:
        found = list(self.org.deps.config.admin.super_admins) + self.extra
        found += [user for user, _unit in await self.storage.admins.list_admins()]
        return list(dict.fromkeys(found))

    async def audience(self, role: AdminRole) -> list[str]:
        if role.is_super:
            return await self.storage.users.reachable_users()
        tree = await self.org.tree()
        users: list[str] = []
        for person in await self.storage.stats.person_rows(""):  # every active roster entry
            if person.registered and tree.within(person.unit_id, role.unit):
                users.extend(await self.storage.roster.users_of(person.roster_id))
        blocked = set(await self.storage.users.blocked_among(users)) if users else set()
        return [u for u in dict.fromkeys(users) if u not in blocked]

    async def audience_units(self, role: AdminRole) -> list[str] | None:
        """The units whose bound members audience(role) reaches (sorted); None: everyone reachable,
        on a roster or not (a super admin). What set-based queries of the audience filter on."""
        if role.is_super:
            return None
        return sorted((await self.org.tree()).subtree(role.unit))

    async def reach_by_unit(self, role: AdminRole) -> dict[str | None, int]:
        """audience(role) counted per unit of the person's roster entry (None: on no roster), in
        one grouped query instead of a walk through the roster (the 通知 preview)."""
        return await self.storage.roster.reach_by_unit(await self.audience_units(role))


class OfficialDigest:
    """The weekly digest: per official exam, the admin's unit's rates, with a button for the rates
    chart (the admin's stats flow draws it on request, so the outbox carries text only)."""

    def __init__(self, stats: Stats, org: Org, fallback: DigestSource) -> None:
        self.stats = stats
        self.org = org
        self.fallback = fallback

    async def digest(self, admin: str, locale: str, now: float) -> str:
        text, _ = await self.digest_with_buttons(admin, locale, now)
        return text

    async def digest_with_buttons(self, admin: str, locale: str, now: float) -> tuple[str, list[list[list[str]]]]:
        exams = self.stats.official_exams()
        role = await self.org.role(admin)
        if not exams:
            return await self.fallback.digest(admin, locale, now), []
        unit = role.unit if role is not None else None
        lines = [tr(locale, "digest_head")]
        buttons = []
        for index, definition in enumerate(exams):
            report = await self.stats.report(definition.id, unit, now, locale)
            total = report.total
            lines.append(tr(locale, "digest_unit_line", title=definition.title_for(locale), unit=report.unit_name,
                            roster=total.roster, sat=total.sat, sit_rate=_pct(total.sat, total.roster),
                            passed=total.passed, pass_rate=_pct(total.passed, total.roster)))
            buttons.append([tr(locale, "btn_digest_chart", title=definition.title_for(locale)[:16]),
                            f"a:c:{index}:{report.unit_id or ''}"])
        return "\n".join(lines), [buttons[i:i + 2] for i in range(0, len(buttons), 2)]
