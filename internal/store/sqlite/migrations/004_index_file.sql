-- The trigram indexes and their watermarks moved to the index file
-- (NAME.fts.db, table marks); partition.go drops the old index tables.
ALTER TABLE partitions DROP COLUMN fts_rowid;
