-- keyseal-server schema, PostgreSQL variant (types differ from the SQLite variant only).
CREATE TABLE service (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    prefix TEXT NOT NULL,
    admin_prefix TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
-- The one-row counter that allocates revocation list sequence numbers (and serializes
-- every change that publishes).
CREATE TABLE revocation_counter (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    seq BIGINT NOT NULL
);
CREATE TABLE signing_keys (
    key_id TEXT PRIMARY KEY,
    public_key TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('active', 'verify_only', 'retired')),
    created_at BIGINT NOT NULL,
    published_at BIGINT NOT NULL,
    promoted_at BIGINT,
    retired_at BIGINT
);
CREATE TABLE keys (
    token_id TEXT PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('app', 'admin')),
    app_id TEXT NOT NULL,
    scopes TEXT NOT NULL,
    issued_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    not_before BIGINT,
    name TEXT,
    metadata TEXT,
    signing_key_id TEXT NOT NULL,
    issued_by TEXT,
    key_sha256 TEXT NOT NULL,
    revoked_at BIGINT,
    revoke_reason TEXT,
    revoked_by TEXT,
    rerolled_to TEXT
);
CREATE INDEX keys_by_kind_app ON keys (kind, app_id, token_id);
CREATE INDEX keys_by_sha256 ON keys (key_sha256);
CREATE INDEX keys_by_signer ON keys (signing_key_id);
-- Every entry ever put in a revocation list, with the sequence that first published it.
CREATE TABLE revocation_entries (
    seq BIGINT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('token', 'app', 'signer')),
    subject TEXT NOT NULL,
    expires_at BIGINT,
    issued_before BIGINT,
    effective BIGINT
);
CREATE INDEX revocation_entries_by_seq ON revocation_entries (seq);
-- The signed list of each sequence, as published.
CREATE TABLE revocation_lists (
    seq BIGINT PRIMARY KEY,
    bytes BYTEA NOT NULL,
    issued_at BIGINT NOT NULL,
    entries BIGINT NOT NULL
);
-- Token revocations that take effect later (the end of a reroll's grace period).
CREATE TABLE scheduled_revocations (
    token_id TEXT PRIMARY KEY,
    due_at BIGINT NOT NULL,
    published_seq BIGINT
);
CREATE INDEX scheduled_by_due ON scheduled_revocations (published_seq, due_at);
CREATE TABLE audit (
    id BIGSERIAL PRIMARY KEY,
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    request_id TEXT NOT NULL,
    action TEXT NOT NULL,
    subject TEXT NOT NULL,
    detail TEXT NOT NULL
);
