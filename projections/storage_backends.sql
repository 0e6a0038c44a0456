-- Read model of storage backends (projection `storage_backends`).
CREATE TABLE storage_backends (
    id          UUID PRIMARY KEY,
    name        TEXT        NOT NULL,
    type        TEXT        NOT NULL,
    -- the public fields only; credentials are sealed in `secrets`
    config      JSONB       NOT NULL,
    -- names of the credentials that are set
    credentials TEXT[]      NOT NULL DEFAULT '{}',
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX storage_backends_created_idx ON storage_backends (created_at DESC, id DESC);
