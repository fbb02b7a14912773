-- Issue 5: reminders, campaigns, the scheduler's run log, and an outbox with claims.

-- /remind: one row per user who touched the setting. minute = local minute of the day (0..1439)
-- the daily question (每日一练) is due; tz NULL = the configured default zone. last_daily is the
-- local date (YYYY-MM-DD) of the last daily question queued, so a tick never queues it twice.
CREATE TABLE reminder_prefs (
    user_key    TEXT PRIMARY KEY,
    enabled     INTEGER NOT NULL DEFAULT 0,
    minute      INTEGER NOT NULL DEFAULT 480 CHECK (minute BETWEEN 0 AND 1439),
    tz          TEXT,
    last_daily  TEXT,
    updated_at  REAL NOT NULL
);
CREATE INDEX reminder_prefs_due ON reminder_prefs(enabled, minute);

-- one row per decision to message many people: a broadcast, an exam-window reminder, a digest,
-- a day's daily questions. key is unique, so deciding twice (a job re-run) creates nothing new.
CREATE TABLE campaigns (
    id          INTEGER PRIMARY KEY,
    key         TEXT NOT NULL UNIQUE,
    kind        TEXT NOT NULL,
    created_by  TEXT,
    created_at  REAL NOT NULL,
    status      TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('draft', 'active', 'cancelled')),
    payload     TEXT,
    audience    TEXT,
    total       INTEGER NOT NULL DEFAULT 0
);

-- the scheduler's last run of each job (scheduled fire time, UTC seconds): the missed-run rule
CREATE TABLE job_runs (
    job_id      TEXT PRIMARY KEY,
    last_fire   REAL NOT NULL,
    ran_at      REAL NOT NULL,
    outcome     TEXT NOT NULL
);

-- The outbox, rebuilt to add: 'inflight' (claimed by a sender, the at-most-once-resent window),
-- 'cancelled', the campaign, who claimed it and when, an expiry (a reminder that is stale by the
-- time it could go out is dropped, not sent late), and the final outcome.
CREATE TABLE outbox_new (
    id          INTEGER PRIMARY KEY,
    channel     TEXT NOT NULL,
    user_key    TEXT NOT NULL,
    payload     TEXT NOT NULL,
    dedupe_key  TEXT NOT NULL UNIQUE,
    status      TEXT NOT NULL DEFAULT 'pending'
                CHECK (status IN ('pending', 'inflight', 'sent', 'failed', 'cancelled')),
    tries       INTEGER NOT NULL DEFAULT 0,
    next_try_at REAL NOT NULL DEFAULT 0,
    created_at  REAL NOT NULL,
    sent_at     REAL,
    error       TEXT,
    campaign_id INTEGER REFERENCES campaigns(id),
    claimed_at  REAL,
    expires_at  REAL,
    outcome     TEXT
);
INSERT INTO outbox_new(id, channel, user_key, payload, dedupe_key, status, tries, next_try_at, created_at,
                       sent_at, error)
    SELECT id, channel, user_key, payload, dedupe_key, status, tries, next_try_at, created_at, sent_at, error
    FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_new RENAME TO outbox;
CREATE INDEX outbox_pending ON outbox(channel, status, next_try_at);
CREATE INDEX outbox_campaign ON outbox(campaign_id, status);
CREATE INDEX outbox_user ON outbox(user_key, status);
