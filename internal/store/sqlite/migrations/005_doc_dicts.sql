-- Dictionaries of the compressed event documents (doc.go): each packed
-- document names its dictionary's id; a day's are dropped with the day.
CREATE TABLE doc_dicts (
	id INTEGER PRIMARY KEY,
	day INTEGER NOT NULL,
	dict BLOB NOT NULL
);
CREATE INDEX doc_dicts_day ON doc_dicts (day);
