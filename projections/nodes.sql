-- Read model of the node registry (projection `nodes`). Disposable: dropped
-- and rebuilt from the log whenever this file or its Rust fold changes.
CREATE TABLE nodes (
    id           UUID PRIMARY KEY,
    mac_address  TEXT        NOT NULL,
    hostname     TEXT        NOT NULL,
    ip_address   TEXT,
    arch         TEXT        NOT NULL,
    state        TEXT        NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX nodes_created_idx ON nodes (created_at DESC, id DESC);
CREATE INDEX nodes_mac_idx ON nodes (mac_address);
