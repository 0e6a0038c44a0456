-- Keys every controller instance shares: the master key that seals `secrets`
-- and the CA (its key sealed, its certificate in clear). Each `sealed` value
-- is AES-256-GCM under the key-encryption key the instances are given
-- (PUREBOOT_KEK_FILE), never readable from a dump alone. Written once, by
-- whichever instance starts first (INSERT … ON CONFLICT DO NOTHING, then
-- read back), so instances starting together agree on one CA.
CREATE TABLE controller_keys (
    name        TEXT PRIMARY KEY,
    sealed      BYTEA       NOT NULL,
    certificate TEXT,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
REVOKE ALL ON controller_keys FROM PUBLIC;
