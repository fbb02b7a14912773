-- Question bank files admins sent in chat, between the preview and the 导入 button (issue 3):
-- kept here, not in process memory, so a restart or another worker can still confirm them.
CREATE TABLE pending_uploads (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    user_key    TEXT NOT NULL,
    filename    TEXT NOT NULL,
    data        BLOB NOT NULL,
    created_at  REAL NOT NULL
);
CREATE INDEX pending_uploads_user ON pending_uploads(user_key);
