-- The read-only role BI tools use (see projections/reporting.sql). NOLOGIN:
-- grant it to a login role, e.g. `CREATE ROLE bi LOGIN PASSWORD '…' IN ROLE pureboot_reporting`.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'pureboot_reporting') THEN
        CREATE ROLE pureboot_reporting NOLOGIN;
    END IF;
END $$;
REVOKE ALL ON events FROM PUBLIC;
