-- Read model of the disks each node last reported (projection `disk_info`):
-- one row per node and device in the node's current view. A report that no
-- longer lists a device deletes its row; the log keeps its history. Derived
-- numbers (size_human, used_percent, can_shrink, min_size_bytes) are computed
-- by the domain when responding, so changing their rules needs no rebuild.
CREATE TABLE disk_info (
    id               UUID PRIMARY KEY,
    node_id          UUID        NOT NULL,
    device           TEXT        NOT NULL,
    size_bytes       BIGINT      NOT NULL,
    model            TEXT,
    serial           TEXT,
    partition_table  TEXT        NOT NULL,
    -- Bytes per logical and physical sector (512 or 4096).
    logical_sector_size  INTEGER NOT NULL,
    physical_sector_size INTEGER NOT NULL,
    -- The scanned partitions as reported (domain `PartitionScan`), by number.
    partitions       JSONB       NOT NULL,
    scanned_at       TIMESTAMPTZ NOT NULL,
    last_position    BIGINT      NOT NULL,
    UNIQUE (node_id, device)
);
-- When each node was last asked for a scan and last reported one.
CREATE TABLE disk_scans (
    node_id       UUID PRIMARY KEY,
    requested_at  TIMESTAMPTZ,
    scanned_at    TIMESTAMPTZ
);
