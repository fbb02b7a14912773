"""The certificates repository, the same tests on SQLite and on PostgreSQL."""

from __future__ import annotations

from dataclasses import replace

from bot.domain import certificate as cert
from bot.storage.ports import CertificateRecord

KEY = b"k" * 32


def _record(attempt_id: int, counter: int = 1, roster_id: int = 7, user: str = "tg:1") -> CertificateRecord:
    facts = cert.CertFacts(roster_id, "xuefa", 92.5, "2026-01-10", counter, "张三明", "u1")
    return CertificateRecord(None, cert.make_serial(KEY, facts), attempt_id, roster_id, user, "xuefa", "学法考试",
                             "张三明", "u1", "示例局", 92.5, 100.0, "2026-01-10", 1_768_000_000.0 + attempt_id, counter)


async def test_issue_once_per_attempt_find_list_and_revoke(store):
    first = _record(11)
    assert await store.certificates.next_counter(7, "xuefa") == 1
    assert await store.certificates.add_certificate(first)
    assert not await store.certificates.add_certificate(replace(first, serial="AAAA-AAAA-AAAA-AAAA"))
    assert await store.certificates.next_counter(7, "xuefa") == 2
    found = await store.certificates.certificate_by_serial(first.serial)
    assert found is not None and found.id is not None
    assert replace(found, id=None) == first  # every fact comes back as stored (floats, Chinese text)
    assert (await store.certificates.certificate_of_attempt(11)).serial == first.serial
    assert await store.certificates.certificate_by_serial("AAAA-AAAA-AAAA-AAAA") is None

    second = _record(12, counter=2)
    other = _record(13, roster_id=8, user="wx:2")
    assert await store.certificates.add_certificate(second) and await store.certificates.add_certificate(other)
    mine = await store.certificates.certificates_of(7, "cli:x")
    assert [c.attempt_id for c in mine] == [12, 11]  # newest first, found by roster entry
    assert [c.attempt_id for c in await store.certificates.certificates_of(None, "wx:2")] == [13]

    assert await store.certificates.revoke_certificate(first.serial, "cli:admin", "成绩作废", 5.0)
    assert not await store.certificates.revoke_certificate(first.serial, "cli:admin", "again", 6.0)
    assert not await store.certificates.revoke_certificate("AAAA-AAAA-AAAA-AAAA", "cli:admin", "", 6.0)
    revoked = await store.certificates.certificate_by_serial(first.serial)
    assert (revoked.revoked_at, revoked.revoked_by, revoked.revoke_reason) == (5.0, "cli:admin", "成绩作废")
    assert (await store.certificates.certificate_by_serial(second.serial)).revoked_at is None
