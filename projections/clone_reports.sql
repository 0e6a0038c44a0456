-- One row per clone session ever created (deleted ones included), kept for
-- reporting (projection `clone_reports`). Figures are facts of the session's
-- outcome; GET /api/v1/reports/clones aggregates them.
CREATE TABLE clone_reports (
    session_id        UUID PRIMARY KEY,
    clone_mode        TEXT        NOT NULL,
    source_node_id    UUID        NOT NULL,
    target_node_id    UUID,
    created_at        TIMESTAMPTZ NOT NULL,
    started_at        TIMESTAMPTZ,
    ended_at          TIMESTAMPTZ,
    status            TEXT        NOT NULL,
    bytes_total       BIGINT,
    bytes_cloned      BIGINT      NOT NULL DEFAULT 0,
    last_rate_bps     BIGINT,
    -- completed only: bytes / duration, or the last reported rate when the
    -- copy took under a second
    transfer_rate_bps DOUBLE PRECISION,
    duration_seconds  BIGINT,
    failure_reason    TEXT,
    deleted_at        TIMESTAMPTZ
) WITH (fillfactor = 80);
-- fillfactor: a session's row is updated by every progress batch; the free
-- space lets the update stay on its page (HOT: no index entries, the page pruned).
CREATE INDEX clone_reports_created_idx ON clone_reports (created_at);
