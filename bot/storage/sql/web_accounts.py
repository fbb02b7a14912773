"""The admin console's login links, sessions and refused-link log (SqlWebAccounts), and the
audit log of admin writes (SqlAudit)."""

from __future__ import annotations

import json

from sqlalchemy import ColumnElement, delete, func, insert, or_, select, update

from bot.storage.ports import AuditEntry, LoginLink, WebSession
from bot.storage.sql.base import Repo
from bot.storage.tables import audit_log, web_login_failures, web_login_tokens, web_sessions

T = web_login_tokens.c
S = web_sessions.c
F = web_login_failures.c
L = audit_log.c


class SqlWebAccounts(Repo):
    async def add_login_token(self, token_hash: str, user: str, now: float, expires_at: float) -> None:
        await self.db.run(insert(web_login_tokens), {"token_hash": token_hash, "user_key": user, "created_at": now,
                                                     "expires_at": expires_at, "used_at": None})

    async def login_token(self, token_hash: str) -> LoginLink | None:
        row = (await self.db.run(select(T.user_key, T.expires_at, T.used_at)
                                 .where(T.token_hash == token_hash))).first()
        return None if row is None else LoginLink(row[0], row[1], row[2])

    async def use_login_token(self, token_hash: str, now: float) -> bool:
        result = await self.db.run(update(web_login_tokens)
                                   .where(T.token_hash == token_hash, T.used_at.is_(None), T.expires_at > now)
                                   .values(used_at=now))
        return result.rowcount == 1

    async def add_session(self, session_hash: str, user: str, now: float) -> None:
        await self.db.run(insert(web_sessions), {"session_hash": session_hash, "user_key": user, "created_at": now,
                                                 "last_seen": now})

    async def session(self, session_hash: str) -> WebSession | None:
        row = (await self.db.run(select(S.user_key, S.created_at, S.last_seen)
                                 .where(S.session_hash == session_hash))).first()
        return None if row is None else WebSession(row[0], row[1], row[2])

    async def touch_session(self, session_hash: str, now: float) -> None:
        await self.db.run(update(web_sessions).where(S.session_hash == session_hash, S.last_seen < now)
                          .values(last_seen=now))

    async def end_session(self, session_hash: str) -> bool:
        return (await self.db.run(delete(web_sessions).where(S.session_hash == session_hash))).rowcount == 1

    async def end_sessions_of(self, user: str) -> int:
        return (await self.db.run(delete(web_sessions).where(S.user_key == user))).rowcount

    async def add_login_failure(self, address: str, reason: str, now: float) -> None:
        await self.db.run(insert(web_login_failures), {"address": address, "reason": reason[:50], "at": now})

    async def login_failures(self, address: str, since: float) -> int:
        n = (await self.db.run(select(func.count()).select_from(web_login_failures)
                               .where(F.address == address, F.at >= since))).scalar()
        return int(n or 0)

    async def purge_web(self, now: float, idle_seconds: float, failure_window: float) -> int:
        deleted = (await self.db.run(delete(web_login_tokens).where(T.expires_at <= now))).rowcount
        deleted += (await self.db.run(delete(web_sessions).where(S.last_seen <= now - idle_seconds))).rowcount
        deleted += (await self.db.run(delete(web_login_failures).where(F.at < now - failure_window))).rowcount
        return deleted


def _loads(text: str | None):
    if text is None:
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return {"text": text}
    return value if isinstance(value, dict) else {"value": value}


class SqlAudit(Repo):
    async def add_audit(self, *, at: float, actor: str, action: str, target: str, unit_id: str | None,
                        before: str | None, after: str | None) -> int:
        result = await self.db.run(insert(audit_log).returning(L.id),
                                   {"at": at, "actor": actor, "action": action, "target": target,
                                    "unit_id": unit_id, "before": before, "after": after})
        return int(result.scalar())

    async def audit_entries(self, *, units: list[str] | None, offset: int, limit: int, action: str | None = None,
                            newest_first: bool = True, older_than: tuple[float, int] | None = None,
                            newer_than: tuple[float, int] | None = None,
                            count: bool = True) -> tuple[list[AuditEntry], int]:
        """A page of entries in (at, id) order (newest first unless `newest_first` is False).
        `older_than` / `newer_than` (at, id) start the page right after / before an entry the
        reader has seen (keyset paging: the database seeks to it through the `at` index instead of
        counting `offset` rows off). The total counts the whole filtered set (-1 without `count`:
        counting is most of a page's cost once the seek is cheap)."""
        where: list[ColumnElement[bool]] = []
        if units is not None:
            if not units:
                return [], 0
            where.append(L.unit_id.in_(units))
        if action:
            if action.endswith("."):
                where.append(or_(L.action.startswith(action, autoescape=True)))
            else:
                where.append(L.action == action)
        total = -1
        if count:
            total = int((await self.db.run(select(func.count()).select_from(audit_log).where(*where))).scalar() or 0)
        seek = []
        if older_than is not None:  # `at <=` bounds the index range, the OR settles ties on id
            seek += [L.at <= older_than[0], or_(L.at < older_than[0], L.id < older_than[1])]
        if newer_than is not None:
            seek += [L.at >= newer_than[0], or_(L.at > newer_than[0], L.id > newer_than[1])]
        order = (L.at.desc(), L.id.desc()) if newest_first else (L.at, L.id)
        rows = await self.db.run(select(L.id, L.at, L.actor, L.action, L.target, L.unit_id, L.before, L.after)
                                 .where(*where, *seek).order_by(*order).offset(offset).limit(limit))
        return [AuditEntry(r[0], r[1], r[2], r[3], r[4], r[5], _loads(r[6]), _loads(r[7])) for r in rows.rows], \
            total
