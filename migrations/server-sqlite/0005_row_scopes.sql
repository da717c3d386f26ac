-- Schema 5 of the server: scopes follow the records (issue #4). A row's scope is read from its
-- own fields: a member lies where its branch lies, a branch where its parent unit lies, a unit
-- whose official code names a server unit is bound to that unit, dues and history follow their
-- member or unit. When a row's scope changes (a member moved to another commune, a branch moved),
-- its dependents follow, and the devices that no longer see it are told so (a scope exit).

-- The row this one takes its scope from (its branch, parent unit or member), NULL when the row
-- is bound to a server unit directly: the rows that follow a moved one, found by index.
ALTER TABLE sync_rows ADD COLUMN scope_parent TEXT;
CREATE INDEX sync_rows_scope_parent ON sync_rows (scope_parent) WHERE scope_parent IS NOT NULL;

-- A scope exit: the row left `scope_unit` for `exit_to`. Pulled, with no fields, by the devices
-- that see `scope_unit` and not `exit_to`; the row's full state is logged again under `exit_to`.
ALTER TABLE changes ADD COLUMN exit_to TEXT;

-- Rows synced before this schema: the row each follows, read from its fields (their scopes stay
-- as they are until their next change).
UPDATE sync_rows SET scope_parent = json_extract(state, '$.branch_id.value')
 WHERE entity = 'member';
UPDATE sync_rows SET scope_parent = json_extract(state, '$.member_id.value')
 WHERE entity IN ('member_dues', 'member_status_event');
UPDATE sync_rows SET scope_parent = json_extract(state, '$.unit_id.value')
 WHERE entity IN ('unit_denominator', 'org_unit_event');
UPDATE sync_rows SET scope_parent = json_extract(state, '$.parent_id.value')
 WHERE entity = 'org_unit'
   AND NOT EXISTS (SELECT 1 FROM org_units u
                   WHERE u.org_code = json_extract(sync_rows.state, '$.org_code.value'));
