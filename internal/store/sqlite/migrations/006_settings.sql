-- Store-wide settings, kept in the first event file: "shards", the number of
-- event files the store spreads its events over (sqlite.go).
CREATE TABLE settings (
	key TEXT PRIMARY KEY,
	value TEXT NOT NULL
);
