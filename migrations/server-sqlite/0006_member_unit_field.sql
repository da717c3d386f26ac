-- Schema 6 of the server: op format 2 (issue #4). A member's org unit is the field `unit_id`,
-- as for every other row that names a unit; format 1 called it `branch_id`. What the server
-- holds takes the new name; ops of format 1 are upcast as they arrive, and answers to a
-- client still on format 1 name the field as it knows it (see khuyenhoc-sync-protocol's
-- `format`).

UPDATE sync_rows
   SET state = json_set(json_remove(state, '$.branch_id'), '$.unit_id', json(json_extract(state, '$.branch_id')))
 WHERE entity = 'member' AND json_type(state, '$.branch_id') = 'object';

UPDATE changes
   SET fields = json_set(json_remove(fields, '$.branch_id'), '$.unit_id', json(json_extract(fields, '$.branch_id')))
 WHERE entity = 'member' AND json_type(fields, '$.branch_id') = 'object';

UPDATE conflicts SET field = 'unit_id' WHERE entity = 'member' AND field = 'branch_id';
