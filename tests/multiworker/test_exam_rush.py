"""Three `lawbot run` workers on one PostgreSQL database, as behind a load balancer: 300 users sit
the 50-question mock exam over WeChat callbacks (plain mode), each request posted to a random
worker, while the leader sends a broadcast through the outbox to a loopback fake of the WeChat
message API. Half-way the leader is SIGKILLed (the requests it holds fail and are posted again to
another worker with the same MsgId, as WeChat retries) and started again.

Checked afterwards: every answer stored once and every attempt graded once with the score its
answers earn; every screen a user saw was their own (their question number and their paper's
question); the outbox lost nothing and sent at most one in-flight batch twice; each scheduler
fire was recorded once, by one leader at a time, and another worker took over within 15 s."""

from __future__ import annotations

import asyncio
import itertools
import json
import random
import re
import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime

import aiohttp
import yaml

from bot.clock import SystemClock
from bot.domain.models import LETTERS
from bot.storage.ports import OutboxRow
from bot.storage.sql.store import open_store
from tests.multiworker.processes import Process, free_port, wait_healthy, write_config
from tests.support import pg
from tests.support.fake_wechat_api import FakeWeChatApi
from tests.support.transcript import REPO
from tests.support.wechat_peer import WeChatPeer, number_of

USERS = 300
BROADCAST = 400
BATCH = 20  # the outbox's claim window: what a killed leader may leave in flight
LEASE = 8.0
QUESTIONS = 12
TITLE = "多进程压力测试模拟考试"
NOT_TAKEN = "刚才的回复没有作答"  # the bot did not take a typed answer (the paper was not on screen) and said so
retyped: list[tuple[str, int]] = []  # answers refused as not on screen: each one fails the test
LATER = "正在处理，结果稍后发送给您"  # WeChat's 5-second budget ran out: the answer follows via the API
DIED = "(the turn died with the SIGKILLed worker)"  # Cluster.settled: no answer will come
PAPER = f"/{QUESTIONS} 题"  # a screen of the paper: 第 n/12 题
RUSH_EXAM = """id: rush
title: {zh: 多进程压力测试模拟考试, en: Multi-worker rush mock exam}
time_limit_minutes: 30
pass_mark: 60
attempts_allowed: 0
blueprint:
  - {type: single, count: 5, points: 8}
  - {type: multiple, count: 3, points: 10}
  - {type: judge, count: 4, points: 7.5}
"""


def content_root(tmp_path):
    """The shipped content plus one short mock exam (the bank and texts are shared, read-only)."""
    root = tmp_path / "content-root"
    (root / "quizzes" / "exams").mkdir(parents=True)
    (root / "content").symlink_to(REPO / "content")
    (root / "quizzes" / "bank").symlink_to(REPO / "quizzes" / "bank")
    for exam in (REPO / "quizzes" / "exams").glob("*.yaml"):
        (root / "quizzes" / "exams" / exam.name).write_bytes(exam.read_bytes())
    (root / "quizzes" / "exams" / "rush.yaml").write_text(RUSH_EXAM, encoding="utf-8")
    return root


@dataclass(frozen=True)
class Key:
    type: str
    stem: str
    answer: frozenset[int]  # original option indexes; judge: 0 = 对 (true), 1 = 错
    options: int


def answer_key() -> dict[str, Key]:
    """The choice questions of the bank by id, read straight from the bank files with libyaml
    (an oracle independent of the bot's loader, and quick)."""
    keys = {}
    for path in sorted((REPO / "quizzes" / "bank").glob("*.yaml")):
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader) or {}
        for q in data.get("questions") or []:
            kind, answer = q.get("type"), q.get("answer")
            if kind == "judge":
                keys[q["id"]] = Key(kind, q["stem"], frozenset({0 if answer is True else 1}), 2)
            elif kind in ("single", "multiple"):
                keys[q["id"]] = Key(kind, q["stem"], frozenset("ABCDEFGH".index(c) for c in str(answer)),
                                    len(q["options"]))
    return keys


