-- Schema 9: op format 2 (issue #4). A member's org unit is `unit_id`, as for every other row
-- that names a unit (members sit in branches, groups, committees or directly in the commune
-- association); it was `branch_id`. The ops waiting in the outbox, and those kept after they
-- were acknowledged, are upcast to format 2 in this same transaction by the migration's hook
-- (the store's `migrations`), with khuyenhoc-sync-protocol's `format`, so nothing queued
-- across the upgrade is lost or sent under the old name.

ALTER TABLE members RENAME COLUMN branch_id TO unit_id;

-- Each field's version, by field name.
UPDATE members
   SET versions = json_set(json_remove(versions, '$.branch_id'), '$.unit_id', json_extract(versions, '$.branch_id'))
 WHERE json_type(versions, '$.branch_id') IS NOT NULL;

UPDATE sync_conflicts SET field = 'unit_id' WHERE entity = 'member' AND field = 'branch_id';
