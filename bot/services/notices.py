"""通知: broadcasts (广播) as use cases — compose, preview the audience per unit, schedule (quiet
hours respected, as the scheduler does), watch progress, cancel. The chat's /broadcast
(bot/app/broadcast.py) and the console's 通知 page are two entry points on these functions.

Who may send to whom is the AdminDirectory's (bot/services/audience.py): a super admin
(`admin.super_admins`) reaches every reachable user, a unit admin the bound members of
their unit and the units below it. A campaign's progress and its cancel button belong to its
author and to super admins. A schedule writes the campaign and all its outbox rows in one
transaction with its audit entry (the organisation's audience in one INSERT … SELECT): the
outbox sender delivers them from `not_before` on."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from bot.deps import Deps
from bot.domain.reminder_rules import QuietHours, minute_of, parse_hhmm
from bot.services.audience import AdminDirectory
from bot.services.org import AdminRole, Org
from bot.services.org_audience import OrgAdmins
from bot.services.rights import Actor
from bot.storage.ports import CampaignInfo, OutboxRow

if TYPE_CHECKING:
    from bot.config import Config

MAX_BROADCAST = 3500  # leaves room in one 4096-character Telegram message
MAX_AHEAD = 90 * 86_400  # a notice is scheduled at most 90 days ahead
KIND = "broadcast"
NO_UNIT = ""  # the per-unit preview's bucket for reachable users on no roster


def config_minute(text: str) -> int:
    """A configured time of day (checked when the config loads) -> minute of the day."""
    minute = parse_hhmm(text)
    if minute is None:
        raise ValueError(f"not a time of day: {text!r}")
    return minute


def quiet_hours(config: Config) -> QuietHours:
    """The configured quiet hours (scheduler.quiet_hours): no proactive message is sent in them."""
    q = config.scheduler.quiet_hours
    return QuietHours(config_minute(q.start), config_minute(q.end))


def scheduler_zone(config: Config) -> str:
    """The time zone of scheduled messages and quiet hours."""
    return config.scheduler.timezone or config.timezone


class NoticeError(Exception):
    """A refusal the admin can act on: `key` names the text in bot/texts.py."""

    def __init__(self, key: str, **values: object):
        super().__init__(key)
        self.key = key
        self.values = values


@dataclass(frozen=True, slots=True)
class Sender:
    """Who sends: a user and their admin role (super: unit None, or one unit)."""
    user: str
    role: AdminRole

    @property
    def is_super(self) -> bool:
        return self.role.is_super


@dataclass(frozen=True, slots=True)
class Preview:
    text: str
    total: int
    per_unit: list[tuple[str, str, int]]  # (unit id, unit name, people reached); NO_UNIT = not on a roster
    scope: str | None  # the sender's unit (None: everyone)


@dataclass(frozen=True, slots=True)
class Scheduled:
    campaign_id: int
    queued: int
    not_before: float  # when delivery starts (0: at once)
    quiet_moved: bool  # pushed to the end of quiet hours


@dataclass(frozen=True, slots=True)
class Progress:
    campaign: CampaignInfo
    sent: int
    pending: int  # waiting or being sent
    failed: int
    cancelled: int

    @property
    def text(self) -> str:
        return str((self.campaign.payload or {}).get("text", ""))

    @property
    def not_before(self) -> float:
        return float((self.campaign.payload or {}).get("not_before") or 0.0)

    @property
    def done(self) -> bool:
        return self.pending == 0


def directory(deps: Deps) -> AdminDirectory:
    """The admin roles the chat's /broadcast uses (the organisation's: admin.super_admins and unit admins)."""
    return OrgAdmins(deps.storage, Org(deps))


def sender_of(actor: Actor) -> Sender:
    return Sender(actor.user, actor.role)


def channel_of(user: str) -> str:
    return user.split(":", 1)[0]


def check_text(text: str) -> str:
    text = text.strip()
    if not text:
        raise NoticeError("notice_err_empty")
    if len(text) > MAX_BROADCAST:
        raise NoticeError("bc_too_long", limit=MAX_BROADCAST)
    return text


async def preview(deps: Deps, admins: AdminDirectory, sender: Sender, text: str) -> Preview:
    """Who the notice would reach now, counted per unit (a person's own unit)."""
    text = check_text(text)
    counts: dict[str, int] = {}
    if isinstance(admins, OrgAdmins):  # the organisation's audience, counted per unit in one SQL query
        for unit_id, n in (await admins.reach_by_unit(sender.role)).items():
            counts[unit_id or NO_UNIT] = counts.get(unit_id or NO_UNIT, 0) + n
    else:
        audience = await admins.audience(sender.role)
        unit_of = await _units_of(deps, set(audience))
        for user in audience:
            unit = unit_of.get(user, NO_UNIT)
            counts[unit] = counts.get(unit, 0) + 1
    total = sum(counts.values())
    if not total:
        raise NoticeError("bc_empty_audience")
    tree = await Org(deps).tree()
    per_unit = sorted(((u, tree.name(u) if u else "", n) for u, n in counts.items() if n),
                      key=lambda r: (-r[2], r[1]))
    return Preview(text, total, per_unit, sender.role.unit)


async def _units_of(deps: Deps, users: set[str]) -> dict[str, str]:
    """Each user's unit, one person at a time (another AdminDirectory's audience; small)."""
    found: dict[str, str] = {}
    for person in await deps.storage.stats.person_rows(""):  # every active roster entry
        if person.registered:
            for user in await deps.storage.roster.users_of(person.roster_id):
                if user in users:
                    found[user] = person.unit_id
    return found


def after_quiet(deps: Deps, at: float) -> tuple[float, bool]:
    """The first moment from `at` outside quiet hours (as the scheduler keeps them)."""
    zone = ZoneInfo(scheduler_zone(deps.config))
    local = datetime.fromtimestamp(at, zone)
    quiet = quiet_hours(deps.config)
    if not quiet.contains(minute_of(local)):
        return at, False
    return quiet.next_end(local).timestamp(), True


def start_of(deps: Deps, now: float, at: float | None) -> tuple[float, bool]:
    """When delivery of a notice asked for `at` (None: now) starts: (not_before, moved out of quiet
    hours); 0 = at once. A time in the past (a minute's grace) or over 90 days ahead is refused."""
    if at is not None and at < now - 60:
        raise NoticeError("notice_err_past")
    if at is not None and at > now + MAX_AHEAD:
        raise NoticeError("notice_err_far")
    start = max(at or now, now)
    not_before, moved = after_quiet(deps, start)
    return (0.0 if not moved and start <= now else not_before), moved


async def schedule(deps: Deps, admins: AdminDirectory, sender: Sender, text: str, now: float,
                   at: float | None = None, key: str | None = None) -> Scheduled:
    """Queue the notice for everyone in the sender's audience, delivered from `at` (default now),
    never inside quiet hours. `key` makes a repeated request (a double click, a retried POST, the
    same form sent to two workers) create one campaign only: the campaign's key is unique, the
    second request waits for the first's transaction and gets its campaign back.

    The organisation's audience is queued by the database in one INSERT … SELECT
    (CampaignRepository.enqueue_audience); another directory's audience list row by row. The
    campaign, its outbox rows and the audit entry commit together; an empty audience writes nothing."""
    text = check_text(text)
    not_before, moved = start_of(deps, now, at)
    scope = "super" if sender.role.unit is None else f"unit:{sender.role.unit}"
    async with deps.storage.atomic():
        audience: list[str] | None = None
        if not isinstance(admins, OrgAdmins):
            audience = await admins.audience(sender.role)
            if not audience:
                raise NoticeError("bc_empty_audience")
        campaign_id, created = await deps.storage.campaigns.create_campaign(
            key or f"bc:{sender.user}:{int(now * 1000)}", KIND, sender.user, now,
            {"text": text, "not_before": not_before}, audience=scope)
        if not created:
            counts = await deps.storage.campaigns.campaign_progress(campaign_id)
            return Scheduled(campaign_id, sum(counts.values()), not_before, moved)
        if isinstance(admins, OrgAdmins):
            queued = await deps.storage.campaigns.enqueue_audience(
                campaign_id, await admins.audience_units(sender.role), {"text": text}, now, not_before=not_before)
        else:
            rows = [OutboxRow(channel_of(u), u, {"text": text}, f"bc{campaign_id}:{u}") for u in audience or ()]
            queued = await deps.storage.outbox.enqueue_many(campaign_id, rows, now, not_before=not_before)
        if not queued:
            raise NoticeError("bc_empty_audience")  # rolls the campaign back
        await _record(deps, sender, "notice.schedule", f"campaign:{campaign_id}",
                      after={"text": text, "audience": scope, "queued": queued, "not_before": not_before})
    return Scheduled(campaign_id, queued, not_before, moved)


async def _may_see(sender: Sender, campaign: CampaignInfo | None) -> CampaignInfo:
    if campaign is None or campaign.kind != KIND or not (sender.is_super or campaign.created_by == sender.user):
        raise NoticeError("bc_unknown", id=campaign.id if campaign else "?")
    return campaign


async def progress(deps: Deps, sender: Sender, campaign_id: int) -> Progress:
    campaign = await deps.storage.campaigns.get_campaign(campaign_id)
    if campaign is None:
        raise NoticeError("bc_unknown", id=campaign_id)
    await _may_see(sender, campaign)
    counts = await deps.storage.campaigns.campaign_progress(campaign_id)
    return Progress(campaign, counts["sent"], counts["pending"] + counts["inflight"], counts["failed"],
                    counts["cancelled"])


async def recent(deps: Deps, sender: Sender, limit: int = 5) -> list[Progress]:
    """The sender's latest campaigns (a super admin's: everyone's)."""
    campaigns = await deps.storage.campaigns.recent_campaigns(KIND, None if sender.is_super else sender.user, limit)
    out = []
    for campaign in campaigns:
        counts = await deps.storage.campaigns.campaign_progress(campaign.id)
        out.append(Progress(campaign, counts["sent"], counts["pending"] + counts["inflight"], counts["failed"],
                            counts["cancelled"]))
    return out


async def cancel(deps: Deps, sender: Sender, campaign_id: int, now: float) -> int:
    """Stop a campaign: messages not yet sent are cancelled; returns how many."""
    async with deps.storage.atomic():
        campaign = await deps.storage.campaigns.get_campaign(campaign_id)
        if campaign is None:
            raise NoticeError("bc_unknown", id=campaign_id)
        await _may_see(sender, campaign)
        stopped = await deps.storage.campaigns.cancel_campaign(campaign_id, now)
        await _record(deps, sender, "notice.cancel", f"campaign:{campaign_id}", before={"status": campaign.status},
                      after={"status": "cancelled", "stopped": stopped})
    return stopped


async def _record(deps: Deps, sender: Sender, action: str, target: str, **values: Any) -> None:
    from bot.services import audit

    await audit.record(deps, sender.user, action, target, unit=sender.role.unit, **values)
