-- Every index on `events` is paid by every append (measured: 200,000
-- progress-report rows insert in 2.2–2.6 s with only the primary key and
-- (stream, version), 3.7–5.3 s with every index of V1). Kept: the primary key
-- (reads by position), (stream, version) (version checks, stream reads), and
-- the category and type indexes, which the audit filters' plans use for rare
-- categories and types. Dropped:
-- - the actor index: an actor filter walks the position index instead (a
--   common actor's page at once; an actor absent from a 300,000-event log
--   is a 50 ms scan);
-- - the recorded_at b-tree, for a BRIN index: recorded_at grows with the
--   position, so block ranges summarise it in a few pages (24 kB for 300,000
--   rows) at almost no cost per append, and a time window is still a bitmap
--   scan of its blocks.
DROP INDEX IF EXISTS events_actor_position_idx;
DROP INDEX IF EXISTS events_recorded_at_idx;
CREATE INDEX events_recorded_at_brin ON events USING brin (recorded_at);
