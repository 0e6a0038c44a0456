-- The `reporting` schema: stable views over the read models for BI tools,
-- readable by the NOLOGIN role `pureboot_reporting` (grant it to a login role
-- of your own). Views run with their owner's rights, so the role sees these
-- views and nothing else: not the event log, not the write path.
-- Re-created whenever projections are installed or rebuilt.
CREATE SCHEMA IF NOT EXISTS reporting;

DROP VIEW IF EXISTS reporting.clone_sessions;
CREATE VIEW reporting.clone_sessions AS
SELECT s.id, s.name, s.status, s.clone_mode, s.source_node_id, sn.hostname AS source_hostname,
       s.target_node_id, tn.hostname AS target_hostname, s.source_device, s.target_device, s.resize_mode,
       s.bytes_total, s.bytes_transferred, s.transfer_rate_bps, s.error_message, s.duration_seconds,
       s.created_at, s.started_at, s.completed_at, s.created_by
FROM public.clone_sessions s
LEFT JOIN public.nodes sn ON sn.id = s.source_node_id
LEFT JOIN public.nodes tn ON tn.id = s.target_node_id;

DROP VIEW IF EXISTS reporting.clone_outcomes;
CREATE VIEW reporting.clone_outcomes AS
SELECT session_id, clone_mode, source_node_id, target_node_id, status, created_at, started_at, ended_at,
       bytes_total, bytes_cloned, duration_seconds, transfer_rate_bps, failure_reason, deleted_at IS NOT NULL AS deleted
FROM public.clone_reports;

DROP VIEW IF EXISTS reporting.daily_clone_summary;
CREATE VIEW reporting.daily_clone_summary AS
SELECT date_trunc('day', created_at) AS day,
       count(*) AS created,
       count(*) FILTER (WHERE started_at IS NOT NULL) AS started,
       count(*) FILTER (WHERE status = 'completed') AS completed,
       count(*) FILTER (WHERE status = 'failed') AS failed,
       count(*) FILTER (WHERE status = 'cancelled') AS cancelled,
       COALESCE(sum(bytes_cloned) FILTER (WHERE status = 'completed'), 0) AS bytes_cloned
FROM public.clone_reports
GROUP BY 1;

DROP VIEW IF EXISTS reporting.nodes;
CREATE VIEW reporting.nodes AS
SELECT id, mac_address, hostname, ip_address, arch, state, created_at, updated_at FROM public.nodes;

GRANT USAGE ON SCHEMA reporting TO pureboot_reporting;
GRANT SELECT ON ALL TABLES IN SCHEMA reporting TO pureboot_reporting;
