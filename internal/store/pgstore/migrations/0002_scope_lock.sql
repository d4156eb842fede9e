-- One row per scope (an organization) whose Updates queue: the server whose
-- turn it is holds the row FOR UPDATE. Rows are never deleted; a scope that
-- is gone costs one small row.
CREATE TABLE IF NOT EXISTS scope_lock (
	scope text PRIMARY KEY
);
