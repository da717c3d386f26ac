-- Schema 6: this laptop's side of sync with the central server (issue #4).

-- Where pulling stands: the server database it belongs to (its epoch: a restored server has a
-- new one, and the laptop then pulls from zero) and the last change version applied. The
-- cursor moves in the same transaction as the page of changes it follows.
-- Enrollment: the server, this device's token (a secret: never logged, not kept by a copy of
-- the file, see `needs_new_identity`), its Ed25519 signing key (signs batches carried on a USB
-- stick) and the org unit the server bound it to.
CREATE TABLE sync_state (
    id              INTEGER PRIMARY KEY CHECK (id = 1),
    server_url      TEXT,
    device_token    TEXT,
    signing_key     BLOB,                   -- 32-byte Ed25519 secret key
    unit_id         TEXT,                   -- the server's org unit of this device
    unit_name       TEXT,
    enrolled_ms     INTEGER,
    server_epoch    TEXT,
    pull_cursor     INTEGER NOT NULL DEFAULT 0,
    last_success_ms INTEGER,
    last_error      TEXT                    -- plain words for the officer, no personal data
) STRICT;
INSERT INTO sync_state (id) VALUES (1);

-- Ops the server refused: acknowledged (never sent again), their effect undone locally, kept
-- with the reason for a person to see. Later ops of the same row wait behind them.
CREATE TABLE parked_ops (
    op_id      TEXT    PRIMARY KEY,
    device_seq INTEGER NOT NULL,
    entity     TEXT    NOT NULL,
    row_id     TEXT    NOT NULL,
    code       TEXT    NOT NULL,            -- e.g. outside_scope
    reason     TEXT    NOT NULL,
    parked_ms  INTEGER NOT NULL,
    resolved   INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX parked_rows ON parked_ops (entity, row_id) WHERE resolved = 0;

-- Concurrent edits of one field with different values: the value kept everywhere and the one
-- that lost, for a person to review (and choose, which is a new edit).
CREATE TABLE sync_conflicts (
    id           INTEGER PRIMARY KEY,
    op_id        TEXT    NOT NULL,          -- the op whose merge found the conflict
    entity       TEXT    NOT NULL,
    row_id       TEXT    NOT NULL,
    field        TEXT    NOT NULL,
    kept_value   TEXT    NOT NULL,          -- JSON
    kept_version TEXT    NOT NULL,
    lost_value   TEXT    NOT NULL,          -- JSON
    lost_version TEXT    NOT NULL,
    detected_ms  INTEGER NOT NULL,
    resolved     INTEGER NOT NULL DEFAULT 0,
    UNIQUE (op_id, field)
) STRICT;

-- Pending ops by row: applying a pulled change skips the fields a pending op will change.
CREATE INDEX outbox_pending_rows ON outbox (entity, row_id) WHERE acked = 0;
