"""The loopback fake Bot API (fake_bot_api.FakeBotApi) with Telegram's sending limits enforced,
for the outbox tests and bench/broadcast.py.

- a global rate cap on sendMessage: a token bucket of `cap` per second holding `cap * burst`
  (at least 1); over it -> 429 with parameters.retry_after (seconds, an integer as Telegram sends);
- an optional per-chat cap (messages per second to one chat) -> 429 as well;
- `blocked` chat ids -> 403 "Forbidden: bot was blocked by the user";
- random 5xx (500/502/503) with probability `error_rate` (seeded), before anything is delivered.

It counts what was actually delivered per chat (`delivered`), so a test can check that nothing
was lost and nothing sent twice. Run it in its own process with `python -m
tests.support.fake_bot_api_limits --port 0 --cap 1000` (prints the port, serves until killed;
`GET /stats` answers the counters as JSON)."""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import time
from collections import Counter

from tests.support.fake_bot_api import TOKEN, ApiError, FakeBotApi


class TokenBucket:
    def __init__(self, rate: float, capacity: float, now=time.monotonic):
        self.rate, self.capacity, self._now = rate, capacity, now
        self.tokens, self.at = capacity, now()

    def take(self) -> float:
        """0.0 when allowed; else seconds until a token is available."""
        now = self._now()
        self.tokens = min(self.capacity, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return 0.0
        return (1.0 - self.tokens) / self.rate


class LimitedBotApi(FakeBotApi):
    def __init__(self, token: str = TOKEN, *, cap: float = 30.0, burst: float = 0.1, per_chat: float = 0.0,
                 blocked: set[int] | None = None, error_rate: float = 0.0, seed: int = 1,
                 retry_after: int | None = None, record: bool = False):
        super().__init__(token, record=record)
        self.cap = cap
        self.bucket = TokenBucket(cap, max(1.0, cap * burst))
        self.per_chat = per_chat
        self._chat_buckets: dict[int, TokenBucket] = {}
        self.blocked = set(blocked or ())
        self.error_rate = error_rate
        self.rng = random.Random(seed)
        self.fixed_retry_after = retry_after
        self.delivered: Counter[int] = Counter()
        self.stats: Counter[str] = Counter()
        self.first_at: float | None = None
        self.last_at: float | None = None

    def _m_sendMessage(self, params):
        chat_id = params.get("chat_id")
        self.stats["requests"] += 1
        if self.error_rate and self.rng.random() < self.error_rate:
            self.stats["5xx"] += 1
            code = self.rng.choice((500, 502, 503))
            raise ApiError(code, "Internal Server Error" if code == 500 else "Bad Gateway")
        wait = self.bucket.take()
        if wait > 0:
            self.stats["429"] += 1
            raise ApiError(429, "Too Many Requests: retry later",
                           retry_after=self.fixed_retry_after or max(1, int(wait + 0.999)))
        if self.per_chat and isinstance(chat_id, int):
            bucket = self._chat_buckets.setdefault(chat_id, TokenBucket(self.per_chat, 1.0))
            if bucket.take() > 0:
                self.stats["429_chat"] += 1
                raise ApiError(429, "Too Many Requests: retry later", retry_after=1)
        if chat_id in self.blocked:
            self.stats["403"] += 1
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        if not self.record:  # keep memory flat in the benchmark: count, do not store
            self._check_text(params.get("text"))
            result = {"message_id": 1, "date": int(time.time()), "chat": {"id": chat_id, "type": "private"},
                      "text": params.get("text")}
        else:
            result = super()._m_sendMessage(params)
        self.delivered[chat_id] += 1
        self.stats["delivered"] += 1
        now = time.monotonic()
        self.first_at = self.first_at or now
        self.last_at = now
        return result

    def snapshot(self) -> dict:
        dup = sum(n - 1 for n in self.delivered.values() if n > 1)
        return {"stats": dict(self.stats), "distinct": len(self.delivered), "duplicates": dup,
                "first_at": self.first_at, "last_at": self.last_at,
                "delivered": {str(k): v for k, v in self.delivered.items()}}

    async def _dispatch(self, target: bytes, headers, body):
        if target.split(b"?", 1)[0] == b"/stats":
            return 200, self.snapshot()
        return await super()._dispatch(target, headers, body)


async def _serve(args) -> None:
    api = LimitedBotApi(cap=args.cap, burst=args.burst, per_chat=args.per_chat, error_rate=args.error_rate,
                        blocked=set(json.loads(args.blocked)), seed=args.seed)
    await api.start(args.port)
    print(api.port, flush=True)
    await asyncio.Event().wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--cap", type=float, default=30.0)
    parser.add_argument("--burst", type=float, default=0.1)
    parser.add_argument("--per-chat", type=float, default=0.0)
    parser.add_argument("--error-rate", type=float, default=0.0)
    parser.add_argument("--blocked", default="[]", help="JSON list of chat ids that blocked the bot")
    parser.add_argument("--seed", type=int, default=1)
    try:
        asyncio.run(_serve(parser.parse_args()))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
