-- Read model of golden images (projection `images`): one row per image
-- that is ready or in cleanup (its files being removed); a deleted image's
-- row is removed. Node and backend names are joined in at query time.
CREATE TABLE images (
    id                  UUID PRIMARY KEY,
    name                TEXT        NOT NULL,
    -- 'ready' or 'cleanup'
    status              TEXT        NOT NULL DEFAULT 'ready',
    -- why the last sweep of an image in cleanup failed (null: none failed yet)
    cleanup_error       TEXT,
    cleanup_started_at  TIMESTAMPTZ,
    source_node_id      UUID        NOT NULL,
    source_device       TEXT        NOT NULL,
    capture_session_id  UUID        NOT NULL,
    backend_id          UUID        NOT NULL,
    backend_type        TEXT        NOT NULL,
    path                TEXT        NOT NULL,
    size_bytes          BIGINT      NOT NULL,
    chunk_size_bytes    BIGINT      NOT NULL,
    chunks              BIGINT      NOT NULL,
    digest              TEXT        NOT NULL,
    manifest_digest     TEXT        NOT NULL,
    -- the source disk's partition layout at capture time (a disk scan), if reported
    layout              JSONB,
    created_at          TIMESTAMPTZ NOT NULL,
    ready_at            TIMESTAMPTZ NOT NULL,
    last_position       BIGINT      NOT NULL
);
CREATE INDEX images_ready_idx ON images (status, ready_at DESC, id DESC);
CREATE INDEX images_backend_idx ON images (backend_id, ready_at DESC);
CREATE INDEX images_source_node_idx ON images (source_node_id, ready_at DESC);
