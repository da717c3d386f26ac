-- Schema 6 of the server: op format 2 (issue #4). A member's org unit is the field `unit_id`,
-- as for every other row that names a unit; format 1 called it `branch_id`. What the server
-- holds takes the new name; ops of format 1 are upcast as they arrive, and answers to a
-- client still on format 1 name the field as it knows it (see khuyenhoc-sync-protocol's
-- `format`).

UPDATE sync_rows
   SET state = (state - 'branch_id') || jsonb_build_object('unit_id', state -> 'branch_id')
 WHERE entity = 'member' AND state ? 'branch_id';

UPDATE changes
   SET fields = (fields - 'branch_id') || jsonb_build_object('unit_id', fields -> 'branch_id')
 WHERE entity = 'member' AND fields ? 'branch_id';

UPDATE conflicts SET field = 'unit_id' WHERE entity = 'member' AND field = 'branch_id';
