-- Schema 3: the member register (hội viên), its status history, yearly dues and the search index.

CREATE TABLE members (
    rid             INTEGER PRIMARY KEY,      -- stable local row number for the search index
    id              TEXT    NOT NULL UNIQUE,  -- UUIDv7 (or UUIDv5 for imported rows)
    branch_id       TEXT    NOT NULL REFERENCES org_units (id) DEFERRABLE INITIALLY DEFERRED,
    full_name       TEXT    NOT NULL,
    gender          TEXT,                     -- male | female | other
    birth           TEXT,                     -- yyyy-mm-dd or yyyy
    phone           TEXT,
    address         TEXT,
    join_date       TEXT,                     -- yyyy-mm-dd or yyyy
    card_number     TEXT,
    citizen_id      TEXT,                     -- CCCD, optional; shown masked
    note            TEXT,
    status          TEXT    NOT NULL DEFAULT 'active',  -- active | moved_away | left | deceased
    status_date     TEXT,
    merged_into     TEXT,                     -- set when merged into another member record
    search_text     TEXT    NOT NULL,         -- folded name, card number and phone (derived)
    sort_key        BLOB    NOT NULL,         -- collation key: tên, tên đệm, họ (derived)
    created_version TEXT    NOT NULL,
    versions        TEXT    NOT NULL DEFAULT '{}',
    deleted         INTEGER NOT NULL DEFAULT 0
) STRICT;

CREATE INDEX members_sort ON members (sort_key);
-- No (branch_id, sort_key) index: it halves import speed, and a branch's page in name order
-- is found by walking members_sort (see docs/BENCHMARKS.md).
CREATE INDEX members_card ON members (card_number COLLATE NOCASE) WHERE card_number IS NOT NULL;

-- Search index over the folded text. Only word prefixes are matched (no phrases, no ranking),
-- so positions and column sizes are not stored. New rows are indexed by the store right after
-- they are inserted (in bulk for an import: ~5x faster than a per-row trigger); changes and
-- deletes are kept in step by the triggers below.
CREATE VIRTUAL TABLE member_search USING fts5 (
    search_text,
    content = 'members',
    content_rowid = 'rid',
    tokenize = 'unicode61 remove_diacritics 2',
    prefix = '1 2',
    detail = none,
    columnsize = 0
);

CREATE TRIGGER members_search_delete AFTER DELETE ON members BEGIN
    INSERT INTO member_search (member_search, rowid, search_text) VALUES ('delete', old.rid, old.search_text);
END;
CREATE TRIGGER members_search_update AFTER UPDATE OF search_text ON members BEGIN
    INSERT INTO member_search (member_search, rowid, search_text) VALUES ('delete', old.rid, old.search_text);
    INSERT INTO member_search (rowid, search_text) VALUES (new.rid, new.search_text);
END;

-- Status changes with their dates (joined, moved, left, died). Insert-only history.
CREATE TABLE member_status_events (
    id             TEXT PRIMARY KEY,
    member_id      TEXT NOT NULL REFERENCES members (id) DEFERRABLE INITIALLY DEFERRED,
    status         TEXT NOT NULL,
    effective_date TEXT,
    note           TEXT,
    version        TEXT NOT NULL,
    author         TEXT NOT NULL
) STRICT;

CREATE INDEX member_status_events_member ON member_status_events (member_id, version);

-- Yearly dues (hội phí) in đồng.
CREATE TABLE member_dues (
    id              TEXT    PRIMARY KEY,      -- UUIDv5 of member and year
    member_id       TEXT    NOT NULL REFERENCES members (id) DEFERRABLE INITIALLY DEFERRED,
    year            INTEGER NOT NULL,
    amount          INTEGER NOT NULL CHECK (amount >= 0),
    paid_on         TEXT,
    created_version TEXT    NOT NULL,
    versions        TEXT    NOT NULL DEFAULT '{}',
    deleted         INTEGER NOT NULL DEFAULT 0,
    UNIQUE (member_id, year)
) STRICT;
