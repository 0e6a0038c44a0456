-- The event log: the only source of truth. Everything else is derived from it.
--
-- Ordering guarantee ("readers never skip an event"):
-- every INSERT into `events` first takes one transaction-scoped advisory lock
-- (the statement trigger below), so positions are handed out and committed one
-- transaction at a time. PostgreSQL makes a commit visible before it releases
-- the transaction's locks, so by the time position N+1 can be assigned, the
-- transaction holding N has either committed (and is visible) or rolled back
-- (leaving a harmless gap). A reader that has seen N+1 can therefore never
-- later see N appear. The controller batches many commands into one
-- transaction (group commit), so the lock costs one hand-off per batch, not
-- one per command.
CREATE TABLE events (
    position        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    stream          TEXT        NOT NULL,
    category        TEXT        NOT NULL GENERATED ALWAYS AS (split_part(stream, ':', 1)) STORED,
    version         BIGINT      NOT NULL CHECK (version > 0),
    event_type      TEXT        NOT NULL,
    schema_version  INTEGER     NOT NULL CHECK (schema_version > 0),
    payload         JSONB       NOT NULL,
    actor           TEXT,
    request_id      TEXT,
    remote_addr     TEXT,
    correlation_id  TEXT,
    causation_id    TEXT,
    recorded_at     TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
    CONSTRAINT events_stream_version_key UNIQUE (stream, version)
);

CREATE INDEX events_category_position_idx ON events (category, position);
CREATE INDEX events_type_position_idx ON events (event_type, position);
CREATE INDEX events_actor_position_idx ON events (actor, position) WHERE actor IS NOT NULL;
CREATE INDEX events_recorded_at_idx ON events (recorded_at);

-- Key of the append lock; the Rust side uses the same number (event_store::append::APPEND_LOCK).
CREATE FUNCTION events_serialize_appends() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(5797665874541244276);
    RETURN NULL;
END $$;

CREATE TRIGGER events_serialize_appends
    BEFORE INSERT ON events
    FOR EACH STATEMENT EXECUTE FUNCTION events_serialize_appends();

-- The log is append-only, enforced by the database itself.
CREATE FUNCTION events_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the event log is append-only: % on events is not allowed', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END $$;

CREATE TRIGGER events_no_update_delete
    BEFORE UPDATE OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION events_refuse_change();

CREATE TRIGGER events_no_truncate
    BEFORE TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION events_refuse_change();

-- Where each projection has got to, and which definition built its tables.
-- Advanced in the same transaction as the projection's read-model writes.
CREATE TABLE projection_checkpoints (
    name        TEXT PRIMARY KEY,
    position    BIGINT      NOT NULL DEFAULT 0,
    definition  TEXT        NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Material that must never enter the log (private keys, certificate PEMs,
-- token hashes). Rows are written in the same transaction as the events that
-- create them and deleted when their owner (a stream) ends.
CREATE TABLE secrets (
    owner       TEXT        NOT NULL,
    kind        TEXT        NOT NULL,
    value       BYTEA       NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (owner, kind)
);
