"""SQLite: reminder preferences, campaigns, the scheduler's run log, and the outbox's claim/record
cycle (mixin for SqliteStorage; uses its `_write/_one/_all/atomic` helpers and `_conn`)."""

from __future__ import annotations

import json
from typing import Any, Iterable

from bot.storage.ports import (
    CampaignInfo,
    DeliveryRecord,
    OutboxMessage,
    OutboxRow,
    ReminderPref,
)

_PROGRESS = ("pending", "inflight", "sent", "failed", "cancelled")


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


class SqliteReminders:
    # --- /remind preferences ---------------------------------------------------------
    async def get_reminder(self, user: str) -> ReminderPref | None:
        row = await self._one("SELECT user_key, enabled, minute, tz, last_daily FROM reminder_prefs "
                              "WHERE user_key = ?", (user,))
        return ReminderPref(row[0], bool(row[1]), row[2], row[3], row[4]) if row else None

    async def set_reminder(self, user: str, enabled: bool, minute: int, tz: str | None, now: float) -> None:
        await self._write("INSERT INTO reminder_prefs(user_key, enabled, minute, tz, updated_at) VALUES (?,?,?,?,?) "
                          "ON CONFLICT(user_key) DO UPDATE SET enabled = excluded.enabled, minute = excluded.minute, "
                          "tz = excluded.tz, updated_at = excluded.updated_at",
                          (user, int(enabled), minute, tz, now))
        if enabled:  # asking for reminders again means the user can be reached again
            await self._write("UPDATE users SET blocked = 0 WHERE key = ?", (user,))

    async def reminder_zones(self) -> list[str | None]:
        rows = await self._all("SELECT DISTINCT tz FROM reminder_prefs WHERE enabled = 1")
        return [r[0] for r in rows]

    async def daily_candidates(self, tz: str | None, date: str, low: int, high: int,
                               limit: int = 10_000) -> list[str]:
        """Opted-in, reachable users of zone tz (None = default zone) whose chosen minute is in
        [low, high] and who have not had the daily question of local date `date` yet."""
        zone = "tz IS NULL" if tz is None else "tz = ?"
        params: tuple = (() if tz is None else (tz,)) + (low, high, date, limit)
        rows = await self._all(
            "SELECT p.user_key FROM reminder_prefs p LEFT JOIN users u ON u.key = p.user_key "
            f"WHERE p.enabled = 1 AND {zone.replace('tz', 'p.tz')} AND p.minute BETWEEN ? AND ? "
            "AND (p.last_daily IS NULL OR p.last_daily < ?) AND COALESCE(u.blocked, 0) = 0 "
            "ORDER BY p.user_key LIMIT ?", params)
        return [r[0] for r in rows]

    async def mark_daily(self, users: list[str], date: str) -> None:
        async with self.atomic():
            await self._conn.executemany("UPDATE reminder_prefs SET last_daily = ? WHERE user_key = ?",
                                         [(date, u) for u in users])

    async def mark_reachable(self, user: str) -> None:
        """The user wrote to the bot, so they have not blocked it (any more)."""
        await self._write("UPDATE users SET blocked = 0 WHERE key = ? AND blocked = 1", (user,))

    async def is_blocked(self, user: str) -> bool:
        row = await self._one("SELECT blocked FROM users WHERE key = ?", (user,))
        return bool(row and row[0])

    async def blocked_among(self, users: list[str]) -> list[str]:
        found: list[str] = []
        for i in range(0, len(users), 500):
            chunk = users[i:i + 500]
            marks = ",".join("?" * len(chunk))
            found += [r[0] for r in await self._all(f"SELECT key FROM users WHERE blocked = 1 AND key IN ({marks})",
                                                    tuple(chunk))]
        return found

    async def reachable_users(self, channels: Iterable[str] | None = None, limit: int = 1_000_000) -> list[str]:
        """Every known user who has not blocked the bot (optionally only these channels)."""
        rows = await self._all("SELECT key FROM users WHERE blocked = 0 ORDER BY key LIMIT ?", (limit,))
        wanted = set(channels) if channels is not None else None
        return [r[0] for r in rows if wanted is None or r[0].split(":", 1)[0] in wanted]

    async def reminder_flags(self) -> dict[str, bool]:
        """user -> enabled, for everyone who ever chose (absent = never chose)."""
        return {u: bool(e) for u, e in await self._all("SELECT user_key, enabled FROM reminder_prefs")}

    async def users_passed(self, exam_id: str) -> set[str]:
        rows = await self._all("SELECT DISTINCT user_key FROM attempts WHERE exam_id = ? AND passed = 1", (exam_id,))
        return {r[0] for r in rows}

    async def exam_week_stats(self, since: float, until: float) -> list[tuple[str, int, int, int]]:
        """(exam_id, users, attempts, users who passed) for attempts handed in in [since, until)."""
        return await self._all(
            "SELECT exam_id, COUNT(DISTINCT user_key), COUNT(*), "
            "COUNT(DISTINCT CASE WHEN passed = 1 THEN user_key END) FROM attempts "
            "WHERE status != 'open' AND submitted_at >= ? AND submitted_at < ? GROUP BY exam_id ORDER BY exam_id",
            (since, until))

    # --- campaigns -------------------------------------------------------------------
    async def create_campaign(self, key: str, kind: str, created_by: str | None, now: float,
                              payload: dict[str, Any] | None = None, audience: str = "",
                              status: str = "active") -> tuple[int, bool]:
        """(id, created); an existing key returns its id and False (deciding twice is a no-op)."""
        cur = await self._write("INSERT OR IGNORE INTO campaigns(key, kind, created_by, created_at, status, payload, "
                                "audience) VALUES (?,?,?,?,?,?,?)",
                                (key, kind, created_by, now, status,
                                 None if payload is None else _json(payload), audience))
        if cur.rowcount == 1:
            return cur.lastrowid, True
        row = await self._one("SELECT id FROM campaigns WHERE key = ?", (key,))
        return row[0], False

    async def get_campaign(self, campaign_id: int) -> CampaignInfo | None:
        row = await self._one("SELECT id, key, kind, created_by, created_at, status, payload, audience, total "
                              "FROM campaigns WHERE id = ?", (campaign_id,))
        if row is None:
            return None
        return CampaignInfo(row[0], row[1], row[2], row[3], row[4], row[5],
                            json.loads(row[6]) if row[6] else None, row[7] or "", row[8])

    async def recent_campaigns(self, kind: str, created_by: str | None = None, limit: int = 5) -> list[CampaignInfo]:
        where, params = "kind = ?", [kind]
        if created_by is not None:
            where += " AND created_by = ?"
            params.append(created_by)
        rows = await self._all(f"SELECT id FROM campaigns WHERE {where} ORDER BY id DESC LIMIT ?", (*params, limit))
        found = [await self.get_campaign(r[0]) for r in rows]
        return [c for c in found if c is not None]

    async def set_campaign_status(self, campaign_id: int, status: str) -> None:
        await self._write("UPDATE campaigns SET status = ? WHERE id = ?", (status, campaign_id))

    async def enqueue_many(self, campaign_id: int | None, rows: list[OutboxRow], now: float,
                           not_before: float = 0.0, expires_at: float | None = None) -> int:
        """Queue many messages at once (joins the caller's transaction); rows whose dedupe key
        exists are skipped. Returns how many were new."""
        async with self.atomic():
            before = self._conn.total_changes
            await self._conn.executemany(
                "INSERT OR IGNORE INTO outbox(channel, user_key, payload, dedupe_key, created_at, next_try_at, "
                "campaign_id, expires_at) VALUES (?,?,?,?,?,?,?,?)",
                [(r.channel, r.user, _json(r.payload), r.dedupe_key, now, not_before, campaign_id,
                  expires_at if r.expires_at is None else r.expires_at) for r in rows])
            added = self._conn.total_changes - before
            if campaign_id is not None and added:
                await self._conn.execute("UPDATE campaigns SET total = total + ? WHERE id = ?", (added, campaign_id))
        return added

    async def campaign_progress(self, campaign_id: int) -> dict[str, int]:
        rows = await self._all("SELECT status, COUNT(*) FROM outbox WHERE campaign_id = ? GROUP BY status",
                               (campaign_id,))
        counts = {status: 0 for status in _PROGRESS}
        counts.update({status: n for status, n in rows})
        return counts

    async def cancel_campaign(self, campaign_id: int, now: float) -> int:
        """Stop a campaign: its still-pending messages become cancelled (claimed ones finish)."""
        async with self.atomic():
            await self._conn.execute("UPDATE campaigns SET status = 'cancelled' WHERE id = ?", (campaign_id,))
            cur = await self._conn.execute("UPDATE outbox SET status = 'cancelled', outcome = 'cancelled', "
                                           "sent_at = ? WHERE campaign_id = ? AND status = 'pending'",
                                           (now, campaign_id))
            return cur.rowcount

    # --- the scheduler's run log -----------------------------------------------------
    async def last_fire(self, job_id: str) -> float | None:
        row = await self._one("SELECT last_fire FROM job_runs WHERE job_id = ?", (job_id,))
        return row[0] if row else None

    async def record_fire(self, job_id: str, fire_time: float, now: float, outcome: str) -> None:
        await self._write("INSERT INTO job_runs(job_id, last_fire, ran_at, outcome) VALUES (?,?,?,?) "
                          "ON CONFLICT(job_id) DO UPDATE SET last_fire = excluded.last_fire, "
                          "ran_at = excluded.ran_at, outcome = excluded.outcome", (job_id, fire_time, now, outcome))

    # --- the outbox: claim, record, recover -------------------------------------------
    async def claim_outbox(self, channel: str, now: float, limit: int, user: str | None = None) -> list[OutboxMessage]:
        """Mark up to `limit` due messages in-flight and return them (oldest first). A crash
        after this leaves them in-flight; `release_inflight` puts them back on the next start."""
        async with self.atomic():
            only = " AND o.user_key = ?" if user is not None else ""
            params: tuple = (channel, now) + ((user,) if user is not None else ()) + (limit,)
            async with self._conn.execute(
                    "SELECT o.id, o.channel, o.user_key, o.payload, o.tries, o.expires_at, "
                    "COALESCE(u.blocked, 0), o.campaign_id FROM outbox o LEFT JOIN users u ON u.key = o.user_key "
                    f"WHERE o.channel = ? AND o.status = 'pending' AND o.next_try_at <= ?{only} "
                    "ORDER BY o.id LIMIT ?", params) as cur:
                rows = list(await cur.fetchall())
            if rows:
                await self._conn.executemany("UPDATE outbox SET status = 'inflight', claimed_at = ? WHERE id = ?",
                                             [(now, r[0]) for r in rows])
        return [OutboxMessage(r[0], r[1], r[2], json.loads(r[3]), r[4], expires_at=r[5], blocked=bool(r[6]),
                              campaign_id=r[7]) for r in rows]

    async def record_deliveries(self, records: list[DeliveryRecord]) -> None:
        """Write a batch's outcomes in one transaction; users who blocked the bot are marked."""
        if not records:
            return
        async with self.atomic():
            await self._conn.executemany(
                "UPDATE outbox SET status = ?, outcome = ?, error = ?, sent_at = ?, next_try_at = ?, "
                "tries = tries + ?, claimed_at = NULL WHERE id = ? AND status = 'inflight'",
                [(r.status, r.outcome, r.error[:500] if r.error else None, r.at if r.status != "pending" else None,
                  r.next_try_at, r.tries_used, r.message_id) for r in records])
            blocked = {(r.user,) for r in records if r.outcome == "blocked"}
            if blocked:
                await self._conn.executemany("UPDATE users SET blocked = 1 WHERE key = ?", sorted(blocked))

    async def release_inflight(self, channel: str) -> int:
        """On a sender's start: messages a crashed run had claimed go back to pending. These are
        the only ones that can reach a user twice (sent, but the outcome was never recorded)."""
        cur = await self._write("UPDATE outbox SET status = 'pending', claimed_at = NULL "
                                "WHERE channel = ? AND status = 'inflight'", (channel,))
        return cur.rowcount

    async def outbox_totals(self, channel: str | None = None) -> dict[str, int]:
        where, params = ("WHERE channel = ?", (channel,)) if channel else ("", ())
        rows = await self._all(f"SELECT status, COUNT(*) FROM outbox {where} GROUP BY status", params)
        counts = {status: 0 for status in _PROGRESS}
        counts.update({status: n for status, n in rows})
        return counts

    async def outbox_outcomes(self, campaign_id: int | None = None) -> dict[str, int]:
        where, params = ("WHERE campaign_id = ?", (campaign_id,)) if campaign_id is not None else ("", ())
        rows = await self._all(f"SELECT COALESCE(outcome, status), COUNT(*) FROM outbox {where} GROUP BY 1", params)
        return {k: n for k, n in rows}
