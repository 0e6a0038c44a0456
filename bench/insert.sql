-- pgbench script: one single-row insert of a ~250-byte JSON payload per
-- transaction, the raw PostgreSQL limit the controller is compared with.
INSERT INTO bench_inserts (stream, payload) VALUES ('clone_session:' || :client_id,
  '{"role":"target","reported_bytes":123456789,"bytes_transferred":123456789,"bytes_total":500107862016,"transfer_rate_bps":104857600,"status":"transferring","session_id":"6f1c2f44-8a57-4a0f-9a4e-1f1d2b6c7e01","node":"rack1-node07"}'::jsonb);
