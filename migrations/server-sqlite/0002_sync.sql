-- Schema 2 of the server: what laptops push and pull (issue #4).

-- Every op received, by its device sequence and by its own id: a retry is recognised (same
-- op id: a duplicate, answered again) and a reused sequence refused (another op id).
CREATE TABLE ops_received (
    device_id   TEXT    NOT NULL,
    device_seq  INTEGER NOT NULL,
    op_id       TEXT    NOT NULL UNIQUE,
    entity      TEXT    NOT NULL,
    row_id      TEXT    NOT NULL,
    outcome     TEXT    NOT NULL,        -- applied | conflict | rejected
    reject_code TEXT,                    -- why it was refused, answered again on a retry
    reject_reason TEXT,
    received_at INTEGER NOT NULL,
    PRIMARY KEY (device_id, device_seq)
) STRICT;

-- Each synced row as it now stands: every field with the version that wrote it (JSON
-- {"field": {"value": …, "version": "…"}}), and the org unit whose devices may see it.
CREATE TABLE sync_rows (
    entity     TEXT NOT NULL,
    row_id     TEXT NOT NULL,
    scope_unit TEXT NOT NULL REFERENCES org_units(id),
    state      TEXT NOT NULL,
    PRIMARY KEY (entity, row_id)
) STRICT;

-- The change log pulled by laptops: one entry per applied op, numbered in commit order (one
-- writer at a time on SQLite, so a version is never visible before a smaller one).
CREATE TABLE changes (
    version    INTEGER PRIMARY KEY AUTOINCREMENT,
    entity     TEXT    NOT NULL,
    row_id     TEXT    NOT NULL,
    scope_unit TEXT    NOT NULL,
    fields     TEXT    NOT NULL,         -- the op's fields as they now stand (JSON)
    op_id      TEXT    NOT NULL
) STRICT;
CREATE INDEX changes_scope ON changes (scope_unit, version);

-- Concurrent edits of one field with different values, for a person to review.
CREATE TABLE conflicts (
    id         INTEGER PRIMARY KEY,
    op_id      TEXT    NOT NULL,
    entity     TEXT    NOT NULL,
    row_id     TEXT    NOT NULL,
    field      TEXT    NOT NULL,
    kept       TEXT    NOT NULL,         -- JSON {value, version}
    lost       TEXT    NOT NULL,
    created_at INTEGER NOT NULL
) STRICT;
