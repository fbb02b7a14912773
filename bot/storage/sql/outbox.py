"""The outbox (queue, claim, record, recover), campaigns, the scheduler's run log and /remind
preferences."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Double, Text, and_, bindparam, case, func, literal, or_, select, update

from bot.storage.ports import CampaignInfo, DeliveryRecord, OutboxMessage, OutboxRow, ReminderPref
from bot.storage.sql.base import Repo, chunks, dumps
from bot.storage.sql.database import Prepared
from bot.storage.sql.dialect import for_update_skip_locked, insert_ignore, upsert
from bot.storage.tables import bindings, campaigns, job_runs, outbox, reminder_prefs, roster, users

O = outbox  # noqa: E741 (short alias of the table, as in the SQL it mirrors)
PROGRESS = ("pending", "inflight", "sent", "failed", "cancelled")


class SqlOutbox(Repo):
    def __init__(self, db):
        super().__init__(db)
        self._enqueue = Prepared(insert_ignore(self.dialect, O, ["dedupe_key"]).returning(O.c.id),
                                 "channel", "user_key", "payload", "dedupe_key", "created_at")
        def record(owned: bool):
            where = [O.c.id == bindparam("b_id"), O.c.status == "inflight"]
            if owned:  # a sender whose lease ran out (and was claimed again) records nothing
                where.append(O.c.claimed_by == bindparam("b_owner"))
            return Prepared(update(O).where(*where)
                            .values(status=bindparam("b_status"), outcome=bindparam("b_outcome"),
                                    error=bindparam("b_error"), sent_at=bindparam("b_sent_at"),
                                    next_try_at=bindparam("b_next"), tries=O.c.tries + bindparam("b_used"),
                                    claimed_at=None, claimed_by=None, lease_until=None))

        self._record = record(False)
        self._record_owned = record(True)
        self._block = Prepared(update(users).where(users.c.key == bindparam("b_key")).values(blocked=1))

    async def enqueue(self, channel: str, user: str, payload: dict[str, Any], dedupe_key: str, now: float) -> bool:
        rows = await self.db.run(self._enqueue, {"channel": channel, "user_key": user, "payload": dumps(payload),
                                                 "dedupe_key": dedupe_key, "created_at": now})
        return bool(rows.rows)

    async def enqueue_many(self, campaign_id: int | None, rows: list[OutboxRow], now: float,
                           not_before: float = 0.0, expires_at: float | None = None) -> int:
        """Queue many messages at once (joins the caller's transaction); rows whose dedupe key
        exists are skipped. Returns how many were new."""
        if not rows:
            return 0
        values = [{"channel": r.channel, "user_key": r.user, "payload": dumps(r.payload), "dedupe_key": r.dedupe_key,
                   "created_at": now, "next_try_at": not_before, "campaign_id": campaign_id,
                   "expires_at": expires_at if r.expires_at is None else r.expires_at} for r in rows]
        added = 0
        async with self.db.transaction():
            for chunk in chunks(values, 400):  # multi-row INSERT … RETURNING counts the new ones
                added += len((await self.db.run(insert_ignore(self.dialect, O, ["dedupe_key"]).values(chunk)
                                                .returning(O.c.id))).rows)
            if campaign_id is not None and added:
                await self.db.run(update(campaigns).where(campaigns.c.id == campaign_id)
                                  .values(total=campaigns.c.total + added))
        return added

    async def due_messages(self, channel: str, now: float, limit: int) -> list[OutboxMessage]:
        rows = await self.db.run(select(O.c.id, O.c.channel, O.c.user_key, O.c.payload, O.c.tries)
                                 .where(O.c.channel == channel, O.c.status == "pending", O.c.next_try_at <= now)
                                 .order_by(O.c.id).limit(limit))
        return [OutboxMessage(r[0], r[1], r[2], json.loads(r[3]), r[4]) for r in rows.rows]

    async def mark_sent(self, message_id: int, now: float) -> None:
        await self.db.run(update(O).where(O.c.id == message_id).values(status="sent", sent_at=now, tries=O.c.tries + 1))

    async def mark_retry(self, message_id: int, next_try_at: float, error: str) -> None:
        await self.db.run(update(O).where(O.c.id == message_id).values(tries=O.c.tries + 1, next_try_at=next_try_at,
                                                                       error=error[:500]))

    async def mark_failed(self, message_id: int, error: str) -> None:
        await self.db.run(update(O).where(O.c.id == message_id).values(status="failed", tries=O.c.tries + 1,
                                                                       error=error[:500]))

    async def claim_outbox(self, channel: str, now: float, limit: int, user: str | None = None, *,
                           owner: str | None = None, lease_seconds: float = 30.0) -> list[OutboxMessage]:
        """Mark up to `limit` messages in-flight for `owner` until now + lease_seconds and return
        them (oldest first): due pending ones, and in-flight ones whose lease ran out (their sender
        died or lost its database connection; they may have been sent: `reclaimed`). Several
        senders may claim at once: each row goes to one of them (dialect.for_update_skip_locked)."""
        due = and_(O.c.status == "pending", O.c.next_try_at <= now)
        stale = and_(O.c.status == "inflight", func.coalesce(O.c.lease_until, 0) < now)
        query = (select(O.c.id, O.c.channel, O.c.user_key, O.c.payload, O.c.tries, O.c.expires_at,
                        func.coalesce(users.c.blocked, 0), O.c.campaign_id, O.c.status)
                 .select_from(O.outerjoin(users, users.c.key == O.c.user_key))
                 .where(O.c.channel == channel, or_(due, stale))
                 .order_by(O.c.id).limit(limit))
        if user is not None:
            query = query.where(O.c.user_key == user)
        async with self.db.transaction():
            rows = (await self.db.run(for_update_skip_locked(self.dialect, query))).rows
            if rows:
                await self.db.run(update(O).where(O.c.id.in_([r[0] for r in rows]))
                                  .values(status="inflight", claimed_at=now, claimed_by=owner,
                                          lease_until=now + lease_seconds))
        return [OutboxMessage(r[0], r[1], r[2], json.loads(r[3]), r[4], expires_at=r[5], blocked=bool(r[6]),
                              campaign_id=r[7], reclaimed=r[8] == "inflight") for r in rows]

    async def renew_leases(self, channel: str, owner: str, until: float) -> int:
        """Extend the lease of every row `owner` holds in flight (a sender that is alive)."""
        done = await self.db.run(update(O).where(O.c.channel == channel, O.c.status == "inflight",
                                                 O.c.claimed_by == owner).values(lease_until=until))
        return done.rowcount

    async def record_deliveries(self, records: list[DeliveryRecord], owner: str | None = None) -> None:
        """Write a batch's outcomes in one transaction; users who blocked the bot are marked.
        With `owner`, only rows that sender still holds are written (a row claimed again after
        its lease ran out belongs to the new claimant)."""
        if not records:
            return
        statement = self._record if owner is None else self._record_owned
        extra = {} if owner is None else {"b_owner": owner}
        async with self.db.transaction():
            await self.db.run_many(statement, [
                {"b_id": r.message_id, "b_status": r.status, "b_outcome": r.outcome,
                 "b_error": r.error[:500] if r.error else None,
                 "b_sent_at": r.at if r.status != "pending" else None, "b_next": r.next_try_at,
                 "b_used": r.tries_used, **extra} for r in records])
            blocked = sorted({r.user for r in records if r.outcome == "blocked"})
            await self.db.run_many(self._block, [{"b_key": u} for u in blocked])

    async def release_inflight(self, channel: str) -> int:
        """Every in-flight message of the channel goes back to pending, whoever holds it: for a
        single sender that knows no other runs (an administrator's repair). Senders never call
        it; they claim rows whose lease ran out instead."""
        done = await self.db.run(update(O).where(O.c.channel == channel, O.c.status == "inflight")
                                 .values(status="pending", claimed_at=None, claimed_by=None, lease_until=None))
        return done.rowcount

    async def expired_leases(self, channel: str, now: float) -> int:
        """In-flight messages whose lease ran out (their sender is gone): claimable again."""
        query = select(func.count()).select_from(O).where(O.c.channel == channel, O.c.status == "inflight",
                                                          func.coalesce(O.c.lease_until, 0) < now)
        return (await self.db.run(query)).scalar() or 0

    async def outbox_totals(self, channel: str | None = None) -> dict[str, int]:
        query = select(O.c.status, func.count()).group_by(O.c.status)
        if channel:
            query = query.where(O.c.channel == channel)
        counts = {status: 0 for status in PROGRESS}
        counts.update({s: n for s, n in (await self.db.run(query)).rows})
        return counts

    async def sent_at(self, dedupe_key: str) -> float | None:
        """When the message with this key was delivered; None if it was not (yet)."""
        query = select(O.c.sent_at).where(O.c.dedupe_key == dedupe_key, O.c.status == "sent")
        rows = (await self.db.run(query)).rows
        return rows[0][0] if rows else None

    async def outbox_outcomes(self, campaign_id: int | None = None) -> dict[str, int]:
        label = func.coalesce(O.c.outcome, O.c.status)
        query = select(label, func.count()).group_by(label)
        if campaign_id is not None:
            query = query.where(O.c.campaign_id == campaign_id)
        return {k: n for k, n in (await self.db.run(query)).rows}


class SqlCampaigns(Repo):
    def __init__(self, db):
        super().__init__(db)
        self._create = insert_ignore(self.dialect, campaigns, ["key"]).returning(campaigns.c.id)

    async def create_campaign(self, key: str, kind: str, created_by: str | None, now: float,
                              payload: dict[str, Any] | None = None, audience: str = "",
                              status: str = "active") -> tuple[int, bool]:
        """(id, created); an existing key returns its id and False (deciding twice is a no-op)."""
        async with self.db.transaction():
            new_id = (await self.db.run(self._create, {
                "key": key, "kind": kind, "created_by": created_by, "created_at": now, "status": status,
                "payload": None if payload is None else dumps(payload), "audience": audience})).scalar()
            if new_id is not None:
                return new_id, True
            return (await self.db.run(select(campaigns.c.id).where(campaigns.c.key == key))).scalar(), False

    async def get_campaign(self, campaign_id: int) -> CampaignInfo | None:
        c = campaigns.c
        row = (await self.db.run(select(c.id, c.key, c.kind, c.created_by, c.created_at, c.status, c.payload,
                                        c.audience, c.total).where(c.id == campaign_id))).first()
        if row is None:
            return None
        return CampaignInfo(row[0], row[1], row[2], row[3], row[4], row[5],
                            json.loads(row[6]) if row[6] else None, row[7] or "", row[8])

    async def recent_campaigns(self, kind: str, created_by: str | None = None, limit: int = 5) -> list[CampaignInfo]:
        query = select(campaigns.c.id).where(campaigns.c.kind == kind).order_by(campaigns.c.id.desc()).limit(limit)
        if created_by is not None:
            query = query.where(campaigns.c.created_by == created_by)
        found = [await self.get_campaign(r[0]) for r in (await self.db.run(query)).rows]
        return [c for c in found if c is not None]

    async def set_campaign_status(self, campaign_id: int, status: str) -> None:
        await self.db.run(update(campaigns).where(campaigns.c.id == campaign_id).values(status=status))

    async def campaign_progress(self, campaign_id: int) -> dict[str, int]:
        rows = await self.db.run(select(O.c.status, func.count()).where(O.c.campaign_id == campaign_id)
                                 .group_by(O.c.status))
        counts = {status: 0 for status in PROGRESS}
        counts.update({s: n for s, n in rows.rows})
        return counts

    async def enqueue_audience(self, campaign_id: int, unit_ids: list[str] | None, payload: dict[str, Any],
                               now: float, not_before: float = 0.0) -> int:
        """Queue `payload` for a broadcast's whole audience in one INSERT … SELECT (joins the
        caller's transaction) and add the count to the campaign's total. unit_ids None: every known
        account that has not blocked the bot; else the accounts bound to active roster entries of
        those units (not blocked). Each row's dedupe key is `bc<campaign id>:<account>`, so running
        it again for the campaign (a retried request, a second worker) queues nothing twice.
        Returns how many rows were new."""
        U, B, R = users.c, bindings.c, roster.c
        if unit_ids is None:
            key = U.key
            source = select(key).where(U.blocked == 0)
        else:
            if not unit_ids:
                return 0
            key = B.user_key
            source = (select(key).select_from(bindings.join(roster, (R.id == B.roster_id) & (R.active == 1))
                                              .outerjoin(users, U.key == B.user_key))
                      .where(R.unit_id.in_(sorted(set(unit_ids))), func.coalesce(U.blocked, 0) == 0))
        source = source.with_only_columns(
            _channel_of(self.dialect, key), key, literal(dumps(payload), Text),
            literal(f"bc{campaign_id}:", Text) + key, literal(now, Double), literal(not_before, Double),
            literal(campaign_id)).order_by(key)
        columns = ["channel", "user_key", "payload", "dedupe_key", "created_at", "next_try_at", "campaign_id"]
        async with self.db.transaction():
            added = (await self.db.run(insert_ignore(self.dialect, O, ["dedupe_key"]).from_select(columns, source)
                                       )).rowcount
            if added > 0:
                await self.db.run(update(campaigns).where(campaigns.c.id == campaign_id)
                                  .values(total=campaigns.c.total + added))
        return max(0, added)

    async def cancel_campaign(self, campaign_id: int, now: float) -> int:
        """Stop a campaign: its still-pending messages become cancelled (claimed ones finish)."""
        async with self.db.transaction():
            await self.db.run(update(campaigns).where(campaigns.c.id == campaign_id).values(status="cancelled"))
            done = await self.db.run(update(O).where(O.c.campaign_id == campaign_id, O.c.status == "pending")
                                     .values(status="cancelled", outcome="cancelled", sent_at=now))
            return done.rowcount


def _channel_of(dialect: str, key):
    """The channel of a user key in SQL: the part before the first ':' (all of it without one)."""
    if dialect == "postgresql":
        return func.split_part(key, ":", 1)
    at = func.instr(key, ":")
    return case((at > 0, func.substr(key, 1, at - 1)), else_=key)


class SqlJobs(Repo):
    def __init__(self, db):
        super().__init__(db)
        self._record = upsert(self.dialect, job_runs, ["job_id"], ["last_fire", "ran_at", "outcome"])

    async def last_fire(self, job_id: str) -> float | None:
        return (await self.db.run(select(job_runs.c.last_fire).where(job_runs.c.job_id == job_id))).scalar()

    async def record_fire(self, job_id: str, fire_time: float, now: float, outcome: str) -> None:
        await self.db.run(self._record, {"job_id": job_id, "last_fire": fire_time, "ran_at": now, "outcome": outcome})


class SqlReminders(Repo):
    def __init__(self, db):
        super().__init__(db)
        self._set = upsert(self.dialect, reminder_prefs, ["user_key"], ["enabled", "minute", "tz", "updated_at"])
        self._mark = (update(reminder_prefs).where(reminder_prefs.c.user_key == bindparam("b_user"))
                      .values(last_daily=bindparam("b_date")))

    async def get_reminder(self, user: str) -> ReminderPref | None:
        p = reminder_prefs.c
        row = (await self.db.run(select(p.user_key, p.enabled, p.minute, p.tz, p.last_daily)
                                 .where(p.user_key == user))).first()
        return ReminderPref(row[0], bool(row[1]), row[2], row[3], row[4]) if row else None

    async def set_reminder(self, user: str, enabled: bool, minute: int, tz: str | None, now: float) -> None:
        async with self.db.transaction():
            await self.db.run(self._set, {"user_key": user, "enabled": int(enabled), "minute": minute, "tz": tz,
                                          "updated_at": now})
            if enabled:  # asking for reminders again means the user can be reached again
                await self.db.run(update(users).where(users.c.key == user).values(blocked=0))

    async def reminder_zones(self) -> list[str | None]:
        rows = await self.db.run(select(reminder_prefs.c.tz).distinct().where(reminder_prefs.c.enabled == 1))
        return [r[0] for r in rows.rows]

    async def daily_candidates(self, tz: str | None, date: str, low: int, high: int,
                               limit: int = 10_000) -> list[str]:
        """Opted-in, reachable users of zone tz (None = default zone) whose chosen minute is in
        [low, high] and who have not had the daily question of local date `date` yet."""
        p = reminder_prefs.c
        query = (select(p.user_key).select_from(reminder_prefs.outerjoin(users, users.c.key == p.user_key))
                 .where(p.enabled == 1, p.tz.is_(None) if tz is None else p.tz == tz, p.minute.between(low, high),
                        or_(p.last_daily.is_(None), p.last_daily < date), func.coalesce(users.c.blocked, 0) == 0)
                 .order_by(p.user_key).limit(limit))
        return [r[0] for r in (await self.db.run(query)).rows]

    async def mark_daily(self, keys: list[str], date: str) -> None:
        await self.db.run_many(self._mark, [{"b_user": u, "b_date": date} for u in keys])

    async def reminder_flags(self) -> dict[str, bool]:
        """user -> enabled, for everyone who ever chose (absent = never chose)."""
        rows = await self.db.run(select(reminder_prefs.c.user_key, reminder_prefs.c.enabled))
        return {u: bool(e) for u, e in rows.rows}
