-- Units, roster, registration, admins, official exam windows, study credit and daily snapshots
-- (issue 4). The roster is the denominator of every rate.
CREATE TABLE units (
    id        TEXT PRIMARY KEY,
    name      TEXT NOT NULL,
    parent_id TEXT,
    sort      INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX units_parent ON units(parent_id);

CREATE TABLE roster (
    id          INTEGER PRIMARY KEY,
    staff_no    TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    unit_id     TEXT NOT NULL,
    role        TEXT NOT NULL DEFAULT '',
    phone_tail  TEXT NOT NULL DEFAULT '',
    active      INTEGER NOT NULL DEFAULT 1,
    updated_at  REAL NOT NULL DEFAULT 0
);
CREATE INDEX roster_unit ON roster(unit_id);

-- one chat account per roster entry per platform; a chat account binds to one entry
CREATE TABLE bindings (
    roster_id   INTEGER NOT NULL REFERENCES roster(id),
    platform    TEXT NOT NULL,
    user_key    TEXT NOT NULL UNIQUE,
    bound_at    REAL NOT NULL,
    bound_by    TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (roster_id, platform)
);

CREATE TABLE bind_codes (
    code        TEXT PRIMARY KEY,
    roster_id   INTEGER NOT NULL REFERENCES roster(id),
    issued_by   TEXT NOT NULL,
    created_at  REAL NOT NULL,
    expires_at  REAL NOT NULL,
    used_by     TEXT,
    used_at     REAL
);

-- unit admins (unit_id set) and super admins granted in chat (unit_id NULL); config adds more
CREATE TABLE admins (
    user_key    TEXT PRIMARY KEY,
    unit_id     TEXT,
    granted_by  TEXT NOT NULL,
    granted_at  REAL NOT NULL
);

-- every admin action, for audit
CREATE TABLE admin_log (
    id        INTEGER PRIMARY KEY,
    user_key  TEXT NOT NULL,
    action    TEXT NOT NULL,
    detail    TEXT NOT NULL DEFAULT '',
    at        REAL NOT NULL
);

-- an admin's change to an official exam's YAML window
CREATE TABLE exam_windows (
    exam_id       TEXT PRIMARY KEY,
    opens         REAL,
    closes        REAL,
    makeup_opens  REAL,
    makeup_closes REAL,
    set_by        TEXT NOT NULL,
    set_at        REAL NOT NULL
);

-- official attempts: who (roster entry, unit at the time) and in which phase (regular/makeup)
ALTER TABLE attempts ADD COLUMN roster_id INTEGER;
ALTER TABLE attempts ADD COLUMN unit_id TEXT;
ALTER TABLE attempts ADD COLUMN phase TEXT;
-- covering, so per-unit results never touch the attempt rows (papers are large)
CREATE INDEX attempts_exam_roster ON attempts(exam_id, roster_id, status, score, passed, id);

-- study credit per user per local day per activity (practice | case_read | daily), folded in
-- incrementally from answer_log and activity_log; points already capped per day
CREATE TABLE study_daily (
    user_key  TEXT NOT NULL,
    day       INTEGER NOT NULL,
    activity  TEXT NOT NULL,
    count     INTEGER NOT NULL,
    points    INTEGER NOT NULL,
    PRIMARY KEY (user_key, day, activity)
) WITHOUT ROWID;

CREATE TABLE study_marks (
    source    TEXT PRIMARY KEY,
    last_id   INTEGER NOT NULL,
    rules     TEXT NOT NULL DEFAULT ''
);

-- rates per exam and unit per day, for the rates-over-time chart
CREATE TABLE stats_snapshots (
    day        TEXT NOT NULL,
    exam_id    TEXT NOT NULL,
    unit_id    TEXT NOT NULL,
    roster     INTEGER NOT NULL,
    registered INTEGER NOT NULL,
    studied    INTEGER NOT NULL,
    sat        INTEGER NOT NULL,
    passed     INTEGER NOT NULL,
    taken_at   REAL NOT NULL,
    PRIMARY KEY (day, exam_id, unit_id)
) WITHOUT ROWID;

-- item analysis reads an exam's answers by attempt
CREATE INDEX answer_log_attempt ON answer_log(attempt_id) WHERE attempt_id IS NOT NULL;
