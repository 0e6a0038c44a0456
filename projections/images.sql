-- Read model of golden images (projection `images`): one row per ready,
-- not deleted image. Node and backend names are joined in at query time.
CREATE TABLE images (
    id                  UUID PRIMARY KEY,
    name                TEXT        NOT NULL,
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
CREATE INDEX images_ready_idx ON images (ready_at DESC, id DESC);
CREATE INDEX images_backend_idx ON images (backend_id, ready_at DESC);
CREATE INDEX images_source_node_idx ON images (source_node_id, ready_at DESC);
