-- Owner notifications of keys revoked as leaked (issue #14): written in the revocation's
-- transaction, delivered to --leak-webhook by a background task, so a restart loses none.
CREATE TABLE leak_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at INTEGER NOT NULL,
    payload TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    next_attempt_at INTEGER NOT NULL,
    delivered_at INTEGER,
    failed_at INTEGER
);
CREATE INDEX leak_events_pending ON leak_events (delivered_at, failed_at, next_attempt_at);
