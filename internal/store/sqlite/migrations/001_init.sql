-- Tables that are not events. Events live in one table per UTC day
-- (events_YYYYMMDD, created on demand, see partition.go); partitions lists
-- them with the watermark of their substring index.
CREATE TABLE partitions (
	day INTEGER PRIMARY KEY,          -- YYYYMMDD
	start_ns INTEGER NOT NULL,        -- UTC midnight, Unix nanoseconds
	fts_rowid INTEGER NOT NULL DEFAULT 0  -- rows up to here are in the FTS index
);

CREATE TABLE batches (
	agent_id TEXT NOT NULL,
	seq INTEGER NOT NULL,
	committed_ns INTEGER NOT NULL,
	PRIMARY KEY (agent_id, seq)
) WITHOUT ROWID;

CREATE TABLE hosts (
	id TEXT PRIMARY KEY,
	name TEXT NOT NULL,
	doc TEXT NOT NULL
);
CREATE INDEX hosts_name ON hosts (name, id);

CREATE TABLE documents (
	host_id TEXT NOT NULL,
	kind TEXT NOT NULL,
	at_ns INTEGER NOT NULL,
	doc BLOB NOT NULL,
	PRIMARY KEY (host_id, kind)
) WITHOUT ROWID;

CREATE TABLE tokens (
	id TEXT PRIMARY KEY,
	secret_hash BLOB NOT NULL,
	created_ns INTEGER NOT NULL,
	expires_ns INTEGER NOT NULL,
	uses_left INTEGER NOT NULL
);
