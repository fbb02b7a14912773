-- Text channels without buttons (WeChat Official Account, WeCom) show choices as a numbered
-- menu ("回复 1-4 选择"). The actions behind the numbers of the last menu each user was shown,
-- so a typed "2" means the same thing after a restart or on another worker.
CREATE TABLE numbered_menus (
    user_key    TEXT PRIMARY KEY,
    actions     TEXT NOT NULL,  -- JSON list of action strings, number n -> actions[n-1]
    updated_at  REAL NOT NULL
);
