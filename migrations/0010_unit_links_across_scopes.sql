-- Schema 10: a unit may name a parent (or a successor) this laptop does not hold. A laptop
-- enrolled below the commune (a village branch with its own code on the server) keeps only its
-- own part of the tree: its top unit's parent, the commune, lies outside what it pulls. The
-- link is kept as the server holds it (so nothing is lost or pushed back changed), and the
-- tree shows such a unit as a root. The store still checks, when a person creates or moves a
-- unit here, that the parent is a unit of this laptop.
--
-- SQLite cannot drop a constraint in place: the table is rebuilt, with foreign keys switched
-- off by the store for the migration and `PRAGMA foreign_key_check` run before it commits.

CREATE TABLE org_units_new (
    id              TEXT    PRIMARY KEY,
    parent_id       TEXT,                     -- an org unit, possibly outside this laptop's scope
    kind            TEXT    NOT NULL,         -- a code of org_unit_kinds (data, not a constraint: synced rows may name a kind this laptop lacks)
    name            TEXT    NOT NULL,
    org_code        TEXT,
    valid_from      TEXT,                     -- yyyy-mm-dd
    valid_to        TEXT,                     -- set when closed or merged
    merged_into     TEXT,                     -- the successor, possibly outside this laptop's scope
    created_version TEXT    NOT NULL,
    versions        TEXT    NOT NULL DEFAULT '{}',
    deleted         INTEGER NOT NULL DEFAULT 0
) STRICT;

INSERT INTO org_units_new (id, parent_id, kind, name, org_code, valid_from, valid_to, merged_into, created_version, versions, deleted)
SELECT id, parent_id, kind, name, org_code, valid_from, valid_to, merged_into, created_version, versions, deleted
  FROM org_units;

DROP TABLE org_units;
ALTER TABLE org_units_new RENAME TO org_units;

CREATE INDEX org_units_parent ON org_units (parent_id);
CREATE INDEX org_units_code ON org_units (org_code);
