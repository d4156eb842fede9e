-- The whole of orgd's state: store.Store's one ordered key space. bytea
-- compares bytewise whatever the database's collation, which is the order
-- store.Tx.Scan promises.
CREATE TABLE IF NOT EXISTS kv (
	key   bytea PRIMARY KEY,
	value bytea NOT NULL
);
