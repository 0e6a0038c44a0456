-- psql "$DATABASE_URL" -f bench/rebuild-log.sql on a migrated, empty database (`pureboot migrate`):
-- the log of BENCHMARKS.md round three's rebuild A/B (540,800 events).
-- A bench-like log: 100k listed sessions (created + 2 certificates), 10k
-- created-and-deleted sessions, 200 cloning sessions with 200k progress reports.
CREATE TEMP TABLE s AS SELECT g AS n, gen_random_uuid() AS id FROM generate_series(1, 110200) g;
CREATE FUNCTION pg_temp.created(id uuid, n int) RETURNS jsonb LANGUAGE sql AS $$
  SELECT jsonb_build_object('id', id, 'name', NULL, 'clone_mode', 'direct', 'source_node_id', gen_random_uuid(),
    'target_node_id', gen_random_uuid(), 'source_device', '/dev/sda', 'target_device', '/dev/sda',
    'staging_backend_id', NULL, 'resize_mode', 'none', 'created_by', 'admin',
    'at', to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') || '123Z') $$;
CREATE FUNCTION pg_temp.cert(role text) RETURNS jsonb LANGUAGE sql AS $$
  SELECT jsonb_build_object('role', role, 'serial', md5(random()::text), 'fingerprint_sha256', md5(random()::text),
    'subject', 'CN=session', 'not_before', '2026-11-30T00:00:00Z', 'not_after', '2026-12-01T00:00:00.123456789Z') $$;
INSERT INTO events (stream, version, event_type, schema_version, payload)
SELECT 'clone_session:' || id, v, t, 1, p FROM (
  SELECT s.n, s.id, e.v, e.t, e.p FROM s, LATERAL (VALUES
    (1, 'clone_session.created', pg_temp.created(s.id, s.n)),
    (2, 'clone_session.certificate_issued', pg_temp.cert('source')),
    (3, 'clone_session.certificate_issued', pg_temp.cert('target')),
    (4, CASE WHEN s.n > 110000 THEN 'clone_session.source_ready' ELSE 'clone_session.deleted' END,
        CASE WHEN s.n > 110000 THEN jsonb_build_object('ip', '10.0.0.5', 'port', 9999, 'size_bytes', 1073741824,
             'device', '/dev/sda', 'at', '2026-11-30T00:00:01.5Z')
             ELSE jsonb_build_object('at', '2026-11-30T00:00:02Z') END)) e(v, t, p)
  WHERE e.v < 4 OR s.n > 100000
  ORDER BY s.n, e.v) x;
INSERT INTO events (stream, version, event_type, schema_version, payload)
SELECT 'clone_session:' || s.id, 4 + r, 'clone_session.progress_reported', 1,
  jsonb_build_object('role', 'target', 'reported_bytes', r * 4096, 'bytes_transferred', r * 4096,
    'bytes_total', 1073741824, 'transfer_rate_bps', 100000000, 'status', 'transferring')
FROM generate_series(1, 1000) r, s WHERE s.n > 110000 ORDER BY r, s.n;
SELECT count(*), max(position) FROM events;
