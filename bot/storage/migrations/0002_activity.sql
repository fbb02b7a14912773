-- study activity other than answering questions (answers are in answer_log): reading a case
-- explainer, looking up an article, reading a service guide. Feeds study credit (参学).
CREATE TABLE activity_log (
    id        INTEGER PRIMARY KEY,
    user_key  TEXT NOT NULL,
    kind      TEXT NOT NULL,
    ref       TEXT NOT NULL DEFAULT '',
    at        REAL NOT NULL
);
CREATE INDEX activity_log_user ON activity_log(user_key, at);
CREATE INDEX activity_log_kind ON activity_log(kind, at);
