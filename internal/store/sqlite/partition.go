package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/vigil-sec/vigil/internal/store"
)

// Events are partitioned into one table per UTC day, events_YYYYMMDD, each
// with its own indexes, and its own trigram index in the index file
// (fts_YYYYMMDD, contentless, over the day's command_line and message; its
// watermark in the index file's marks table). Retention drops whole tables;
// only the oldest partially expired day needs a DELETE.

func eventsTable(day int) string { return "events_" + strconv.Itoa(day) }
func ftsTable(day int) string    { return "fts_" + strconv.Itoa(day) }

// PartitionSchema returns the statements that create the tables and indexes
// of one day (YYYYMMDD), named events_YYYYMMDD and fts_YYYYMMDD, in one
// database; bench/ingest loads the same schema with the sqlite3 tool for
// comparison. (The store keeps fts_YYYYMMDD in its index file.)
func PartitionSchema(day int) []string { return append(partitionDDL(day), ftsDDL(day)) }

// ftsDDL creates a day's trigram index. Contentless: queries take only its
// rowids and check every candidate's row with LIKE, so the index needs no
// copy of the text, and entries of deleted rows are harmless candidates.
func ftsDDL(day int) string {
	return `CREATE VIRTUAL TABLE IF NOT EXISTS ` + ftsTable(day) + ` USING fts5(command_line, message, content='', tokenize='trigram', detail='none', columnsize=0)`
}

// ftsAutomerge is the day trigram indexes' automerge: FTS5 merges a
// level's segments once it has this many. Indexing 1 M fleet events took
// 5.2–5.4 s with FTS5's default of 4 and 4.6–4.7 s with 8, and substring
// searches over them cost the same (docs/decisions.md).
const ftsAutomerge = 8

// ftsConfig sets a new day trigram index's options.
func ftsConfig(day int) string {
	t := ftsTable(day)
	return `INSERT INTO ` + t + `(` + t + `, rank) VALUES ('automerge', ` + strconv.Itoa(ftsAutomerge) + `)`
}

// ftsMarksDDL creates the index file's watermarks: the rows of a day up to
// indexed_rowid are in its trigram index.
const ftsMarksDDL = `CREATE TABLE IF NOT EXISTS marks (day INTEGER PRIMARY KEY, indexed_rowid INTEGER NOT NULL)`

// partitionDDL creates one day's tables. Only the integer day is pasted.
func partitionDDL(day int) []string {
	t := eventsTable(day)
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
		// action trails so that "top users/processes of an action" reads
		// the index alone instead of a row per event; process_name in the
		// user index does the same for "process.name:X and user.name:Y".
		`CREATE INDEX IF NOT EXISTS ` + t + `_user_cover ON ` + t + ` (user_name, ts, action, process_name)`,
		`CREATE INDEX IF NOT EXISTS ` + t + `_process_action ON ` + t + ` (process_name, ts, action)`,
		// Partial indexes on fields most events lack: they cost ingest only
		// for the events that have them, and turn day scans into lookups.
		`CREATE INDEX IF NOT EXISTS ` + t + `_outcome ON ` + t + ` (outcome, ts) WHERE outcome IS NOT NULL`,
		`CREATE INDEX IF NOT EXISTS ` + t + `_source_ip ON ` + t + ` (source_ip, ts) WHERE source_ip IS NOT NULL`,
		`CREATE INDEX IF NOT EXISTS ` + t + `_destination_ip ON ` + t + ` (destination_ip, ts) WHERE destination_ip IS NOT NULL`,
		`CREATE INDEX IF NOT EXISTS ` + t + `_file_path ON ` + t + ` (file_path, ts) WHERE file_path IS NOT NULL`,
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
	if err := setStats(ctx, tx, day); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, "INSERT OR IGNORE INTO partitions (day, start_ns) VALUES (?, ?)", day, store.DayStart(day).UnixNano())
	if err != nil {
		return fmt.Errorf("record partition %d: %w", day, err)
	}
	return nil
}

// droppedIndexes are the index suffixes of earlier versions that
// partitionDDL replaced.
var droppedIndexes = []string{"_user", "_process", "_user_action"}

// partitionStats are the query planner statistics (sqlite_stat1) of a day
// table: rows, then rows per distinct key prefix of each index, for a
// nominal day of a fleet (200 hosts, tens of users and programs, a handful
// of actions and categories, sparse outcome/IP/path). Without them SQLite
// assumes every equality is selective and prefers the (action, ts) index
// for "host.id:X and event.action:exec", reading most of the day; with real
// ANALYZE results the plans are the same, but ANALYZE reads every index of
// a day while holding the write lock. Relative sizes are what matter.
var partitionStats = map[string]string{
	"_id": "1000000 1", "_ts": "1000000 1", "_host": "1000000 5000 1",
	"_category": "1000000 250000 1", "_action": "1000000 250000 1",
	"_user_cover": "1000000 25000 1 1 1", "_process_action": "1000000 25000 1 1",
	"_outcome": "100000 50000 1", "_source_ip": "100000 10 1",
	"_destination_ip": "50000 10 1", "_file_path": "50000 1000 1",
}

