-- Read model of storage backends (projection `storage_backends`).
CREATE TABLE storage_backends (
    id          UUID PRIMARY KEY,
    name        TEXT        NOT NULL,
    type        TEXT        NOT NULL,
    config      JSONB       NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX storage_backends_created_idx ON storage_backends (created_at DESC, id DESC);
