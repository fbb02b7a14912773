"""The repository contract, the same tests on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio

import pytest

from bot.domain.models import PaperItem
from bot.domain.official_exam import WindowOverride
from bot.domain.study import ActivityRule
from bot.domain.units import RosterEntry, Unit
from bot.storage.ports import DeliveryRecord, OutboxRow
from bot.storage.sql.store import open_store


async def test_atomic_rolls_back_everything_on_error(store):
    with pytest.raises(RuntimeError):
        async with store.atomic():
            await store.practice.log_answer("u", "q1", True, 10, "random", 1.0)
            await store.reviews.put_wrong("u", "q1", 0, 1.0)
            raise RuntimeError("boom")
    assert await store.practice.answer_stats("u") == (0, 0)
    assert await store.reviews.wrong_entries("u") == []


async def test_users_sessions_and_update_keys(store):
    assert await store.updates.first_seen("tg:1", 1.0)
    assert not await store.updates.first_seen("tg:1", 2.0)
    await store.users.ensure_user("tg:7", 1.0)
    await store.users.ensure_user("tg:7", 2.0)
    await store.users.set_locale("tg:7", "en")
    await store.users.set_locale("tg:8", "zh")  # a user not seen before
    assert (await store.users.get_locale("tg:7"), await store.users.get_locale("tg:8")) == ("en", "zh")
    assert await store.users.reachable_users(["tg"]) == ["tg:7", "tg:8"]
    await store.sessions.set_state("tg:7", {"flow": "exam", "pos": 3, "名": "值"}, 1.0)
    assert await store.sessions.get_state("tg:7") == {"flow": "exam", "pos": 3, "名": "值"}
    await store.sessions.set_menu("wx:1", ["p:r", "x:go"], 1.0)
    assert await store.sessions.get_menu("wx:1") == ["p:r", "x:go"]
    await store.updates.forget_updates_before(1.5)
    assert await store.updates.first_seen("tg:1", 3.0)


async def test_attempt_answers_round_trip_and_finish_once(store, target):
    paper = [PaperItem("q1", (2, 0, 1), 2.0), PaperItem("q2", (0, 1), 1.0), PaperItem("f1", (), 1.0)]
    attempt = await store.attempts.create_attempt("u", "e", "mock", 0.0, 60.0, paper)
    await store.attempts.save_answer(attempt.id, 0, frozenset({1, 2}), 1.0)
    await store.attempts.save_answer(attempt.id, 1, frozenset({0}), 2.0)
    await store.attempts.save_answer(attempt.id, 1, frozenset(), 3.0)  # cleared again
    await store.attempts.save_answer(attempt.id, 2, ("民法典", "三年"), 3.0)  # typed answers are text
    other = await open_store(target)  # what another worker (or a restarted process) sees
    loaded = await other.attempts.get_attempt(attempt.id)
    assert loaded.paper == paper and loaded.answers == {0: frozenset({1, 2}), 2: ("民法典", "三年")}
    assert (await other.attempts.open_attempt_for("u")).id == attempt.id
    await other.close()
    assert await store.attempts.finish_attempt(attempt.id, "submitted", 5.0, 2.0, True)
    assert not await store.attempts.finish_attempt(attempt.id, "expired", 6.0, 0.0, False)
    assert (await store.attempts.get_attempt(attempt.id)).status == "submitted"
    assert await store.attempts.open_attempt_for("u") is None
    assert await store.attempts.attempts_of("u") == [(attempt.id, "e", "submitted", 2.0, 1)]
    assert await store.attempts.users_passed("e") == {"u"}
    assert await store.attempts.exam_week_stats(0.0, 10.0) == [("e", 1, 1, 1)]


async def test_expired_open_attempts_oldest_deadline_first(store):
    a = await store.attempts.create_attempt("u1", "e", "mock", 0.0, 50.0, [])
    b = await store.attempts.create_attempt("u2", "e", "mock", 0.0, 30.0, [])
    await store.attempts.create_attempt("u3", "e", "mock", 0.0, 500.0, [])
    assert await store.attempts.expired_open_attempts(100.0) == [b.id, a.id]
    assert await store.attempts.count_attempts("u1", "e") == 1


async def test_outbox_dedupes_and_tracks_outcomes(store):
    assert await store.outbox.enqueue("tg", "tg:1", {"text": "hi"}, "k1", 0.0)
    assert not await store.outbox.enqueue("tg", "tg:1", {"text": "hi again"}, "k1", 0.0)
    [message] = await store.outbox.due_messages("tg", 1.0, 10)
    await store.outbox.mark_retry(message.id, 100.0, "timeout")
    assert await store.outbox.due_messages("tg", 50.0, 10) == []
    [again] = await store.outbox.due_messages("tg", 100.0, 10)
    assert again.tries == 1
    await store.outbox.mark_sent(again.id, 101.0)
    assert await store.outbox.due_messages("tg", 1000.0, 10) == []


async def test_campaign_enqueue_claim_record_cancel(store):
    cid, created = await store.campaigns.create_campaign("bc:1", "broadcast", "tg:admin", 1.0, {"text": "x"}, "all")
    assert created and await store.campaigns.create_campaign("bc:1", "broadcast", None, 2.0) == (cid, False)
    rows = [OutboxRow("tg", f"tg:{i}", {"text": "x"}, f"bc:1:tg:{i}") for i in range(5)]
    assert await store.outbox.enqueue_many(cid, rows, 1.0) == 5
    assert await store.outbox.enqueue_many(cid, rows[:2] + [OutboxRow("tg", "tg:9", {}, "bc:1:tg:9")], 1.0) == 1
    assert (await store.campaigns.get_campaign(cid)).total == 6
    claimed = await store.outbox.claim_outbox("tg", 2.0, 2)
    assert [m.user_key for m in claimed] == ["tg:0", "tg:1"]
    await store.outbox.record_deliveries([
        DeliveryRecord(claimed[0].id, "tg:0", "sent", "sent", 3.0),
        DeliveryRecord(claimed[1].id, "tg:1", "failed", "blocked", 3.0, error="Forbidden")])
    assert await store.campaigns.cancel_campaign(cid, 4.0) == 4
    progress = await store.campaigns.campaign_progress(cid)
    assert (progress["sent"], progress["failed"], progress["cancelled"], progress["pending"]) == (1, 1, 4, 0)
    assert await store.outbox.outbox_outcomes(cid) == {"sent": 1, "blocked": 1, "cancelled": 4}
    assert await store.outbox.sent_at("bc:1:tg:0") == 3.0  # delivered
    assert await store.outbox.sent_at("bc:1:tg:1") is None and await store.outbox.sent_at("nope") is None
    assert [c.id for c in await store.campaigns.recent_campaigns("broadcast", "tg:admin")] == [cid]


async def test_blocked_users_are_marked_and_reachable_again(store):
    await store.users.ensure_user("tg:1", 1.0)
    await store.outbox.enqueue("tg", "tg:1", {}, "k", 1.0)
    [m] = await store.outbox.claim_outbox("tg", 2.0, 10)
    await store.outbox.record_deliveries([DeliveryRecord(m.id, "tg:1", "failed", "blocked", 3.0)])
    assert await store.users.is_blocked("tg:1") and await store.users.blocked_among(["tg:1", "tg:2"]) == ["tg:1"]
    await store.users.mark_reachable("tg:1")
    assert not await store.users.is_blocked("tg:1")


async def test_claims_of_concurrent_senders_never_overlap(store):
    await store.outbox.enqueue_many(None, [OutboxRow("tg", f"tg:{i}", {}, f"k{i}") for i in range(60)], 1.0)
    batches = await asyncio.gather(*(store.outbox.claim_outbox("tg", 2.0, 7) for _ in range(10)))
    ids = [m.id for batch in batches for m in batch]
    assert len(ids) == len(set(ids)) == 60
    assert await store.outbox.release_inflight("tg") == 60


async def test_reviews_notebook_and_progress(store):
    await store.reviews.put_wrong("u", "q1", 1, 1.0)
    await store.reviews.add_missed("u", ["q1", "q2"], 2.0)
    assert {(e.question_id, e.streak) for e in await store.reviews.wrong_entries("u")} == {("q1", 1), ("q2", 0)}
    await store.reviews.put_cards("u", [("q1", "{}", 5.0), ("q2", "{}", 6.0)])
    await store.reviews.put_cards("u", [("q2", '{"x":1}', 7.0)])
    assert await store.reviews.cards_for("u", ["q1", "q2", "q3"]) == {"q1": "{}", "q2": '{"x":1}'}
    assert await store.reviews.due_cards("u", 6.5, 10) == ["q1"] and await store.reviews.count_due("u", 7.0) == 2
    await store.reviews.remove_wrong("u", "q1")
    assert await store.reviews.get_wrong("u", "q1") is None
    await store.practice.set_progress("u", "law:民法典", 4)
    await store.practice.set_progress("u", "law:民法典", 5)
    assert await store.practice.get_progress("u", "law:民法典") == 5


async def test_roster_bindings_codes_admins_windows(store):
    await store.roster.upsert_units([Unit("city", "市"), Unit("a", "甲局", "city", 1)])
    assert {u.id for u in await store.roster.all_units()} == {"city", "a"}
    entries = [RosterEntry(id=0, staff_no=f"S{i}", name=f"人{i}", unit_id="a") for i in range(3)]
    assert await store.roster.upsert_roster(entries, 1.0) == (3, 0, 0)
    assert await store.roster.upsert_roster(entries[:2], 2.0, replace=True) == (0, 2, 1)
    assert await store.roster.roster_count() == 2
    entry = await store.roster.roster_by_staff_no("S1")
    assert await store.roster.bind(entry.id, "tg", "tg:1", 3.0)
    assert not await store.roster.bind(entry.id, "tg", "tg:2", 3.0)  # the slot is taken
    assert (await store.roster.roster_of("tg:1")).staff_no == "S1"
    assert await store.roster.roster_of("tg:2") is None and await store.roster.roster_of("tg:1x") is None
    assert await store.roster.create_bind_code("ABC", entry.id, "tg:admin", 1.0, 100.0)
    assert not await store.roster.create_bind_code("ABC", entry.id, "tg:admin", 1.0, 100.0)
    assert await store.roster.use_bind_code("ABC", "wx:1", 200.0) is None  # expired
    assert await store.roster.create_bind_code("DEF", entry.id, "tg:admin", 1.0, 100.0)
    results = await asyncio.gather(*(store.roster.use_bind_code("DEF", f"wx:{i}", 5.0) for i in range(4)))
    assert results.count(entry.id) == 1 and results.count(None) == 3  # used once
    assert await store.roster.unbind(entry.id, "tg") == 1
    await store.admins.set_admin("tg:boss", None, "config", 1.0)
    await store.admins.set_admin("tg:a", "a", "tg:boss", 1.0)
    assert await store.admins.list_admins() == [("tg:a", "a"), ("tg:boss", None)]
    assert await store.admins.admin_scope("tg:a") == (True, "a")
    assert await store.admins.remove_admin("tg:a") and not await store.admins.remove_admin("tg:a")
    await store.admins.log_admin("tg:boss", "grant", "x" * 600, 1.0)
    await store.windows.set_window("xuefa", WindowOverride(opens=10.0, closes=20.0), "tg:boss", 1.0)
    await store.windows.set_window("xuefa", WindowOverride(closes=30.0), "tg:boss", 2.0)
    assert await store.windows.window_override("xuefa") == WindowOverride(10.0, 30.0, None, None)
    assert await store.windows.window_override("kemu1") is None


async def test_study_credit_and_statistics(store):
    await store.roster.upsert_units([Unit("a", "甲局")])
    await store.roster.upsert_roster([RosterEntry(id=0, staff_no=s, name=s, unit_id="a", role="科员")
                                      for s in ("S1", "S2", "S3")], 1.0)
    s1, s2 = await store.roster.roster_by_staff_no("S1"), await store.roster.roster_by_staff_no("S2")
    await store.roster.bind(s1.id, "tg", "tg:1", 1.0)
    await store.roster.bind(s2.id, "tg", "tg:2", 1.0)
    day = 20_000 * 86400.0
    await store.practice.log_answers([("tg:1", f"q{i}", True, 100, "random", None, day + i) for i in range(7)])
    await store.practice.log_answer("tg:1", "q9", True, 100, "daily", day + 10)
    await store.activity.log_activity("tg:2", "case_read", "c1", day + 5)
    rules = {"practice": ActivityRule(1, 5), "daily": ActivityRule(2, 0), "case_read": ActivityRule(3, 0)}
    await store.study.refresh_study(8 * 3600, rules)
    await store.study.refresh_study(8 * 3600, rules)  # nothing new: nothing changes
    assert await store.study.study_days_of(["tg:1"]) == [(20_000, "daily", 1, 2), (20_000, "practice", 7, 5)]
    for score, passed, pos in ((70.0, 0, "regular"), (90.0, 1, "makeup")):
        a = await store.attempts.create_attempt("tg:1", "xuefa", "official", day, day + 60, [])
        await store.attempts.tag_attempt(a.id, s1.id, "a", pos)
        await store.attempts.finish_attempt(a.id, "submitted", day + 30, score, bool(passed))
    late = await store.attempts.create_attempt("tg:1", "xuefa", "official", day + 100, day + 160, [])
    await store.attempts.tag_attempt(late.id, s1.id, "a", "makeup")
    await store.attempts.finish_attempt(late.id, "submitted", day + 130, 60.0, False)
    best = {p.staff_no: p for p in await store.stats.person_rows("xuefa")}
    assert (best["S1"].attempts, best["S1"].score, best["S1"].passed, best["S1"].study_points) == (3, 90.0, True, 7)
    assert (best["S2"].registered, best["S2"].study_points, best["S3"].registered) == (True, 3, False)
    last = {p.staff_no: p for p in await store.stats.person_rows("xuefa", "last")}
    assert (last["S1"].score, last["S1"].passed) == (60.0, False)
    counts = await store.stats.unit_counts("xuefa", "best", 0, 5)
    assert counts["roster"] == [("a", "科员", 3)] and counts["registered"] == [("a", "科员", 2)]
    assert counts["studied"] == [("a", "科员", 1)] and counts["results"] == [("a", "科员", 90.0, 1, 1)]
    assert sorted(await store.attempts.official_record(s1.id)) == [("xuefa", 0), ("xuefa", 0), ("xuefa", 1)]
    before = await store.stats.stats_fingerprint()
    await store.roster.bind(s1.id, "wx", "wx:1", 2.0)
    assert await store.stats.stats_fingerprint() != before
    await store.stats.save_snapshot("2024-10-01", "xuefa", [("a", 3, 2, 1, 1, 1)], 1.0)
    await store.stats.save_snapshot("2024-10-01", "xuefa", [("a", 3, 2, 2, 1, 1)], 2.0)  # replaced
    assert await store.stats.snapshots("xuefa", "a") == [("2024-10-01", 3, 2, 2, 1, 1)]


async def test_item_sums_fold_incrementally(store):
    a = await store.attempts.create_attempt("u", "e", "mock", 0.0, 60.0, [])
    await store.attempts.finish_attempt(a.id, "submitted", 5.0, 80.0, True)
    await store.practice.log_answers([("u", "q1", True, 1, "exam", a.id, 5.0), ("u", "q2", False, 1, "exam", a.id, 5.0)])
    first = await store.stats.item_sums("e")
    assert [(s.question_id, s.n, s.n_correct, s.sum_score) for s in first] == [("q1", 1, 1, 80.0), ("q2", 1, 0, 80.0)]
    b = await store.attempts.create_attempt("v", "e", "mock", 0.0, 60.0, [])
    await store.attempts.finish_attempt(b.id, "submitted", 6.0, 50.0, False)
    await store.practice.log_answer("v", "q1", True, 1, "exam", 6.0, attempt_id=b.id)
    [q1, _] = await store.stats.item_sums("e")
    assert (q1.n, q1.n_correct, q1.sum_score, q1.sum_sq_score, q1.sum_score_correct) == (2, 2, 130.0, 8900.0, 130.0)


async def test_reminders_jobs_uploads_gaps(store):
    await store.reminders.set_reminder("tg:1", True, 480, None, 1.0)
    await store.reminders.set_reminder("tg:2", True, 490, "Asia/Urumqi", 1.0)
    await store.reminders.set_reminder("tg:3", False, 480, None, 1.0)
    assert sorted(await store.reminders.reminder_zones(), key=str) == ["Asia/Urumqi", None]
    assert await store.reminders.daily_candidates(None, "2024-10-01", 470, 500) == ["tg:1"]
    await store.reminders.mark_daily(["tg:1"], "2024-10-01")
    assert await store.reminders.daily_candidates(None, "2024-10-01", 470, 500) == []
    assert (await store.reminders.get_reminder("tg:1")).last_daily == "2024-10-01"
    assert await store.reminders.reminder_flags() == {"tg:1": True, "tg:2": True, "tg:3": False}
    assert await store.jobs.last_fire("daily") is None
    await store.jobs.record_fire("daily", 100.0, 101.0, "ok")
    await store.jobs.record_fire("daily", 200.0, 201.0, "ok")
    assert await store.jobs.last_fire("daily") == 200.0
    first = await store.uploads.save_upload("tg:1", "a.xlsx", b"\x00\x01", 1.0, 0.0)
    second = await store.uploads.save_upload("tg:1", "b.xlsx", b"\x02", 2.0, 0.0)  # replaces the first
    assert await store.uploads.get_upload(first, "tg:1") is None
    assert (await store.uploads.get_upload(second, "tg:1")).data == b"\x02"
    assert await store.uploads.get_upload(second, "tg:2") is None
    assert await store.uploads.drop_upload(second) and not await store.uploads.drop_upload(second)
    for user, reason in (("u1", "unsure"), ("u2", "none_of_these"), ("u1", "unsure")):
        await store.gaps.log_gap(user, "公积金提取", reason, "guide:x", 5.0)
    await store.gaps.log_gap("u1", "别的", "unsure", "", 6.0)
    [top, other] = await store.gaps.top_gaps()
    assert (top.query, top.count, top.users, top.rejected, top.last_at) == ("公积金提取", 3, 2, 1, 5.0)
    assert other.query == "别的"
