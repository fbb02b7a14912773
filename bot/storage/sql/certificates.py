"""Issued pass certificates: issue (once per passed attempt), look up by serial, list a
person's, revoke."""

from __future__ import annotations

from sqlalchemy import func, insert, or_, select, update

from bot.storage.ports import CertificateRecord
from bot.storage.sql.base import Repo
from bot.storage.tables import certificates

C = certificates.c
_COLUMNS = (C.id, C.serial, C.attempt_id, C.roster_id, C.user_key, C.exam_id, C.exam_title, C.name, C.unit_id,
            C.unit_name, C.score, C.max_score, C.issued_on, C.issued_at, C.counter, C.revoked_at, C.revoked_by,
            C.revoke_reason)


def _record(row) -> CertificateRecord:
    return CertificateRecord(*row)


class SqlCertificates(Repo):
    async def next_counter(self, roster_id: int, exam_id: str) -> int:
        n = (await self.db.run(select(func.count()).where(C.roster_id == roster_id, C.exam_id == exam_id))).scalar()
        return int(n or 0) + 1

    async def add_certificate(self, record: CertificateRecord) -> bool:
        """Insert; False (and nothing written) when this attempt already has a certificate."""
        if (await self.db.run(select(C.id).where(C.attempt_id == record.attempt_id))).first() is not None:
            return False
        values = {c.name: getattr(record, c.name) for c in _COLUMNS if c.name != "id"}
        await self.db.run(insert(certificates), values)
        return True

    async def certificate_by_serial(self, serial: str) -> CertificateRecord | None:
        row = (await self.db.run(select(*_COLUMNS).where(C.serial == serial))).first()
        return None if row is None else _record(row)

    async def certificate_of_attempt(self, attempt_id: int) -> CertificateRecord | None:
        row = (await self.db.run(select(*_COLUMNS).where(C.attempt_id == attempt_id))).first()
        return None if row is None else _record(row)

    async def certificates_of(self, roster_id: int | None, user: str) -> list[CertificateRecord]:
        """A person's certificates (by roster entry, or issued to this account), newest first."""
        who = C.user_key == user if roster_id is None else or_(C.roster_id == roster_id, C.user_key == user)
        rows = await self.db.run(select(*_COLUMNS).where(who).order_by(C.issued_at.desc(), C.id.desc()))
        return [_record(r) for r in rows.rows]

    async def revoke_certificate(self, serial: str, by: str, reason: str, now: float) -> bool:
        """Revoke a certificate not yet revoked; False when unknown or already revoked."""
        result = await self.db.run(update(certificates).where(C.serial == serial, C.revoked_at.is_(None))
                                   .values(revoked_at=now, revoked_by=by, revoke_reason=reason[:200]))
        return result.rowcount > 0
