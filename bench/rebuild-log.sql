-- psql "$DATABASE_URL" -f bench/rebuild-log.sql on a migrated, empty database (`pureboot migrate`):
-- the log of BENCHMARKS.md round four's rebuild A/B (861,732 events), in the
-- mix `./scripts/bench.sh` appends. Checked against a short real bench run's
-- `SELECT event_type, count(*) FROM events GROUP BY 1` and payloads, and
-- scaled to the bench's defaults; each request's events are together, its
-- unique claims first, with the request's metadata columns:
-- - list: 100k sessions (created + 2 certificates), each with its own target
--   node (its MAC's unique claim + node.registered) and the session's claim on it;
-- - create: 10k sessions created and deleted (2 certificates, the target's
--   claim and release) over 32 node pairs;
-- - progress: 200 sessions started and source-ready, each with its own
--   target node, and 200k progress reports.
-- Round three's log (540,800 events) held the sessions alone: no nodes, claims or metadata.
CREATE TEMP TABLE s AS SELECT g AS n, gen_random_uuid() AS id FROM generate_series(1, 110200) g;
-- Nodes: 1 and 2 the sources of list and progress, 3..66 the create pairs,
-- then one target per list session and per progress session.
CREATE TEMP TABLE node AS SELECT g AS n, gen_random_uuid() AS id,
  regexp_replace(substr(md5(g::text), 1, 12), '(..)(?!$)', '\1:', 'g') AS mac FROM generate_series(1, 100266) g;
CREATE TEMP TABLE st AS SELECT s.n, s.id, src.id AS source, tgt.id AS target FROM s
  JOIN node src ON src.n = CASE WHEN s.n <= 100000 THEN 1 WHEN s.n <= 110000 THEN 3 + 2 * (s.n % 32) ELSE 2 END
  JOIN node tgt ON tgt.n = CASE WHEN s.n <= 100000 THEN 66 + s.n WHEN s.n <= 110000 THEN 4 + 2 * (s.n % 32)
                                ELSE 66 + s.n - 10000 END;
CREATE FUNCTION pg_temp.now() RETURNS text LANGUAGE sql AS $$
  SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') $$;
CREATE FUNCTION pg_temp.created(id uuid, source uuid, target uuid) RETURNS jsonb LANGUAGE sql AS $$
  SELECT jsonb_build_object('id', id, 'name', NULL, 'clone_mode', 'direct', 'source_node_id', source,
    'target_node_id', target, 'source_device', '/dev/sda', 'target_device', '/dev/sda',
    'staging_backend_id', NULL, 'resize_mode', 'none', 'created_by', 'operator:bootstrap-admin', 'at', pg_temp.now()) $$;
CREATE FUNCTION pg_temp.cert(id uuid, role text) RETURNS jsonb LANGUAGE sql AS $$
  SELECT jsonb_build_object('role', role, 'serial', md5(random()::text),
    'fingerprint_sha256', md5(random()::text) || md5(random()::text), 'subject', 'CN=clone-' || id || '-' || role || ',O=PureBoot',
    'not_before', '2026-11-30T04:51:10Z', 'not_after', '2026-12-01T04:52:10Z') $$;
-- The events of each request (k orders them), with its metadata.
CREATE TEMP TABLE log (n bigint, k int, stream text, version bigint, event_type text, payload jsonb, actor text);
-- POST /nodes: a list or progress session's target just before the session.
INSERT INTO log SELECT COALESCE(100266 + 3 * st.n, node.n), e.k, e.stream, 1, e.t, e.p, 'operator:bootstrap-admin'
FROM node LEFT JOIN st ON st.target = node.id AND st.n NOT BETWEEN 100001 AND 110000, LATERAL (VALUES
  (1, 'unique:mac/' || mac, 'unique.claimed', jsonb_build_object('owner', node.id)),
  (2, 'node:' || node.id, 'node.registered', jsonb_build_object('id', node.id, 'mac_address', mac, 'hostname', 'bench',
      'ip_address', NULL, 'arch', 'x86_64', 'state', 'discovered', 'at', pg_temp.now()))) e(k, stream, t, p);
-- POST /clone-sessions; then DELETE (create), or start and source-ready
-- (progress). A create pair's target is claimed and released by each of
-- its sessions in turn.
INSERT INTO log SELECT 100267 + 3 * st.n + (e.k > 4)::int, e.k, e.stream, e.v, e.t, e.p, e.actor FROM st, LATERAL (VALUES
  (1, 'unique:clone_target/' || st.target, CASE WHEN st.n BETWEEN 100001 AND 110000
      THEN 1 + 2 * ((st.n - 100001) / 32) ELSE 1 END, 'unique.claimed', jsonb_build_object('owner', st.id), 'operator:bootstrap-admin'),
  (2, 'clone_session:' || st.id, 1, 'clone_session.created', pg_temp.created(st.id, st.source, st.target), 'operator:bootstrap-admin'),
  (3, 'clone_session:' || st.id, 2, 'clone_session.certificate_issued', pg_temp.cert(st.id, 'source'), 'operator:bootstrap-admin'),
  (4, 'clone_session:' || st.id, 3, 'clone_session.certificate_issued', pg_temp.cert(st.id, 'target'), 'operator:bootstrap-admin'),
  (5, 'unique:clone_target/' || st.target, 2 + 2 * ((st.n - 100001) / 32), 'unique.released',
      jsonb_build_object('owner', st.id), 'operator:bootstrap-admin'),
  (6, 'clone_session:' || st.id, 4, 'clone_session.deleted', jsonb_build_object('at', pg_temp.now()), 'operator:bootstrap-admin'),
  (7, 'clone_session:' || st.id, 4, 'clone_session.started',
      jsonb_build_object('source_node_id', st.source, 'target_node_id', st.target), 'node:source'),
  (8, 'clone_session:' || st.id, 5, 'clone_session.source_ready', jsonb_build_object('ip', '10.0.0.5', 'port', 9999,
      'size_bytes', 1125899906842624, 'device', '/dev/sda', 'at', pg_temp.now()), 'node:source')) e(k, stream, v, t, p, actor)
WHERE e.k <= 4 OR (st.n BETWEEN 100001 AND 110000 AND e.k IN (5, 6)) OR (st.n > 110000 AND e.k IN (7, 8));
-- POST /clone-sessions/{id}/progress, the sessions in turn.
INSERT INTO log SELECT 500000 + 200 * r + s.n - 110000, 1, 'clone_session:' || s.id, 5 + r, 'clone_session.progress_reported',
  jsonb_build_object('role', 'target', 'reported_bytes', r, 'bytes_transferred', r, 'bytes_total', 1125899906842624,
    'transfer_rate_bps', 1000000, 'status', 'transferring'), 'node:target'
FROM generate_series(1, 1000) r, s WHERE s.n > 110000;
INSERT INTO events (stream, version, event_type, schema_version, payload, actor, request_id, remote_addr, correlation_id)
SELECT stream, version, event_type, 1, payload, actor, md5('request' || n)::uuid::text, '127.0.0.1',
  md5('request' || n)::uuid::text FROM log ORDER BY n, k;
SELECT event_type, count(*) FROM events GROUP BY 1 ORDER BY 1;
SELECT count(*), max(position) FROM events;
