-- Alerts raised by the detector (internal/detect). The alert itself is the
-- JSON document; the columns are what filters, sorting and the dedup fold
-- need. seq orders alerts of one dedup key: the fold looks at the newest.
CREATE TABLE alerts (
	seq INTEGER PRIMARY KEY AUTOINCREMENT,
	id TEXT NOT NULL UNIQUE,
	dedup_key TEXT NOT NULL,
	status TEXT NOT NULL,
	level_rank INTEGER NOT NULL,
	rule_id TEXT NOT NULL,
	host_name TEXT NOT NULL,
	last_seen_ns INTEGER NOT NULL,
	doc TEXT NOT NULL
);
CREATE INDEX alerts_dedup ON alerts (dedup_key, seq);
CREATE INDEX alerts_last_seen ON alerts (last_seen_ns DESC, id);
