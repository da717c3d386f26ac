-- The central server's own database (not the desktop's: those migrations are ../0001_…).
-- Times are milliseconds since the Unix epoch (UTC). Ids are UUIDs in their text form.

-- Facts about this database; `epoch` is a UUID made once, when the database is created, and
-- sent in every answer so that clients notice a server restored from an older copy.
CREATE TABLE server_meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

-- The association's tree: province → commune → … (no fixed levels).
CREATE TABLE org_units (
    id         TEXT PRIMARY KEY,
    org_code   TEXT NOT NULL UNIQUE,
    name       TEXT NOT NULL,
    parent_id  TEXT REFERENCES org_units(id),
    created_at INTEGER NOT NULL
) STRICT;
CREATE INDEX org_units_parent ON org_units(parent_id);

-- One-time codes an administrator hands to an officer; only the SHA-256 of the code is kept.
CREATE TABLE enrollment_codes (
    code_hash      BLOB PRIMARY KEY,
    unit_id        TEXT NOT NULL REFERENCES org_units(id),
    created_at     INTEGER NOT NULL,
    expires_at     INTEGER NOT NULL,
    used_at        INTEGER,
    used_by_device TEXT
) STRICT;

-- Enrolled laptops. The bearer token is kept as its SHA-256 only.
CREATE TABLE devices (
    id          TEXT PRIMARY KEY,
    unit_id     TEXT NOT NULL REFERENCES org_units(id),
    name        TEXT NOT NULL,
    public_key  BLOB NOT NULL,
    token_hash  BLOB NOT NULL UNIQUE,
    enrolled_at INTEGER NOT NULL,
    revoked_at  INTEGER
) STRICT;
