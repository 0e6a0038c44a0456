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

-- Sessions per status, kept by a trigger in the same transaction as the rows,
-- so the list endpoint's `total` costs one indexed read instead of a count
-- over every session.
CREATE TABLE clone_session_counts (
    status    TEXT PRIMARY KEY,
    sessions  BIGINT NOT NULL
);

CREATE OR REPLACE FUNCTION clone_session_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE clone_session_counts SET sessions = sessions - 1 WHERE status = OLD.status;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO clone_session_counts (status, sessions) VALUES (NEW.status, 1)
        ON CONFLICT (status) DO UPDATE SET sessions = clone_session_counts.sessions + 1;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER clone_session_count_insert_delete AFTER INSERT OR DELETE ON clone_sessions
    FOR EACH ROW EXECUTE FUNCTION clone_session_count();
CREATE TRIGGER clone_session_count_status AFTER UPDATE OF status ON clone_sessions
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION clone_session_count();
