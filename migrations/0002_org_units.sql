-- Schema 2: the org-unit tree (no hard-coded levels), its history, and yearly denominators.
-- Synced rows carry `created_version` (HLC stamp of their creation), `versions` (JSON object:
-- field -> HLC stamp of its last change, absent = created_version) and `deleted` (tombstone).
-- Foreign keys are deferred to commit, so within one page of pulled changes a row may refer to
-- one created later in the same page (a row's own create must still come before its updates).

CREATE TABLE org_unit_kinds (
    code           TEXT    PRIMARY KEY,
    name_vi        TEXT    NOT NULL,
    name_en        TEXT    NOT NULL,
    is_association INTEGER NOT NULL DEFAULT 0   -- 1: a Hội (commune/province); scopes card numbers
) STRICT;

INSERT INTO org_unit_kinds (code, name_vi, name_en, is_association) VALUES
    ('central',  'Trung ương Hội',                    'Central association',  1),
    ('province', 'Hội Khuyến học tỉnh/thành phố',      'Provincial association', 1),
    ('district', 'Hội Khuyến học huyện (trước 7/2025)', 'District association (before 07/2025)', 1),
    ('commune',  'Hội Khuyến học xã/phường/đặc khu',   'Commune association',  1),
    ('branch',   'Chi hội khuyến học',                 'Branch (chi hội)',     0),
    ('group',    'Tổ khuyến học',                      'Group (tổ)',           0),
    ('committee','Ban khuyến học',                     'Committee (ban)',      0);

CREATE TABLE org_units (
    id              TEXT    PRIMARY KEY,
    parent_id       TEXT    REFERENCES org_units (id) DEFERRABLE INITIALLY DEFERRED,
    kind            TEXT    NOT NULL,         -- a code of org_unit_kinds (data, not a constraint: synced rows may name a kind this laptop lacks)
    name            TEXT    NOT NULL,
    org_code        TEXT,
    valid_from      TEXT,                     -- yyyy-mm-dd
    valid_to        TEXT,                     -- set when closed or merged
    merged_into     TEXT    REFERENCES org_units (id) DEFERRABLE INITIALLY DEFERRED,
    created_version TEXT    NOT NULL,
    versions        TEXT    NOT NULL DEFAULT '{}',
    deleted         INTEGER NOT NULL DEFAULT 0
) STRICT;

CREATE INDEX org_units_parent ON org_units (parent_id);
CREATE INDEX org_units_code ON org_units (org_code);

-- History of a unit: created, renamed, moved, merged, closed. Insert-only.
CREATE TABLE org_unit_events (
    id             TEXT PRIMARY KEY,
    unit_id        TEXT NOT NULL REFERENCES org_units (id) DEFERRABLE INITIALLY DEFERRED,
    event          TEXT NOT NULL,             -- create | rename | move | merge | absorb | close
    effective_date TEXT,
    from_parent_id TEXT,
    to_parent_id   TEXT,
    other_unit_id  TEXT,                      -- merge: the successor; absorb: the merged unit
    old_name       TEXT,
    new_name       TEXT,
    note           TEXT,
    version        TEXT NOT NULL,
    author         TEXT NOT NULL
) STRICT;

CREATE INDEX org_unit_events_unit ON org_unit_events (unit_id, version);

-- Yearly denominators of a unit with their source (e.g. "Niên giám thống kê 2024").
CREATE TABLE unit_denominators (
    id              TEXT    PRIMARY KEY,      -- UUIDv5 of unit, year and kind
    unit_id         TEXT    NOT NULL REFERENCES org_units (id) DEFERRABLE INITIALLY DEFERRED,
    year            INTEGER NOT NULL,
    kind            TEXT    NOT NULL,         -- population | households | clans | communities | units
    value           INTEGER NOT NULL CHECK (value >= 0),
    source          TEXT,
    created_version TEXT    NOT NULL,
    versions        TEXT    NOT NULL DEFAULT '{}',
    deleted         INTEGER NOT NULL DEFAULT 0,
    UNIQUE (unit_id, year, kind)
) STRICT;
