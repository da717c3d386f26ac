-- Schema 4: the officers who use the app, their roles, and settings of this laptop.
-- Officers are synced rows (a second laptop of the commune gets them by sync), so they carry
-- created_version / versions / deleted like the register. The PIN is stored only as an
-- argon2id hash (PHC string); neither the PIN nor the hash is ever logged.

CREATE TABLE officers (
    id              TEXT    PRIMARY KEY,      -- UUIDv7
    username        TEXT    NOT NULL,         -- login name: lower case, no tone marks
    full_name       TEXT    NOT NULL,
    role            TEXT    NOT NULL,         -- chairperson | secretary | treasurer | viewer
    pin_hash        TEXT    NOT NULL,         -- argon2id PHC string
    active          INTEGER NOT NULL DEFAULT 1,
    created_version TEXT    NOT NULL,
    versions        TEXT    NOT NULL DEFAULT '{}',
    deleted         INTEGER NOT NULL DEFAULT 0
) STRICT;

CREATE UNIQUE INDEX officers_username ON officers (username) WHERE deleted = 0;

-- Failed PIN attempts on this laptop (not synced): after several, logins wait a while.
CREATE TABLE login_failures (
    username        TEXT    PRIMARY KEY,
    failures        INTEGER NOT NULL,
    locked_until_ms INTEGER NOT NULL DEFAULT 0
) STRICT;

-- Settings of this laptop (not synced): the association it serves, the language, the time of
-- the last backup.
CREATE TABLE local_settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;
