-- The indexes the SQLite store uses for the query targets over 10 million
-- events (docs/storage.md, "Query speed over 10 million events"): action
-- (and process name) trailing the user and process indexes, so that "top
-- users of exec" and "process X of user Y" read the index alone; partial
-- indexes on fields most events lack, which cost ingest only for the events
-- that have them. On a partitioned table each statement builds the index of
-- every existing day.
CREATE INDEX events_user_cover ON events (user_name, ts, action, process_name);
CREATE INDEX events_process_action ON events (process_name, ts, action);
DROP INDEX events_user;
DROP INDEX events_process;
CREATE INDEX events_outcome ON events (outcome, ts) WHERE outcome IS NOT NULL;
CREATE INDEX events_source_ip ON events (source_ip, ts) WHERE source_ip IS NOT NULL;
CREATE INDEX events_destination_ip ON events (destination_ip, ts) WHERE destination_ip IS NOT NULL;
CREATE INDEX events_file_path ON events (file_path, ts) WHERE file_path IS NOT NULL;
