"""Pass certificates: the facts a certificate states, its tamper-evident serial (an HMAC-SHA256
over those facts, truncated and written in base32 groups), checking a serial, and the masked
name shown to anyone who verifies one."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass

SERIAL_BYTES = 10  # 80 bits of the HMAC: 16 base32 characters, shown as 4 groups of 4
VALID, INVALID, REVOKED = "valid", "invalid", "revoked"
_SERIAL_CHARS = re.compile(r"^[A-Z2-7]{16}$")


@dataclass(frozen=True, slots=True)
class CertFacts:
    """What a certificate states, as issued (names are kept as they were on that day)."""

    roster_id: int
    exam_id: str
    score: float
    issued_on: str  # local date YYYY-MM-DD
    counter: int  # the how-many-th certificate of this person for this exam (1, then after a revocation 2 ...)
    name: str
    unit_id: str

    def message(self) -> bytes:
        """The signed bytes: every fact, in a fixed order, separated by a byte no fact contains."""
        parts = ["lawbot-cert-v1", str(self.roster_id), self.exam_id, score_text(self.score), self.issued_on,
                 str(self.counter), self.name, self.unit_id]
        return "\x1f".join(parts).encode("utf-8")


def score_text(score: float) -> str:
    """A score as written on the certificate and signed: 95, 87.5."""
    return f"{score:.1f}".rstrip("0").rstrip(".")


def make_serial(secret: bytes, facts: CertFacts) -> str:
    digest = hmac.new(secret, facts.message(), hashlib.sha256).digest()[:SERIAL_BYTES]
    plain = base64.b32encode(digest).decode("ascii")
    return "-".join(plain[i:i + 4] for i in range(0, len(plain), 4))


def normalize_serial(text: str) -> str | None:
    """A serial as typed (any case, with or without dashes or spaces; 0/1/8 for O/I/B) in its
    printed form, or None when it cannot be one."""
    plain = re.sub(r"[\s\-]", "", text or "").upper().translate(str.maketrans("018", "OIB"))
    if not _SERIAL_CHARS.match(plain):
        return None
    return "-".join(plain[i:i + 4] for i in range(0, 16, 4))


def signature_holds(secret: bytes, facts: CertFacts, serial: str) -> bool:
    """Whether `serial` is the HMAC of exactly these facts under this key (constant time)."""
    return hmac.compare_digest(make_serial(secret, facts), serial)


def status_of(found: bool, signature_ok: bool, revoked: bool) -> str:
    """valid / invalid / revoked: a serial not on record or whose facts do not match its HMAC
    (a forged serial or an altered record) is invalid, whatever else is known."""
    if not found or not signature_ok:
        return INVALID
    return REVOKED if revoked else VALID


def mask_name(name: str) -> str:
    """张三明 -> 张*明, 张三 -> 张*, a Latin name keeps its first and last letters."""
    name = (name or "").strip()
    if len(name) <= 1:
        return name or "*"
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]
