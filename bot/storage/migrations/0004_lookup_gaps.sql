-- Lookup queries that found nothing useful (issue 6): no confident match, or the user pressed
-- "none of these". Admins read the top queries with /stats gaps to see what content is missing.
CREATE TABLE lookup_gaps (
    id        INTEGER PRIMARY KEY,
    user_key  TEXT NOT NULL,
    query     TEXT NOT NULL,
    reason    TEXT NOT NULL,            -- unsure | none_of_these
    top_ref   TEXT NOT NULL DEFAULT '', -- best candidate shown, kind:ref
    at        REAL NOT NULL
);
CREATE INDEX lookup_gaps_query ON lookup_gaps(query);
CREATE INDEX lookup_gaps_at ON lookup_gaps(at);