class Cluster:
    def __init__(self, tmp_path, session, configs):
        self.session = session
        self.workers = [Process(tmp_path, f"w{i}", c) for i, c in enumerate(configs)]
        self.ports = {w.name: int(re.search(r"port: (\d+)", c.read_text()).group(1)) for w, c in zip(self.workers, configs, strict=True)}
        self.down: set[str] = set()
        self.peers = {w.name: WeChatPeer(session, f"http://127.0.0.1:{self.ports[w.name]}/wechat", SystemClock())
                      for w in self.workers}
        self.requests = 0
        self.retried = 0
        self.late = 0  # replies that came as WeChat's "working on it" note (the answer followed via the API)
        self.last: dict[str, tuple[int, str, float]] = {}  # user -> (MsgId, worker, time) of their last post
        self.killed: dict[str, float] = {}  # worker -> when it was last SIGKILLed

    def up(self) -> list[str]:
        return [w.name for w in self.workers if w.name not in self.down]

    async def say(self, user: str, text: str) -> str | None:
        """Post one message to a random worker; a failed post goes to another worker with the same
        MsgId (WeChat's retry). None: no content (the message was a duplicate of one processed)."""
        peer = self.peers[random.choice(self.up())]
        msg_id = peer.next_msg_id() + random.randrange(10**9) * 1000
        xml = peer.text_xml(user, text, msg_id)
        for _attempt in range(40):
            self.requests += 1
            sent = time.monotonic()
            try:
                answer = await peer.post(xml)
            except (TimeoutError, aiohttp.ClientError, OSError):
                answer = None
            transcript.setdefault(user, []).append(
                (round(sent - T0, 2), round(time.monotonic() - T0, 2), peer.url.rsplit(":", 1)[-1][:5], text,
                 None if answer is None else answer.status,
                 None if answer is None or answer.content is None else answer.content[:40].replace("\n", " ")))
            if answer is not None and answer.status == 200:
                self.last[user] = (msg_id, peer.url, time.monotonic())
                return answer.content
            self.retried += 1
            await asyncio.sleep(0.2)
            peer = self.peers[random.choice(self.up())]
        raise AssertionError(f"{user}: {text!r} never answered")

    async def settled(self, store, user: str, text: str) -> str | None:
        """say(); when the reply is WeChat's "working on it" note, the turn is still running (on
        any worker), so a person waits for the answer itself before typing on: a message typed
        meanwhile may reach another worker and be handled before that turn. The answer is what
        the worker queued for the message API once the turn was done (read from the outbox, as it
        may wait there behind the broadcast). None when the reply was empty (a retry of a message
        already handled) or the finished turn had nothing to say; DIED when the turn died with its
        worker (SIGKILLed after the note: PostgreSQL applied it if its COMMIT had been sent)."""
        content = await self.say(user, text)
        if content is None or LATER not in content:
            return content
        self.late += 1
        msg_id, url, at = self.last[user]
        dedupe = f"wx:{msg_id}:late:0"  # the adapter's key for the first message of a late answer
        worker = next(name for name, peer in self.peers.items() if peer.url == url)
        deadline = time.monotonic() + 240
        handled_at = None
        while time.monotonic() < deadline:
            rows = await _rows(store, f"SELECT payload FROM outbox WHERE dedupe_key = '{dedupe}'")
            if rows:
                return json.loads(rows[0][0])["text"]
            killed = self.killed.get(worker, 0)
            if killed > at:
                await asyncio.sleep(max(0.0, killed + 2 - time.monotonic()))  # its sessions ended
                return DIED
            if handled_at is None and await _rows(store, f"SELECT 1 FROM processed_updates WHERE key = 'wx:{msg_id}'"):
                handled_at = time.monotonic()  # committed; the reply is queued right after
            if handled_at is not None and time.monotonic() - handled_at > 20:
                return None  # a turn with nothing to send
            await asyncio.sleep(0.2)
        raise AssertionError(f"{user}: the turn of {text!r} (MsgId {msg_id}, {worker}) never ended: "
                             f"{transcript.get(user, [])[-6:]}")


def _letters(catalog, attempt, wrong: int) -> list[str]:
    """What to type for each question: the right answer except for the first `wrong` ones."""
    out = []
    for pos, item in enumerate(attempt.paper):
        q = catalog[item.qid]
        answer = q.answer if pos >= wrong else frozenset({next(i for i in range(q.options) if i not in q.answer)})
        if q.type == "judge":
            out.append("对" if 0 in answer else "错")
        else:
            out.append("".join(LETTERS[item.order.index(i)] for i in sorted(answer)))
    return out


