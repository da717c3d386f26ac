-- Schema 7: what sync needs to repair and to warn (issue #4).

-- The server's clock minus this laptop's, measured at the last answer: the app warns when the
-- laptop's clock is more than a day off (versions are ordered by the hybrid clock, never by the
-- wall clock alone, but a wrong date on receipts and reports is still wrong).
ALTER TABLE sync_state ADD COLUMN clock_offset_ms INTEGER;

-- When the server acknowledged an op. Acknowledged ops are kept for a number of days so that a
-- server restored from an older backup can be given again what it lost; then they are purged.
ALTER TABLE outbox ADD COLUMN acked_ms INTEGER;
CREATE INDEX outbox_acked ON outbox (acked_ms) WHERE acked = 1;

-- A push answer names its ops by id: without this index acknowledging a push of 100,000 ops
-- read the whole outbox once per op.
CREATE INDEX outbox_op_id ON outbox (op_id);

-- Fields and record kinds a newer version of the app (or the server) sends that this version
-- does not know yet: kept as they came (the newest version of each), so nothing is lost and a
-- later version of the app can take them in. The server keeps them too.
CREATE TABLE sync_unknown_fields (
    entity  TEXT NOT NULL,
    row_id  TEXT NOT NULL,
    field   TEXT NOT NULL,
    value   TEXT NOT NULL,                  -- JSON
    version TEXT NOT NULL,
    PRIMARY KEY (entity, row_id, field)
) STRICT;

-- Signed batches of another laptop's changes carried here on a USB stick (or in a chat app),
-- waiting to be handed to the server at this laptop's next sync. This laptop cannot read or
-- alter them: the server checks the other device's signature.
CREATE TABLE relay_batches (
    id           INTEGER PRIMARY KEY,
    device_id    TEXT    NOT NULL,          -- the device that signed it
    digest       TEXT    NOT NULL UNIQUE,   -- SHA-256 of body and signature: a file imported twice is kept once
    batch        TEXT    NOT NULL,          -- the signed batch, as read (JSON)
    ops          INTEGER NOT NULL,
    imported_ms  INTEGER NOT NULL,
    delivered_ms INTEGER,
    refused      TEXT                       -- the server's reason, when it refused the batch
) STRICT;
