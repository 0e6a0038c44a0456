-- Session certificates and their revocation (projection `certificates`),
-- the source of the CRL. A certificate is revoked when its session ends or a
-- newer certificate for the same role replaces it.
CREATE TABLE session_certificates (
    serial      TEXT PRIMARY KEY,
    session_id  UUID        NOT NULL,
    role        TEXT        NOT NULL,
    not_after   TIMESTAMPTZ NOT NULL,
    issued_at   TIMESTAMPTZ NOT NULL,
    revoked_at  TIMESTAMPTZ,
    superseded  BOOLEAN     NOT NULL DEFAULT false
);
CREATE INDEX session_certificates_session_idx ON session_certificates (session_id);
CREATE INDEX session_certificates_revoked_idx ON session_certificates (not_after) WHERE revoked_at IS NOT NULL;
