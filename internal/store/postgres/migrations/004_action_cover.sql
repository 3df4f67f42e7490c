-- Top-N over a day ("top users of exec", "top process names") read the day's
-- rows of the time range; with the grouped fields in the time and action
-- indexes themselves they are index-only range scans instead of a scan of
-- the day's table with its JSON documents (measured in docs/benchmarks.md).
CREATE INDEX events_action_cover ON events (action, ts) INCLUDE (user_name, process_name, host_id);
DROP INDEX events_action;
CREATE INDEX events_ts_cover ON events (ts) INCLUDE (action, category, user_name, process_name, host_id);
DROP INDEX events_ts;
