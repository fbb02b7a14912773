"""Certificate serial rules: the HMAC over the facts, typed serials, masking; and the key."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.app.certs import NoKey, cert_key
from bot.config import load_config
from bot.domain import certificate as cert

FACTS = cert.CertFacts(7, "xuefa", 92.5, "2026-01-10", 1, "张三明", "u1")
KEY = b"0123456789abcdef0123"


def test_serial_is_readable_and_changes_with_every_fact_and_the_key():
    serial = cert.make_serial(KEY, FACTS)
    assert len(serial) == 19 and serial.count("-") == 3
    assert cert.signature_holds(KEY, FACTS, serial)
    changed = [replace(FACTS, roster_id=8), replace(FACTS, exam_id="other"), replace(FACTS, score=93),
               replace(FACTS, issued_on="2026-01-11"), replace(FACTS, counter=2), replace(FACTS, name="张三"),
               replace(FACTS, unit_id="u2")]
    for facts in changed:
        assert not cert.signature_holds(KEY, facts, serial), facts
    assert not cert.signature_holds(b"another key of some length", FACTS, serial)
    assert len({cert.make_serial(KEY, f) for f in changed} | {serial}) == len(changed) + 1


def test_typed_serials_normalise_and_junk_does_not():
    serial = cert.make_serial(KEY, FACTS)
    assert cert.normalize_serial(serial.lower().replace("-", " ")) == serial
    assert cert.normalize_serial(" " + serial.replace("-", "") + " ") == serial
    for junk in ("", "ABCD", serial + "A", "ABCD-EFGH-JKLM-NPQ9", "<script>alert(1)</script>"):
        assert cert.normalize_serial(junk) is None


def test_status_and_masking():
    assert cert.status_of(True, True, False) == cert.VALID
    assert cert.status_of(True, True, True) == cert.REVOKED
    assert cert.status_of(True, False, True) == cert.INVALID  # an altered record is invalid, revoked or not
    assert cert.status_of(False, False, False) == cert.INVALID
    assert [cert.mask_name(n) for n in ("张三明", "欧阳小明", "张三", "张", "")] == ["张*明", "欧**明", "张*", "张", "*"]
    assert cert.score_text(100.0) == "100" and cert.score_text(87.5) == "87.5"


def test_key_from_config_generated_for_sqlite_refused_for_a_server(tmp_path, monkeypatch):
    monkeypatch.delenv("LAWBOT_CERT_SECRET", raising=False)
    monkeypatch.delenv("LAWBOT_DATABASE_URL", raising=False)
    embedded = load_config(None, data_dir=str(tmp_path))
    first = cert_key(embedded)
    assert len(first) >= 32 and cert_key(embedded) == first  # generated once, then kept
    assert (tmp_path / "cert_secret").stat().st_mode & 0o777 == 0o600
    server = load_config(None, data_dir=str(tmp_path / "b"), database={"url": "postgresql://u@127.0.0.1/x"})
    with pytest.raises(NoKey):
        cert_key(server)
    monkeypatch.setenv("LAWBOT_CERT_SECRET", "a-long-enough-secret-value")
    assert cert_key(server) == b"a-long-enough-secret-value"
    monkeypatch.setenv("LAWBOT_CERT_SECRET", "short")
    with pytest.raises(NoKey):
        cert_key(server)
