-- One server-side call per group commit. The append used to take the append
-- lock, read the written streams' versions and the log's head in one round
-- trip, check the versions in the controller, then insert in a second round
-- trip: two network round trips with the lock held, during which no other
-- batch can append (BENCHMARKS.md, "Timeline of one batch"). `append_events`
-- does the same work inside PostgreSQL, so `BEGIN`, the call and `COMMIT`
-- travel together and the lock is held for the call's execution and the
-- commit's flush only.
--
-- Inside it, a name that is both a parameter and a column of `events` means
-- the column (`#variable_conflict use_column`); the parameters are qualified.
--
-- Its statements run one after another in READ COMMITTED, each with a fresh
-- snapshot (a VOLATILE function's), so the versions and the head are read
-- after the lock is granted: they include every batch committed before this
-- one, as the two-statement version's did.

-- Appends a batch of requests (each a set of stream writes, all or nothing).
--
-- In: one element per stream write (its request's index in the batch, its
-- stream, the version the request decided on — NULL for any — and its event
-- count), then one element per event, the writes' events in order (its
-- write's 1-based index, its 1-based place in that write, type, schema
-- version, payload and metadata), then the NOTIFY channel.
--
-- Out: the log's head before the batch; per write, the version its stream is
-- at just before it (NULL when its request is refused); the refused requests
-- (a write whose expected version is not its stream's, counting the accepted
-- writes before it in the batch), each with that stream and both versions;
-- the inserted rows' position, stream, version and recorded_at. A refused
-- request writes nothing and leaves the others unaffected.
CREATE FUNCTION append_events(
    write_request  INTEGER[],
    write_stream   TEXT[],
    write_expected BIGINT[],
    write_events   INTEGER[],
    event_write    INTEGER[],
    event_nth      INTEGER[],
    event_type     TEXT[],
    schema_version INTEGER[],
    payload        JSONB[],
    actor          TEXT[],
    request_id     TEXT[],
    remote_addr    TEXT[],
    correlation_id TEXT[],
    causation_id   TEXT[],
    channel        TEXT,
    OUT head_before          BIGINT,
    OUT write_before         BIGINT[],
    OUT refused_request      INTEGER[],
    OUT refused_stream       TEXT[],
    OUT refused_expected     BIGINT[],
    OUT refused_actual       BIGINT[],
    OUT inserted_position    BIGINT[],
    OUT inserted_stream      TEXT[],
    OUT inserted_version     BIGINT[],
    OUT inserted_recorded_at TIMESTAMPTZ[]
) LANGUAGE plpgsql VOLATILE AS $$
#variable_conflict use_column
DECLARE
    current BIGINT[];
    conflict INTEGER;
BEGIN
    PERFORM pg_advisory_xact_lock(5797665874541244276);
    SELECT COALESCE(max(e.position), 0) INTO head_before FROM events e;
    SELECT array_agg((SELECT COALESCE(max(e.version), 0) FROM events e WHERE e.stream = w.stream) ORDER BY w.ord)
    INTO current
    FROM unnest(write_stream) WITH ORDINALITY AS w(stream, ord);
    refused_request := '{}';
    refused_stream := '{}';
    refused_expected := '{}';
    refused_actual := '{}';
    -- Plan, and while a write does not match, refuse its request and plan
    -- again: a refused request's writes no longer count before the later
    -- writes to the same streams.
    LOOP
        SELECT array_agg(w.before ORDER BY w.ord) INTO write_before
        FROM (SELECT w.ord,
                     CASE WHEN w.request = ANY (refused_request) THEN NULL
                          ELSE current[w.ord] + COALESCE(sum(CASE WHEN w.request = ANY (refused_request) THEN 0
                                                                  ELSE w.events END)
                              OVER (PARTITION BY w.stream ORDER BY w.ord
                                    ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) END AS before
              FROM unnest(write_request, write_stream, write_events) WITH ORDINALITY AS w(request, stream, events, ord)
             ) w;
        SELECT o INTO conflict FROM generate_subscripts(write_expected, 1) AS o
        WHERE write_expected[o] <> write_before[o] ORDER BY o LIMIT 1;
        EXIT WHEN NOT FOUND;
        refused_request := refused_request || write_request[conflict];
        refused_stream := refused_stream || write_stream[conflict];
        refused_expected := refused_expected || write_expected[conflict];
        refused_actual := refused_actual || write_before[conflict];
    END LOOP;

    WITH inserted AS (
        INSERT INTO events (stream, version, event_type, schema_version, payload,
                            actor, request_id, remote_addr, correlation_id, causation_id)
        SELECT write_stream[e.write], write_before[e.write] + e.nth, e.event_type, e.schema_version, e.payload,
               e.actor, e.request_id, e.remote_addr, e.correlation_id, e.causation_id
        FROM unnest(append_events.event_write, append_events.event_nth, append_events.event_type,
                    append_events.schema_version, append_events.payload, append_events.actor,
                    append_events.request_id, append_events.remote_addr, append_events.correlation_id,
                    append_events.causation_id)
             WITH ORDINALITY AS e(write, nth, event_type, schema_version, payload, actor, request_id, remote_addr,
                                  correlation_id, causation_id, ord)
        WHERE write_before[e.write] IS NOT NULL
        ORDER BY e.ord
        RETURNING position, stream, version, recorded_at
    )
    SELECT array_agg(position), array_agg(stream), array_agg(version), array_agg(recorded_at)
    INTO inserted_position, inserted_stream, inserted_version, inserted_recorded_at
    FROM inserted;

    -- The new head is announced (NOTIFY, delivered at commit) in the same call.
    IF inserted_position IS NOT NULL THEN
        PERFORM pg_notify(channel, (SELECT max(p) FROM unnest(inserted_position) AS p)::text);
    END IF;
END $$;

-- Only the controller appends: like the tables (V3), the function is not
-- PUBLIC's to call (it runs with its caller's rights, so a role without
-- INSERT on `events` could not append through it anyway).
REVOKE ALL ON FUNCTION append_events(INTEGER[], TEXT[], BIGINT[], INTEGER[], INTEGER[], INTEGER[], TEXT[],
                                     INTEGER[], JSONB[], TEXT[], TEXT[], TEXT[], TEXT[], TEXT[], TEXT) FROM PUBLIC;
