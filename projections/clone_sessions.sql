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
    -- staged sessions: the image captured or restored
    image_id                UUID,
    resize_mode             TEXT        NOT NULL,
    bytes_total             BIGINT,
    bytes_transferred       BIGINT      NOT NULL DEFAULT 0,
    transfer_rate_bps       BIGINT,
    transfer_status         TEXT,
    -- The last progress report: bytes the node sent over the network, and
    -- when it came (the log time), for stall detection.
    bytes_on_wire           BIGINT,
    -- Bytes verified so far, from reports in the `verifying` phase.
    verified_bytes          BIGINT,
    last_report_at          TIMESTAMPTZ,
    error_message           TEXT,
    duration_seconds        BIGINT,
    source_cert_serial      TEXT,
    source_cert_expires_at  TIMESTAMPTZ,
    target_cert_serial      TEXT,
    target_cert_expires_at  TIMESTAMPTZ,
    created_at              TIMESTAMPTZ NOT NULL,
    started_at              TIMESTAMPTZ,
    -- When an operator started the session (POST …/start).
    start_requested_at      TIMESTAMPTZ,
    completed_at            TIMESTAMPTZ,
    created_by              TEXT,
    updated_at              TIMESTAMPTZ NOT NULL,
    last_position           BIGINT      NOT NULL
) WITH (fillfactor = 80);
-- fillfactor: a live session's row is updated by every progress batch; the
-- free space lets the update stay on its page (HOT: no new index entries, as
-- it changes no indexed column once the status is 'cloning').
-- Newest-first listing, with and without a status filter.
CREATE INDEX clone_sessions_created_idx ON clone_sessions (created_at DESC, id DESC);
CREATE INDEX clone_sessions_status_created_idx ON clone_sessions (status, created_at DESC, id DESC);
-- A node's sessions (as source or target), for `?node_id=`.
CREATE INDEX clone_sessions_source_node_idx ON clone_sessions (source_node_id, created_at DESC);
CREATE INDEX clone_sessions_target_node_idx ON clone_sessions (target_node_id, created_at DESC);
-- An image's sessions, for its deletion.
CREATE INDEX clone_sessions_image_idx ON clone_sessions (image_id) WHERE image_id IS NOT NULL;

-- Sessions per status, kept by statement triggers in the same transaction
-- as the rows, so the list endpoint's `total` costs one indexed read instead
-- of a count over every session. Statement-level (one update per status per
-- statement, from the transition tables): a row trigger would update the same
-- counter row once per session, and a rebuild — one transaction — would walk
-- an ever longer chain of that row's versions.
CREATE TABLE clone_session_counts (
    status    TEXT PRIMARY KEY,
    sessions  BIGINT NOT NULL
);

CREATE OR REPLACE FUNCTION clone_session_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO clone_session_counts AS c (status, sessions)
        SELECT status, count(*) FROM new_rows GROUP BY status
        ON CONFLICT (status) DO UPDATE SET sessions = c.sessions + EXCLUDED.sessions;
    ELSIF TG_OP = 'DELETE' THEN
        UPDATE clone_session_counts c SET sessions = c.sessions - d.n
        FROM (SELECT status, count(*) AS n FROM old_rows GROUP BY status) d WHERE c.status = d.status;
    ELSE
        INSERT INTO clone_session_counts AS c (status, sessions)
        SELECT status, sum(delta) FROM (
            SELECT status, 1 AS delta FROM new_rows UNION ALL SELECT status, -1 FROM old_rows) d
        GROUP BY status HAVING sum(delta) <> 0
        ON CONFLICT (status) DO UPDATE SET sessions = c.sessions + EXCLUDED.sessions;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER clone_session_count_insert AFTER INSERT ON clone_sessions
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION clone_session_count();
CREATE TRIGGER clone_session_count_update AFTER UPDATE ON clone_sessions
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION clone_session_count();
CREATE TRIGGER clone_session_count_delete AFTER DELETE ON clone_sessions
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION clone_session_count();
