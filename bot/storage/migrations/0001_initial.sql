-- users are keyed by a platform-qualified key: tg:123, wx:<openid>, cli:local
CREATE TABLE users (
    key         TEXT PRIMARY KEY,
    locale      TEXT,
    created_at  REAL NOT NULL,
    blocked     INTEGER NOT NULL DEFAULT 0
);

-- the conversation state of each user (which flow, which question): JSON
CREATE TABLE sessions (
    user_key    TEXT PRIMARY KEY,
    state       TEXT NOT NULL,
    updated_at  REAL NOT NULL
);

-- platform update ids already handled, so a redelivered update is applied once
CREATE TABLE processed_updates (
    key         TEXT PRIMARY KEY,
    at          REAL NOT NULL
);
CREATE INDEX processed_updates_at ON processed_updates(at);

CREATE TABLE attempts (
    id           INTEGER PRIMARY KEY,
    user_key     TEXT NOT NULL,
    exam_id      TEXT NOT NULL,
    kind         TEXT NOT NULL DEFAULT 'mock',
    started_at   REAL NOT NULL,
    deadline     REAL NOT NULL,
    status       TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'submitted', 'expired')),
    paper        TEXT NOT NULL,
    submitted_at REAL,
    score        REAL,
    passed       INTEGER
);
CREATE INDEX attempts_user ON attempts(user_key, exam_id);
CREATE INDEX attempts_open ON attempts(status, deadline);

CREATE TABLE attempt_answers (
    attempt_id  INTEGER NOT NULL REFERENCES attempts(id) ON DELETE CASCADE,
    pos         INTEGER NOT NULL,
    choice      TEXT NOT NULL,
    answered_at REAL NOT NULL,
    PRIMARY KEY (attempt_id, pos)
) WITHOUT ROWID;

-- every answer given, for item analysis (correct rate, discrimination) and study credit
CREATE TABLE answer_log (
    id          INTEGER PRIMARY KEY,
    user_key    TEXT NOT NULL,
    question_id TEXT NOT NULL,
    correct     INTEGER NOT NULL,
    elapsed_ms  INTEGER,
    mode        TEXT NOT NULL,
    attempt_id  INTEGER,
    at          REAL NOT NULL
);
CREATE INDEX answer_log_question ON answer_log(question_id);
CREATE INDEX answer_log_user ON answer_log(user_key, at);

CREATE TABLE wrong_book (
    user_key    TEXT NOT NULL,
    question_id TEXT NOT NULL,
    streak      INTEGER NOT NULL DEFAULT 0,
    added_at    REAL NOT NULL,
    PRIMARY KEY (user_key, question_id)
) WITHOUT ROWID;

CREATE TABLE review_cards (
    user_key    TEXT NOT NULL,
    question_id TEXT NOT NULL,
    card        TEXT NOT NULL,
    due         REAL NOT NULL,
    PRIMARY KEY (user_key, question_id)
) WITHOUT ROWID;
CREATE INDEX review_cards_due ON review_cards(user_key, due);

-- where sequential practice stopped, per user and scope
CREATE TABLE practice_progress (
    user_key    TEXT NOT NULL,
    scope       TEXT NOT NULL,
    position    INTEGER NOT NULL,
    PRIMARY KEY (user_key, scope)
) WITHOUT ROWID;

-- proactive messages: written in the same transaction as the decision, drained per channel
CREATE TABLE outbox (
    id          INTEGER PRIMARY KEY,
    channel     TEXT NOT NULL,
    user_key    TEXT NOT NULL,
    payload     TEXT NOT NULL,
    dedupe_key  TEXT NOT NULL UNIQUE,
    status      TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
    tries       INTEGER NOT NULL DEFAULT 0,
    next_try_at REAL NOT NULL DEFAULT 0,
    created_at  REAL NOT NULL,
    sent_at     REAL,
    error       TEXT
);
CREATE INDEX outbox_pending ON outbox(channel, status, next_try_at);
