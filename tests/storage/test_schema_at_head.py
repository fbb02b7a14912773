"""A database already at the newest revision is opened without Alembic's upgrade machinery
(it only reads the version row); any other is still upgraded by Alembic."""

from __future__ import annotations

from sqlalchemy import create_engine, text

from bot.storage import schema


def test_at_head_skips_alembic_and_behind_head_does_not(tmp_path, monkeypatch):
    engine = create_engine(f"sqlite:///{tmp_path / 'x.sqlite3'}")
    real = schema.command.upgrade
    calls: list[str] = []

    def recording(cfg, revision):
        calls.append(revision)
        return real(cfg, revision)

    monkeypatch.setattr(schema.command, "upgrade", recording)
    head = schema.head_revision()
    with engine.connect() as conn:
        assert schema.upgrade(conn) == head  # a new database: built by Alembic
    assert calls == ["head"]
    with engine.connect() as conn:
        assert schema.upgrade(conn) == head  # at head: Alembic is not asked
        assert not conn.in_transaction()
    assert calls == ["head"]
    with engine.connect() as conn:  # one revision behind (the version row says so): Alembic again
        conn.execute(text("UPDATE alembic_version SET version_num = :old"), {"old": "0011"})
        conn.commit()
        monkeypatch.setattr(schema.command, "upgrade", lambda cfg, revision: calls.append(revision))
        schema.upgrade(conn)
    assert calls == ["head", "head"]
    engine.dispose()
