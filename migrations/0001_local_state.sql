-- Marks the file as a khuyenhoc database ("KHHO" = 0x4B48484F), in the same transaction as
-- the schema, so no crash can leave a migrated file without it.
PRAGMA application_id = 1263028303;

-- Schema 1: this device's identity, its hybrid logical clock, and the outbox of changes
-- waiting to be pushed to the central server (the sync issue builds on exactly this).

CREATE TABLE local_state (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    device_id   TEXT    NOT NULL,           -- UUIDv7 made on this laptop
    next_seq    INTEGER NOT NULL,           -- next device sequence, allocated inside write transactions
    hlc_wall_ms INTEGER NOT NULL,           -- hybrid logical clock: last wall time used
    hlc_counter INTEGER NOT NULL,           -- and its counter
    created_at  TEXT    NOT NULL,
    -- 1 in every copy made by backup: whoever opens a copy (a restore here, or another laptop)
    -- takes a new device identity, so two laptops never send ops under one (device, sequence).
    needs_new_identity INTEGER NOT NULL DEFAULT 0
) STRICT;

-- One row per change made on this device. `fields` is a JSON object of the changed fields only,
-- {"field": <new value>}; `bases` holds, for fields this device had seen before, the version it
-- last saw, {"field": "<version>"} (NULL when there is none, as for every create).
CREATE TABLE outbox (
    seq        INTEGER PRIMARY KEY,         -- local order of writing
    device_id  TEXT    NOT NULL,
    device_seq INTEGER NOT NULL,            -- allocated inside the write transaction
    op_id      TEXT    NOT NULL,            -- UUIDv7
    op_format  INTEGER NOT NULL,            -- version of this op's format, not of the local schema
    entity     TEXT    NOT NULL,            -- e.g. member, org_unit
    row_id     TEXT    NOT NULL,
    intent     TEXT    NOT NULL,            -- e.g. member.create, member.update
    fields     TEXT    NOT NULL,
    bases      TEXT,
    author     TEXT    NOT NULL,
    version    TEXT    NOT NULL,            -- HLC stamp of this op (becomes the fields' version)
    acked      INTEGER NOT NULL DEFAULT 0,  -- set when the server acknowledged it
    UNIQUE (device_id, device_seq)
) STRICT;

CREATE INDEX outbox_pending ON outbox (device_seq) WHERE acked = 0;