T0 = time.monotonic()
transcript: dict[str, list] = {}  # every post of each user: (sent, answered, worker port, text, status, reply)
submitted: dict[str, str | None] = {}
replies: dict[str, list[tuple[int, str, str]]] = {}  # what each user was told after each answer (diagnostics)


async def _sit(cluster: Cluster, store, catalog, n: int, seen: list) -> None:
    """One user: open the exam, type each answer for the question on screen, hand in. Like a
    careful person: after WeChat's "working on it" note, wait for the answer itself (Cluster.settled);
    after a reply that did not come (a retry of a message handled by the killed worker), wait until
    the answer was stored, or open the menu again when the paper may not be on screen."""
    user = f"oRush{n:05d}"
    key = f"wx:{user}"
    attempt = None
    content = None
    on_paper = False  # the last reply this user got (or lost with a retry) put the paper on screen
    for _ in range(40):  # open the exam (again, if a reply was lost to the killed worker)
        attempt = await store.attempts.open_attempt_for(key)
        if attempt is not None and on_paper:
            break
        menu = await cluster.settled(store, user, "考试")
        on_paper = False
        if menu and "继续考试" in menu:  # opened by a turn whose reply was lost: bring the paper back
            content = await cluster.settled(store, user, number_of(menu, "继续考试"))
            on_paper = content is None or PAPER in content
            continue
        if not menu or TITLE not in menu:
            await asyncio.sleep(0.2)
            continue
        paper = await cluster.settled(store, user, number_of(menu, TITLE))
        if paper and "开始考试" in paper:
            content = await cluster.settled(store, user, number_of(paper, "开始考试"))
            on_paper = content is None or PAPER in content
        else:
            await asyncio.sleep(0.2)
    assert attempt is not None and on_paper, (user, transcript.get(user))
    letters = _letters(catalog, attempt, wrong=n % 4)
    for pos, typed in enumerate(letters):
        if content is None:  # the previous reply was lost (its turn was handled): wait until it was taken
            assert await _wait(lambda pos=pos: _answered(store, attempt.id, pos), 60), (user, pos)
        else:  # the screen this user was shown: their question number, of their own paper
            stem = catalog[attempt.paper[pos].qid].stem
            seen.append((user, pos, f"第 {pos + 1}/{QUESTIONS} 题" in content,
                         "".join(stem.split())[:12] in "".join(content.split()), content[:80]))
        content = await cluster.settled(store, user, typed)
        while content == DIED and not await _answered(store, attempt.id, pos + 1):  # no answer came: type it again
            content = await cluster.settled(store, user, typed)
        if content == DIED:  # taken before its worker died, the reply lost
            content = None
        replies.setdefault(user, []).append((pos, typed, (content or "")[:60]))
        if content is not None and NOT_TAKEN in content:  # a stale state: counted (the test fails), typed again
            retyped.append((user, pos))
            content = await cluster.settled(store, user, typed)
            replies[user].append((pos, typed, (content or "")[:60]))
    if content is None:
        assert await _wait(lambda: _answered(store, attempt.id, QUESTIONS), 60), (user, "last")
    submitted[user] = await cluster.say(user, "交卷")


async def _answered(store, attempt_id: int, count: int) -> bool:
    return await _count(store, f"SELECT count(*) FROM attempt_answers WHERE attempt_id = {int(attempt_id)}") >= count


