-- The central server's own database on PostgreSQL: the same meaning as
-- ../server-sqlite/0001_devices_units_codes.sql, in PostgreSQL's types (uuid, bytea,
-- timestamptz). Applied by crates/server/src/storage/postgres.rs, recorded in khuyenhoc_schema.

-- Facts about this database; `epoch` is a UUID made once, when the database is created, and
-- sent in every answer so that clients notice a server restored from an older copy.
CREATE TABLE server_meta (
    key   text PRIMARY KEY,
    value text NOT NULL
);

-- The association's tree: province → commune → … (no fixed levels).
CREATE TABLE org_units (
    id         uuid PRIMARY KEY,
    org_code   text NOT NULL UNIQUE,
    name       text NOT NULL,
    parent_id  uuid REFERENCES org_units(id),
    created_at timestamptz NOT NULL
);
CREATE INDEX org_units_parent ON org_units(parent_id);

-- One-time codes an administrator hands to an officer; only the SHA-256 of the code is kept.
CREATE TABLE enrollment_codes (
    code_hash      bytea PRIMARY KEY,
    unit_id        uuid NOT NULL REFERENCES org_units(id),
    created_at     timestamptz NOT NULL,
    expires_at     timestamptz NOT NULL,
    used_at        timestamptz,
    used_by_device uuid
);

-- Enrolled laptops. The bearer token is kept as its SHA-256 only.
CREATE TABLE devices (
    id          uuid PRIMARY KEY,
    unit_id     uuid NOT NULL REFERENCES org_units(id),
    name        text NOT NULL,
    public_key  bytea NOT NULL,
    token_hash  bytea NOT NULL UNIQUE,
    enrolled_at timestamptz NOT NULL,
    revoked_at  timestamptz
);
