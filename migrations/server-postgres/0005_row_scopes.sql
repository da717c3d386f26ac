-- Schema 5 of the server on PostgreSQL: scopes follow the records (as
-- ../server-sqlite/0005_row_scopes.sql).

-- The row this one takes its scope from (its branch, parent unit or member), NULL when the row
-- is bound to a server unit directly: the rows that follow a moved one, found by index.
ALTER TABLE sync_rows ADD COLUMN scope_parent text;
CREATE INDEX sync_rows_scope_parent ON sync_rows (scope_parent) WHERE scope_parent IS NOT NULL;

-- A scope exit: the row left `scope_unit` for `exit_to`. Pulled, with no fields, by the devices
-- that see `scope_unit` and not `exit_to`; the row's full state is logged again under `exit_to`.
ALTER TABLE changes ADD COLUMN exit_to uuid;

-- Rows synced before this schema: the row each follows, read from its fields (their scopes stay
-- as they are until their next change).
UPDATE sync_rows SET scope_parent = state -> 'branch_id' ->> 'value'
 WHERE entity = 'member';
UPDATE sync_rows SET scope_parent = state -> 'member_id' ->> 'value'
 WHERE entity IN ('member_dues', 'member_status_event');
UPDATE sync_rows SET scope_parent = state -> 'unit_id' ->> 'value'
 WHERE entity IN ('unit_denominator', 'org_unit_event');
UPDATE sync_rows SET scope_parent = state -> 'parent_id' ->> 'value'
 WHERE entity = 'org_unit'
   AND NOT EXISTS (SELECT 1 FROM org_units u
                   WHERE u.org_code = sync_rows.state -> 'org_code' ->> 'value');
