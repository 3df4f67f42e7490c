-- Creates sqlite_stat1, the query planner statistics that each day
-- partition fills with its nominal shape (partition.go, partitionStats).
ANALYZE sqlite_schema;
