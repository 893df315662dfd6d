-- Owner notifications of keys revoked as leaked (issue #14): written in the revocation's
-- transaction, delivered to --leak-webhook by a background task, so a restart loses none.
CREATE TABLE leak_events (
    id BIGSERIAL PRIMARY KEY,
    created_at BIGINT NOT NULL,
    payload TEXT NOT NULL,
    attempts BIGINT NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    delivered_at BIGINT,
    failed_at BIGINT
);
CREATE INDEX leak_events_pending ON leak_events (delivered_at, failed_at, next_attempt_at);
