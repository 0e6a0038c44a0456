-- Session certificates and their revocation (projection `certificates`),
-- the source of the CRL. A certificate is revoked when its session ends or a
-- newer certificate for the same role replaces it. Both facts are recorded
-- by inserts only (the fold never searches for rows to update), and the CRL
-- query derives the revocations from them.
CREATE TABLE session_certificates (
    serial      TEXT PRIMARY KEY,
    session_id  UUID        NOT NULL,
    role        TEXT        NOT NULL,
    not_after   TIMESTAMPTZ NOT NULL,
    issued_at   TIMESTAMPTZ NOT NULL,
    -- log position of the issue: orders certificates of one role
    position    BIGINT      NOT NULL
);
CREATE INDEX session_certificates_role_idx ON session_certificates (session_id, role, position);
CREATE INDEX session_certificates_not_after_idx ON session_certificates (not_after);
-- the CRL's revision is the latest position of either table (see below)
CREATE INDEX session_certificates_position_idx ON session_certificates (position);

-- Sessions that ended (completed, failed, cancelled or deleted): every
-- certificate of theirs is revoked from that moment.
CREATE TABLE ended_sessions (
    session_id  UUID PRIMARY KEY,
    ended_at    TIMESTAMPTZ NOT NULL,
    -- log position of the end. The greatest position in the two tables
    -- changes exactly when the set of revoked certificates does, so a signed
    -- CRL is kept until it moves (`certificates::revision`).
    position    BIGINT      NOT NULL
);
CREATE INDEX ended_sessions_position_idx ON ended_sessions (position);
