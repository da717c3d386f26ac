-- Schema 4 of the server on PostgreSQL: purging tombstones once every active device has pulled
-- past them (as ../server-sqlite/0004_tombstone_purge.sql).

-- How far each device has pulled: the cursor of its last pull (it holds every change up to
-- there), when that was (a device silent past the purge horizon no longer holds the purge
-- back), and the purge point when it last pulled from zero (it never received a row purged up
-- to there, so a cursor below the purge point is harmless from it).
CREATE TABLE device_pulls (
    device_id     uuid        PRIMARY KEY REFERENCES devices(id),
    pull_cursor   bigint      NOT NULL,
    pulled_at     timestamptz NOT NULL,
    clean_through bigint      NOT NULL DEFAULT 0
);

-- Devices enrolled before this schema have pulled from somewhere unknown: they count as at
-- cursor 0, seen at the upgrade, until their next pull says where they are.
INSERT INTO device_pulls (device_id, pull_cursor, pulled_at)
SELECT id, 0, now() FROM devices WHERE revoked_at IS NULL;

-- Rows deleted and then purged (their state and change-log entries are gone): only the key and
-- the version of their last change, so that a late edit of one is refused instead of creating
-- a half record.
CREATE TABLE purged_rows (
    entity       text        NOT NULL,
    row_id       text        NOT NULL,
    last_version bigint      NOT NULL,
    purged_at    timestamptz NOT NULL,
    PRIMARY KEY (entity, row_id)
);

-- The highest change version a purge removed: a device pulling after a smaller cursor (and not
-- from zero since) may hold a purged row, and must pull again from zero.
INSERT INTO server_meta (key, value) VALUES ('purged_through', '0') ON CONFLICT (key) DO NOTHING;
