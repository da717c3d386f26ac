-- Schema 5: member counts by status (the dashboard, the members list's total) read a small
-- index instead of every member row (100,000 members: ~100 ms → ~15 ms).
CREATE INDEX members_status_unit ON members (status, branch_id) WHERE deleted = 0 AND merged_into IS NULL;
