-- Schema 8: pulling everything again after the server purged deleted records this laptop had
-- not pulled yet (it was silent for months, or the server refused its cursor: issue #4).

-- Set (the time it started) while the laptop pulls again from zero, after it has sent what it
-- had pending. When the last page is in, every synced row the server did not send, and that
-- no pending or refused op of this laptop holds, is dropped as a row leaving the scope is.
ALTER TABLE sync_state ADD COLUMN rebootstrap_ms INTEGER;

-- The rows the server sent during that pull, written with each page and its cursor in one
-- transaction: a pull cut half-way (or a killed app) goes on from its cursor and still knows
-- every row it was sent before.
CREATE TABLE sync_rebootstrap_seen (
    entity TEXT NOT NULL,
    row_id TEXT NOT NULL,
    PRIMARY KEY (entity, row_id)
) STRICT, WITHOUT ROWID;
