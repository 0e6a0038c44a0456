-- Operator API tokens. Only a SHA-256 hash of each token is kept; the token
-- itself is shown once when it is created. Durable (a hash cannot be rebuilt
-- from the log, which never holds one); creation and revocation are also
-- recorded as events (without the hash) for the audit trail.
CREATE TABLE api_tokens (
    id          UUID PRIMARY KEY,
    name        TEXT        NOT NULL UNIQUE,
    role        TEXT        NOT NULL CHECK (role IN ('admin', 'operator', 'viewer')),
    token_hash  BYTEA       NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    revoked_at  TIMESTAMPTZ
);
