CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE SEQUENCE events_seq;

-- Events, partitioned by UTC day on ts (Unix nanoseconds); partitions are
-- created on demand (partition.go) and dropped whole by retention.
CREATE TABLE events (
	seq bigint NOT NULL DEFAULT nextval('events_seq'),
	id text NOT NULL,
	ts bigint NOT NULL,
	host_id text, host_name text,
	category text, categories text[],
	action text, outcome text, kind text, dataset text,
	user_name text, process_name text, process_executable text,
	command_line text, message text,
	source_ip text, destination_ip text, file_path text,
	doc jsonb NOT NULL,
	UNIQUE (id, ts)
) PARTITION BY RANGE (ts);

CREATE INDEX events_ts ON events (ts);
CREATE INDEX events_host ON events (host_id, ts);
CREATE INDEX events_category ON events (category, ts);
CREATE INDEX events_action ON events (action, ts);
CREATE INDEX events_user ON events (user_name, ts);
CREATE INDEX events_process ON events (process_name, ts);
CREATE INDEX events_command_line ON events USING gin (command_line gin_trgm_ops);
CREATE INDEX events_message ON events USING gin (message gin_trgm_ops);

CREATE TABLE partitions (
	day integer PRIMARY KEY,
	start_ns bigint NOT NULL
);

CREATE TABLE batches (
	agent_id text NOT NULL,
	seq bigint NOT NULL,
	committed_ns bigint NOT NULL,
	PRIMARY KEY (agent_id, seq)
);

CREATE TABLE hosts (
	id text PRIMARY KEY,
	name text NOT NULL,
	doc jsonb NOT NULL
);
CREATE INDEX hosts_name ON hosts (name, id);

CREATE TABLE documents (
	host_id text NOT NULL,
	kind text NOT NULL,
	at_ns bigint NOT NULL,
	doc bytea NOT NULL,
	PRIMARY KEY (host_id, kind)
);

CREATE TABLE tokens (
	id text PRIMARY KEY,
	secret_hash bytea NOT NULL,
	created_ns bigint NOT NULL,
	expires_ns bigint NOT NULL,
	uses_left integer NOT NULL
);
