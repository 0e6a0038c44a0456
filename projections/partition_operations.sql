-- Read model of partition operations (projection `partition_operations`):
-- the spec's PartitionOperation columns, plus when the operation was handed
-- to the node (`applied_at`, NULL while it is only queued) and started.
-- Removed operations are deleted here; the log keeps them.
CREATE TABLE partition_operations (
    id             UUID PRIMARY KEY,
    node_id        UUID        NOT NULL,
    session_id     UUID,
    device         TEXT        NOT NULL,
    operation      TEXT        NOT NULL,
    params         JSONB       NOT NULL,
    sequence       INTEGER     NOT NULL,
    status         TEXT        NOT NULL,
    error_message  TEXT,
    created_at     TIMESTAMPTZ NOT NULL,
    applied_at     TIMESTAMPTZ,
    started_at     TIMESTAMPTZ,
    executed_at    TIMESTAMPTZ,
    updated_at     TIMESTAMPTZ NOT NULL,
    last_position  BIGINT      NOT NULL,
    -- Also serves "a device's queue in sequence order" and the node's poll.
    UNIQUE (node_id, device, sequence)
);