// setStats records partitionStats for a day table's indexes that have
// none (a later ANALYZE replaces them).
func setStats(ctx context.Context, tx *sql.Tx, day int) error {
	t := eventsTable(day)
	for suffix, stat := range partitionStats {
		_, err := tx.ExecContext(ctx, "INSERT INTO sqlite_stat1 (tbl, idx, stat) SELECT ?1, ?2, ?3 WHERE NOT EXISTS (SELECT 1 FROM sqlite_stat1 WHERE tbl = ?1 AND idx = ?2)",
			t, t+suffix, stat)
		if err != nil {
			return fmt.Errorf("planner statistics of partition %d: %w", day, err)
		}
	}
	return nil
}

// upgradeDays brings the partitions created by an older version up to the
// current partitionDDL (indexes added later), one day per transaction.
// Statements are IF NOT EXISTS, so an up-to-date day costs nothing.
func (s *shard) upgradeDays(ctx context.Context) error {
	for day := range s.days {
		tx, err := s.w.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("upgrade partition %d: %w", day, err)
		}
		stmts := partitionDDL(day)
		for _, suffix := range droppedIndexes {
			stmts = append(stmts, "DROP INDEX IF EXISTS "+eventsTable(day)+suffix)
		}
		// Earlier versions kept the trigram index in the event file; the
		// indexer rebuilds it in the index file (until then, substring
		// conditions are checked by LIKE alone).
		stmts = append(stmts, "DROP TABLE IF EXISTS "+ftsTable(day))
		for _, stmt := range stmts {
			if _, err := tx.ExecContext(ctx, stmt); err != nil {
				tx.Rollback()
				return fmt.Errorf("upgrade partition %d: %w", day, err)
			}
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM sqlite_stat1 WHERE tbl = ? AND idx IN (?, ?, ?)",
			eventsTable(day), eventsTable(day)+droppedIndexes[0], eventsTable(day)+droppedIndexes[1], eventsTable(day)+droppedIndexes[2]); err != nil {
			tx.Rollback()
			return fmt.Errorf("upgrade partition %d: %w", day, err)
		}
		if err := setStats(ctx, tx, day); err != nil {
			tx.Rollback()
			return err
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("upgrade partition %d: %w", day, err)
		}
	}
	return nil
}

// partition is one day table of one shard as a reader sees it.
type partition struct {
	shard int
	day   int
	// ftsRowid is the watermark of the day's trigram index; 0 when nothing
	// is indexed yet (the index table may not exist).
	ftsRowid int64
	// drive renders substring conditions so that the trigram index's
	// candidates drive the search (see compiled.render).
	drive bool
}

// table and fts name the partition's event table and trigram index in a
// reader.
func (p partition) table() string { return evSchema(p.shard) + "." + eventsTable(p.day) }
func (p partition) fts() string   { return ftsSchema(p.shard) + "." + ftsTable(p.day) }

// partitions returns the partitions overlapping [from, to) of every shard,
// newest day first, shards in order within a day. Zero bounds are open.
func (s *Store) partitions(ctx context.Context, q queryer, from, to time.Time) ([]partition, error) {
	lo, hi := 0, 99999999
	if !from.IsZero() {
		lo = store.DayOf(from)
	}
	if !to.IsZero() {
		hi = store.DayOf(to.Add(-1))
	}
	var ps []partition
	for _, sh := range s.shards {
		rows, err := q.QueryContext(ctx, "SELECT p.day, coalesce(m.indexed_rowid, 0) FROM "+evSchema(sh.n)+".partitions p LEFT JOIN "+
			ftsSchema(sh.n)+".marks m ON m.day = p.day WHERE p.day BETWEEN ? AND ?", lo, hi)
		if err != nil {
			return nil, fmt.Errorf("list partitions: %w", err)
		}
		for rows.Next() {
			p := partition{shard: sh.n}
			if err := rows.Scan(&p.day, &p.ftsRowid); err != nil {
				rows.Close()
				return nil, fmt.Errorf("list partitions: %w", err)
			}
			ps = append(ps, p)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("list partitions: %w", err)
		}
	}
	slices.SortFunc(ps, func(a, b partition) int {
		if a.day != b.day {
			return b.day - a.day
		}
		return a.shard - b.shard
	})
	return ps, nil
}

type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

type execPreparer interface {
	PrepareContext(ctx context.Context, query string) (*sql.Stmt, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}
