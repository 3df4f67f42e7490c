package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"time"
)

// Events are partitioned into one table per UTC day, events_YYYYMMDD, each
// with its own indexes and its own trigram index (fts_YYYYMMDD, external
// content over the day's command_line and message). Retention drops whole
// tables; only the oldest partially expired day needs a DELETE.

// dayOf returns the partition (YYYYMMDD) of a time.
func dayOf(t time.Time) int {
	y, m, d := t.UTC().Date()
	return y*10000 + int(m)*100 + d
}

// dayStart returns UTC midnight of a partition.
func dayStart(day int) time.Time {
	return time.Date(day/10000, time.Month(day/100%100), day%100, 0, 0, 0, 0, time.UTC)
}

func eventsTable(day int) string { return "events_" + strconv.Itoa(day) }
func ftsTable(day int) string    { return "fts_" + strconv.Itoa(day) }

// PartitionSchema returns the statements that create the tables and indexes
// of one day (YYYYMMDD), named events_YYYYMMDD and fts_YYYYMMDD; bench/ingest
// loads the same schema with the sqlite3 tool for comparison.
func PartitionSchema(day int) []string { return partitionDDL(day) }

// partitionDDL creates one day's tables. Only the integer day is pasted.
func partitionDDL(day int) []string {
	t, f := eventsTable(day), ftsTable(day)
	return []string{
		`CREATE TABLE IF NOT EXISTS ` + t + ` (
			rowid INTEGER PRIMARY KEY,
			id TEXT NOT NULL,
			ts INTEGER NOT NULL,
			host_id TEXT, host_name TEXT,
			category TEXT, categories TEXT,
			action TEXT, outcome TEXT, kind TEXT, dataset TEXT,
			user_name TEXT, process_name TEXT, process_executable TEXT,
			command_line TEXT, message TEXT,
			source_ip TEXT, destination_ip TEXT, file_path TEXT,
			doc TEXT NOT NULL)`,
		`CREATE UNIQUE INDEX IF NOT EXISTS ` + t + `_id ON ` + t + ` (id)`,
		`CREATE INDEX IF NOT EXISTS ` + t + `_ts ON ` + t + ` (ts)`,
		`CREATE INDEX IF NOT EXISTS ` + t + `_host ON ` + t + ` (host_id, ts)`,
		`CREATE INDEX IF NOT EXISTS ` + t + `_category ON ` + t + ` (category, ts)`,
		`CREATE INDEX IF NOT EXISTS ` + t + `_action ON ` + t + ` (action, ts)`,
		`CREATE INDEX IF NOT EXISTS ` + t + `_user ON ` + t + ` (user_name, ts)`,
		`CREATE INDEX IF NOT EXISTS ` + t + `_process ON ` + t + ` (process_name, ts)`,
		`CREATE VIRTUAL TABLE IF NOT EXISTS ` + f + ` USING fts5(command_line, message, content='` + t + `', content_rowid='rowid', tokenize='trigram', detail='none')`,
	}
}

// ensureDay creates the partition of day inside tx if it is not known yet.
// The caller holds s.mu and adds day to s.days after tx commits.
func ensureDay(ctx context.Context, tx *sql.Tx, day int) error {
	for _, stmt := range partitionDDL(day) {
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("create partition %d: %w", day, err)
		}
	}
	_, err := tx.ExecContext(ctx, "INSERT OR IGNORE INTO partitions (day, start_ns) VALUES (?, ?)", day, dayStart(day).UnixNano())
	if err != nil {
		return fmt.Errorf("record partition %d: %w", day, err)
	}
	return nil
}

// partition is one day table as a reader sees it.
type partition struct {
	day      int
	ftsRowid int64
}

// partitions returns the partitions overlapping [from, to), newest first.
// Zero bounds are open.
func partitions(ctx context.Context, q queryer, from, to time.Time) ([]partition, error) {
	lo, hi := 0, 99999999
	if !from.IsZero() {
		lo = dayOf(from)
	}
	if !to.IsZero() {
		hi = dayOf(to.Add(-1))
	}
	rows, err := q.QueryContext(ctx, "SELECT day, fts_rowid FROM partitions WHERE day BETWEEN ? AND ? ORDER BY day DESC", lo, hi)
	if err != nil {
		return nil, fmt.Errorf("list partitions: %w", err)
	}
	defer rows.Close()
	var ps []partition
	for rows.Next() {
		var p partition
		if err := rows.Scan(&p.day, &p.ftsRowid); err != nil {
			return nil, fmt.Errorf("list partitions: %w", err)
		}
		ps = append(ps, p)
	}
	return ps, rows.Err()
}

type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

type execPreparer interface {
	PrepareContext(ctx context.Context, query string) (*sql.Stmt, error)
}
