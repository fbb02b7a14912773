"""Outbox claims by several workers (separate connections to one database): each row goes to one
claimant, a live lease is respected, an expired one is claimed again, and only the holder's
record counts. The same tests on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio

from bot.storage.ports import DeliveryRecord, OutboxRow
from bot.storage.sql.store import open_store


async def test_two_workers_claim_disjoint_rows_and_take_over_an_expired_lease(store, target):
    other = await open_store(target)
    try:
        await store.outbox.enqueue_many(None, [OutboxRow("tg", f"tg:{i}", {}, f"k{i}") for i in range(80)], 1.0)
        stores = [store, other] * 5
        batches = await asyncio.gather(*(s.outbox.claim_outbox("tg", 2.0, 9, owner=f"w{n % 2}", lease_seconds=30)
                                         for n, s in enumerate(stores)))
        ids = [m.id for batch in batches for m in batch]
        assert len(ids) == len(set(ids)) and len(ids) == 80
        assert not any(m.reclaimed for batch in batches for m in batch)
        w0 = [m for n, batch in enumerate(batches) if n % 2 == 0 for m in batch]
        # w1 is alive and renews; w0 died: after 31 s only w0's rows are free again
        assert await other.outbox.renew_leases("tg", "w1", 40.0) == 80 - len(w0)
        assert await store.outbox.claim_outbox("tg", 20.0, 100, owner="w2") == []
        assert await store.outbox.expired_leases("tg", 33.0) == len(w0)
        again = await other.outbox.claim_outbox("tg", 33.0, 100, owner="w2")
        assert sorted(m.id for m in again) == sorted(m.id for m in w0) and all(m.reclaimed for m in again)
        # w0's late record changes nothing; w2's does
        await store.outbox.record_deliveries([DeliveryRecord(m.id, m.user_key, "sent", "sent", 34.0) for m in w0],
                                             owner="w0")
        assert (await store.outbox.outbox_totals("tg"))["sent"] == 0
        await other.outbox.record_deliveries([DeliveryRecord(m.id, m.user_key, "sent", "sent", 34.0)
                                              for m in again], owner="w2")
        assert (await store.outbox.outbox_totals("tg"))["sent"] == len(w0)
    finally:
        await other.close()
