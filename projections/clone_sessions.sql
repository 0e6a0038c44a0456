-- Read model of clone sessions (projection `clone_sessions`): one row per
-- live session, the shape of the spec's CloneSessionResponse minus the node
-- and backend names, which are joined in at query time so renames show at once.
CREATE TABLE clone_sessions (
    id                      UUID PRIMARY KEY,
    name                    TEXT,
    status                  TEXT        NOT NULL,
    clone_mode              TEXT        NOT NULL,
    source_node_id          UUID        NOT NULL,
    target_node_id          UUID,
    source_device           TEXT        NOT NULL,
    target_device           TEXT        NOT NULL,
    source_ip               TEXT,
    source_port             INTEGER     NOT NULL DEFAULT 9999,
    staging_backend_id      UUID,
    staging_path            TEXT,
    staging_status          TEXT,
    resize_mode             TEXT        NOT NULL,
    bytes_total             BIGINT,
    bytes_transferred       BIGINT      NOT NULL DEFAULT 0,
    transfer_rate_bps       BIGINT,
    transfer_status         TEXT,
    error_message           TEXT,
    duration_seconds        BIGINT,
    source_cert_serial      TEXT,
    source_cert_expires_at  TIMESTAMPTZ,
    target_cert_serial      TEXT,
    target_cert_expires_at  TIMESTAMPTZ,
    created_at              TIMESTAMPTZ NOT NULL,
    started_at              TIMESTAMPTZ,
    completed_at            TIMESTAMPTZ,
    created_by              TEXT,
    updated_at              TIMESTAMPTZ NOT NULL,
    last_position           BIGINT      NOT NULL
);
-- Newest-first listing, with and without a status filter.
CREATE INDEX clone_sessions_created_idx ON clone_sessions (created_at DESC, id DESC);
CREATE INDEX clone_sessions_status_created_idx ON clone_sessions (status, created_at DESC, id DESC);
