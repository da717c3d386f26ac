-- Schema 2 of the server on PostgreSQL: what laptops push and pull (as
-- ../server-sqlite/0002_sync.sql). Op and row ids stay text: they are the laptops' own strings.

-- Every op received, by its device sequence and by its own id: a retry is recognised (same
-- op id: a duplicate, answered again) and a reused sequence refused (another op id).
CREATE TABLE ops_received (
    device_id     uuid   NOT NULL,
    device_seq    bigint NOT NULL,
    op_id         text   NOT NULL UNIQUE,
    entity        text   NOT NULL,
    row_id        text   NOT NULL,
    outcome       text   NOT NULL CHECK (outcome IN ('applied', 'conflict', 'rejected')),
    reject_code   text,              -- why it was refused, answered again on a retry
    reject_reason text,
    received_at   timestamptz NOT NULL,
    PRIMARY KEY (device_id, device_seq)
);

-- Each synced row as it now stands: every field with the version that wrote it
-- ({"field": {"value": …, "version": "…"}}), and the org unit whose devices may see it.
CREATE TABLE sync_rows (
    entity     text  NOT NULL,
    row_id     text  NOT NULL,
    scope_unit uuid  NOT NULL REFERENCES org_units(id),
    state      jsonb NOT NULL,
    PRIMARY KEY (entity, row_id)
);

-- The change log pulled by laptops: one entry per applied op. Versions come from an identity
-- sequence (cache 1: values are handed out in call order across sessions) and are only taken
-- under the push lock, held to commit, so a version is never visible before a smaller one
-- (see postgres_sync.rs). A rolled-back push leaves a gap, never a late arrival.
CREATE TABLE changes (
    version    bigint GENERATED ALWAYS AS IDENTITY (CACHE 1) PRIMARY KEY,
    entity     text   NOT NULL,
    row_id     text   NOT NULL,
    scope_unit uuid   NOT NULL,
    fields     jsonb  NOT NULL,      -- the op's fields as they now stand
    op_id      text   NOT NULL
);
CREATE INDEX changes_scope ON changes (scope_unit, version);

-- Concurrent edits of one field with different values, for a person to review.
CREATE TABLE conflicts (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    op_id      text   NOT NULL,
    entity     text   NOT NULL,
    row_id     text   NOT NULL,
    field      text   NOT NULL,
    kept       jsonb  NOT NULL,      -- {value, version}
    lost       jsonb  NOT NULL,
    created_at timestamptz NOT NULL
);