async def _wait(predicate, timeout: float, step: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = await predicate()
        if value:
            return value
        await asyncio.sleep(step)
    return await predicate()


def _log_time(line: str) -> float:
    return datetime.strptime(line[:23], "%Y-%m-%d %H:%M:%S,%f").timestamp()


async def test_three_workers_one_killed_mid_rush(tmp_path):
    pg.require()
    url = pg.create_database()
    api = FakeWeChatApi()
    await api.start()
    store = await open_store(url)  # the schema, once, before the workers start
    cluster = None
    started = time.monotonic()
    try:
        settings = {"scheduler": {"outbox": {"global_rate": 40, "per_chat_rate": 1, "batch": BATCH,
                                             "lease_seconds": LEASE, "backoff_base_seconds": 0.2}}}
        root = content_root(tmp_path)
        configs = [write_config(tmp_path, f"w{i}", free_port(), database_url=url, api_url=api.base_url,
                                content_root=str(root), **settings) for i in range(3)]
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
            cluster = Cluster(tmp_path, session, configs)
            for w in cluster.workers:
                w.start()
            catalog = await asyncio.to_thread(answer_key)
            for w in cluster.workers:
                await wait_healthy(session, f"http://127.0.0.1:{cluster.ports[w.name]}", w, timeout=150)
            booted = time.monotonic() - started
            print(f"\nworkers up after {booted:.0f} s", flush=True)
            leader = await _wait(lambda: _leader(cluster), 20)
            assert leader, "no leader elected"
            broadcast = [OutboxRow("wx", f"wx:oBc{i:05d}", {"text": f"学法通知 {i}"}, f"rush-bc:{i}")
                         for i in range(BROADCAST)]
            cid, _ = await store.campaigns.create_campaign("rush-bc", "broadcast", None, time.time())
            await store.outbox.enqueue_many(cid, broadcast, time.time())

            seen: list = []
            rush_started = time.monotonic()
            sitting = [asyncio.create_task(_sit(cluster, store, catalog, n, seen)) for n in range(USERS)]

            # half-way through the answers and the broadcast: SIGKILL the leader, start it again
            async def halfway():
                answers = await _count(store, "SELECT count(*) FROM attempt_answers")
                return answers >= USERS * QUESTIONS // 2 and len(api.sent) >= BROADCAST // 4
            await _wait(halfway, 120, 0.2)
            print(f"half-way after {time.monotonic() - rush_started:.0f} s", flush=True)
            victim = next(w for w in cluster.workers if w.name == leader)
            cluster.down.add(victim.name)
            killed_at = time.time()
            victim.kill()
            cluster.killed[victim.name] = time.monotonic()
            sent_at_kill = len(api.sent)
            retried_at_kill = cluster.retried
            for _ in range(40):  # down until the others have taken a retried post (at most 2 s)
                if cluster.retried > retried_at_kill:
                    break
                await asyncio.sleep(0.05)
            victim.start()
            await wait_healthy(session, f"http://127.0.0.1:{cluster.ports[victim.name]}", victim, timeout=300)  # starts while the rush runs
            cluster.down.discard(victim.name)

            print(f"victim back after {time.monotonic() - rush_started:.0f} s", flush=True)
            await asyncio.gather(*sitting)
            rush = time.monotonic() - rush_started
            print(f"rush done after {rush:.0f} s", flush=True)

            async def graded():
                return await _count(store, "SELECT count(*) FROM attempts WHERE status = 'submitted'") == USERS
            if not await _wait(graded, 60):
                stuck = await _rows(store, "SELECT a.user_key, count(b.pos) FROM attempts a LEFT JOIN attempt_answers b "
                                           "ON b.attempt_id = a.id WHERE a.status = 'open' GROUP BY a.user_key")
                users = [u for u, _n in stuck[:5]]
                logged = [line for w in cluster.workers for line in w.output().splitlines()
                          if "ERROR" in line or "Traceback" in line or any(u in line for u in users)]
                raise AssertionError(f"not graded: {[(u, n, submitted.get(u[3:])) for u, n in stuck[:5]]}\n"
                                     f"replies: {[replies.get(u[3:]) for u in users]}\n" + "\n".join(logged[:60]))

            async def drained():
                totals = await store.outbox.outbox_totals("wx")
                return totals["pending"] == 0 and totals["inflight"] == 0
            assert await _wait(drained, 90), await store.outbox.outbox_totals("wx")
            outputs = {w.name: w.output() for w in cluster.workers}
            for w in cluster.workers:
                assert w.stop() == 0, w.output()[-3000:]
    finally:
        if cluster is not None:
            for w in cluster.workers:
                if w.proc is not None and w.proc.poll() is None:
                    w.proc.kill()
        await api.stop()

    try:
        # every answer stored once, every attempt graded once with what its answers earn
        rows = (await _rows(store,
            "SELECT a.user_key, a.status, a.score, count(b.pos), count(DISTINCT b.pos) FROM attempts a "
            "LEFT JOIN attempt_answers b ON b.attempt_id = a.id GROUP BY a.id, a.user_key, a.status, a.score"))
        assert len(rows) == USERS and len({r[0] for r in rows}) == USERS  # one attempt each
        assert all(r[1] == "submitted" and r[3] == QUESTIONS == r[4] for r in rows), rows[:3]
        scores = {r[0]: r[2] for r in rows}
        full = max(scores.values())
        for n in range(USERS):
            wrong = n % 4
            assert scores[f"wx:oRush{n:05d}"] < full or wrong == 0
        assert len({scores[f"wx:oRush{n:05d}"] for n in range(0, USERS, 4)}) == 1  # all right: one score
        logged = {u: (n, right) for u, n, right in await _rows(
            store, "SELECT user_key, count(*), sum(correct) FROM answer_log WHERE mode = 'exam' GROUP BY user_key")}
        for n in range(USERS):  # graded once (50 log rows each), right as often as answered right
            assert logged[f"wx:oRush{n:05d}"] == (QUESTIONS, QUESTIONS - n % 4), (n, logged[f"wx:oRush{n:05d}"])
        # every typed answer was taken: a turn that read a stale state (no paper on screen) fails here
        assert not retyped, "\n".join(f"{u} at {pos}: {transcript.get(u, [])[:14]}" for u, pos in retyped[:3])
        # each user saw only their own screens
        assert len(seen) > USERS * QUESTIONS * 0.7  # the rest: answered late, or lost with the killed worker
        assert all(s[2] and s[3] for s in seen), [s for s in seen if not (s[2] and s[3])][:5]

        # the outbox: nothing lost; re-sent at most the killed leader's in-flight window
        outcomes = await store.outbox.outbox_outcomes()
        assert set(outcomes) == {"sent"}, outcomes
        rows = await _rows(store, "SELECT user_key, payload FROM outbox WHERE channel = 'wx'")
        expected = Counter((u.removeprefix("wx:"), json.loads(p)["text"]) for u, p in rows)
        delivered = Counter(api.sent)
        assert not expected - delivered, "lost messages"
        duplicates = sum((delivered - expected).values())
        assert not set(delivered) - set(expected)
        assert duplicates <= BATCH, duplicates

        # leadership and the scheduler
        lines = [line for out in outputs.values() for line in out.splitlines()]
        leaders = sorted((_log_time(line), line) for line in lines if "is the leader" in line)
        stepped_down = sum("lost the leadership" in line for line in lines)  # e.g. a check timed out
        assert len(leaders) == 2 + stepped_down, leaders  # the first leader, then one successor
        takeover = leaders[1][0] - killed_at
        assert 0 < takeover < 15, takeover
        fires = [re.search(r"job (\w+) fire (\d+)", line).groups() for line in lines if "recorded:" in line
                 and " fire " in line]
        counts = Counter(fires)
        assert fires and max(counts.values()) == 1, counts.most_common(3)  # each fire recorded once
        minutes = sorted(int(t) for job, t in counts if job == "daily_question")
        assert all(b - a == 60 for a, b in itertools.pairwise(minutes)), minutes  # none missed
        reclaimed = sum(int(m) for out in outputs.values()
                        for m in re.findall(r"(\d+) messages claimed again", out))
        print(f"\n{USERS} users x {QUESTIONS} answers + {BROADCAST} broadcast messages on 3 workers: "
              f"start-up {booted:.0f} s, rush {rush:.0f} s, {cluster.requests} posts "
              f"({cluster.retried} retried after the kill, {cluster.late} answered late via the API), leader killed after {sent_at_kill} API sends, "
              f"new leader after {takeover:.1f} s, {reclaimed} messages claimed again after the lease, "
              f"{duplicates} delivered twice, daily_question fires {len(minutes)}, "
              f"total {time.monotonic() - started:.0f} s")
    finally:
        await store.close()
        pg.drop_database(url)


async def _leader(cluster: Cluster) -> str | None:
    holders = [w.name for w in cluster.workers if "is the leader" in w.output()]
    return holders[0] if len(holders) == 1 else None


async def _rows(store, sql: str) -> list:
    from sqlalchemy import text

    return (await store.db.run(text(sql))).rows


async def _count(store, sql: str) -> int:
    return (await _rows(store, sql))[0][0]
