-- Alerts raised by the detector (internal/detect). The alert itself is the
-- JSON document; the columns are what filters, sorting and the dedup fold
-- need. seq orders alerts of one dedup key: the fold looks at the newest.
-- Upserts of one dedup key are serialised by a transaction-level advisory
-- lock on the key's hash (see alerts.go).
CREATE TABLE alerts (
	seq bigserial PRIMARY KEY,
	id text NOT NULL UNIQUE,
	dedup_key text NOT NULL,
	status text NOT NULL,
	level_rank integer NOT NULL,
	rule_id text NOT NULL,
	host_name text NOT NULL,
	last_seen_ns bigint NOT NULL,
	doc jsonb NOT NULL
);
CREATE INDEX alerts_dedup ON alerts (dedup_key, seq);
CREATE INDEX alerts_last_seen ON alerts (last_seen_ns DESC, id);
