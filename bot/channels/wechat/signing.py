"""Callback authentication: WeChat's SHA-1 signatures (compared in constant time), the
timestamp window and a bounded nonce cache against replays, and AES for safe mode (wechatpy)."""

from __future__ import annotations

import hashlib
import hmac
from collections import OrderedDict
from typing import Protocol

from wechatpy.crypto import PrpCrypto as OfficialAccountCipher
from wechatpy.enterprise.crypto import PrpCrypto as WeComCipher

from bot.clock import Clock


class Refused(Exception):
    """A callback that is not WeChat's (bad signature, stale, replayed): answered with 403."""


def signature(token: str, timestamp: str, nonce: str, encrypted: str | None = None) -> str:
    """SHA-1 of the sorted, concatenated parts: `signature` without `encrypted`,
    `msg_signature` with the Encrypt element (or the echostr)."""
    parts = [token, timestamp, nonce] + ([encrypted] if encrypted is not None else [])
    return hashlib.sha1("".join(sorted(parts)).encode("utf-8")).hexdigest()


def check_signature(given: str | None, token: str, timestamp: str, nonce: str,
                    encrypted: str | None = None) -> None:
    expected = signature(token, timestamp, nonce, encrypted)
    if not given or not hmac.compare_digest(expected.encode(), given.strip().lower().encode("utf-8", "replace")):
        raise Refused("bad signature")


class ReplayGuard:
    """Refuses callbacks whose timestamp is outside ±window seconds and (timestamp, nonce) pairs
    seen before. Remembers at most `capacity` pairs, each for as long as its timestamp is valid."""

    def __init__(self, clock: Clock, window: int = 300, capacity: int = 100_000):
        self.clock = clock
        self.window = window
        self.capacity = capacity
        self._seen: OrderedDict[tuple[str, str], float] = OrderedDict()  # -> forget after

    def check_time(self, timestamp: str | None) -> None:
        if not timestamp or len(timestamp) > 12 or not timestamp.isascii() or not timestamp.isdigit():
            raise Refused("missing or odd timestamp")
        if abs(self.clock.now() - int(timestamp)) > self.window:
            raise Refused("timestamp outside the window")

    def seen_before(self, timestamp: str, nonce: str | None) -> bool:
        """Record the pair; True when it was already recorded (a replay or a re-sent request)."""
        if not nonce or len(nonce) > 64:
            raise Refused("missing or odd nonce")
        now = self.clock.now()
        while self._seen:
            oldest = next(iter(self._seen.values()))
            if oldest > now and len(self._seen) < self.capacity:
                break
            self._seen.popitem(last=False)
        key = (timestamp, nonce)
        if key in self._seen:
            return True
        self._seen[key] = int(timestamp) + self.window + 1
        return False


class Cipher(Protocol):
    """What the adapter uses of wechatpy's PrpCrypto (wechatpy ships no type information)."""

    def decrypt(self, text: str, receive_id: str) -> str:
        """The plain XML of a base64 AES payload; raises when it does not end with receive_id."""
        ...


def cipher(platform_is_wecom: bool, key: bytes) -> Cipher:
    """wechatpy's AES-CBC message cipher (PKCS#7, receiver id appended), per platform."""
    return WeComCipher(key) if platform_is_wecom else OfficialAccountCipher(key)
