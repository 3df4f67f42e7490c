// Package sqlite is the embedded event store: one SQLite database file (WAL,
// pure Go driver) holding events partitioned into one table per UTC day, a
// trigram full-text index for substring search that a background indexer
// keeps at most a moment behind the commit, and the hosts, documents,
// enrollment tokens and ingested batch numbers. It implements store.Store;
// docs/storage.md explains the design and the measurements behind it.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"path"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	_ "modernc.org/sqlite" // database/sql driver "sqlite"

	"github.com/vigil-sec/vigil/internal/store"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Options tune a Store. The zero value is the production setting.
type Options struct {
	// Synchronous is SQLite's synchronous setting: "FULL" (default: a
	// committed batch survives power loss) or "NORMAL" (survives a crash of
	// the process, not of the machine).
	Synchronous string
	// IndexInterval is how often the substring indexer runs (default 500ms).
	// Events not yet indexed are still found, by scanning.
	IndexInterval time.Duration
	// Readers is the number of read connections (default 4).
	Readers int
	// Logger receives indexer errors (default slog.Default()).
	Logger *slog.Logger
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Store is the SQLite store. It is safe for concurrent use by one process.
type Store struct {
	w     *sql.DB // one connection: SQLite has one writer
	r     *sql.DB // read-only connections
	opts  Options
	log   *slog.Logger
	mu    sync.Mutex   // serialises writers and guards days
	days  map[int]bool // partitions known to exist
	qmu   sync.Mutex   // guards queue
	queue []*ingestReq // Ingest calls waiting for the next group commit
	stop  context.CancelFunc
	done  chan struct{}
}

var _ store.Store = (*Store)(nil)

func dsn(file string, sync string, readOnly bool) string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous("+sync+")")
	q.Add("_pragma", "foreign_keys(OFF)")
	// LIKE is case-sensitive (keywords are exact); the query compiler
	// lowercases both sides where a search is case-insensitive.
	q.Add("_pragma", "case_sensitive_like(ON)")
	q.Add("_pragma", "cache_size(-65536)")
	q.Add("_pragma", "temp_store(MEMORY)")
	// Checkpoint every 64 MiB of WAL instead of 4 MiB: fewer, larger
	// checkpoints (measured in docs/storage.md).
	q.Add("_pragma", "wal_autocheckpoint(16384)")
	if readOnly {
		q.Add("_pragma", "query_only(ON)")
	} else {
		q.Add("_txlock", "immediate")
	}
	return "file:" + file + "?" + q.Encode()
}

// Open opens (creating if needed) the store in file and applies pending
// migrations. Close stops the background indexer and closes the database.
func Open(ctx context.Context, file string, opts Options) (*Store, error) {
	if opts.Synchronous == "" {
		opts.Synchronous = "FULL"
	}
	switch opts.Synchronous {
	case "FULL", "NORMAL", "EXTRA":
	default:
		return nil, fmt.Errorf("open sqlite store: synchronous %q is not FULL, NORMAL or EXTRA", opts.Synchronous)
	}
	if opts.IndexInterval <= 0 {
		opts.IndexInterval = 500 * time.Millisecond
	}
	if opts.Readers <= 0 {
		opts.Readers = 4
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	w, err := sql.Open("sqlite", dsn(file, opts.Synchronous, false))
	if err != nil {
		return nil, fmt.Errorf("open sqlite store %s: %w", file, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	if err := migrate(ctx, w); err != nil {
		w.Close()
		return nil, fmt.Errorf("open sqlite store %s: %w", file, err)
	}
	r, err := sql.Open("sqlite", dsn(file, opts.Synchronous, true))
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open sqlite store %s: %w", file, err)
	}
	r.SetMaxOpenConns(opts.Readers)
	r.SetMaxIdleConns(opts.Readers)
	s := &Store{w: w, r: r, opts: opts, log: opts.Logger.With("component", "store.sqlite"), days: map[int]bool{}, done: make(chan struct{})}
	err = s.loadDays(ctx)
	if err == nil {
		err = s.upgradeDays(ctx)
	}
	if err != nil {
		s.w.Close()
		s.r.Close()
		return nil, fmt.Errorf("open sqlite store %s: %w", file, err)
	}
	ictx, cancel := context.WithCancel(context.Background())
	s.stop = cancel
	go s.indexLoop(ictx)
	return s, nil
}

// Close stops the indexer (after indexing what is pending) and closes the
// database.
func (s *Store) Close() error {
	s.stop()
	<-s.done
	return errors.Join(s.r.Close(), s.w.Close())
}

// migrate applies the embedded migrations not yet recorded in
// schema_version, each in its own transaction.
func migrate(ctx context.Context, db *sql.DB) error {
	if _, err := db.ExecContext(ctx, "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_ns INTEGER NOT NULL)"); err != nil {
		return fmt.Errorf("create schema_version: %w", err)
	}
	files, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return fmt.Errorf("list migrations: %w", err)
	}
	sort.Strings(files)
	for _, f := range files {
		v, err := strconv.Atoi(strings.SplitN(path.Base(f), "_", 2)[0])
		if err != nil {
			return fmt.Errorf("migration %s: bad name: %w", f, err)
		}
		if err := applyMigration(ctx, db, f, v); err != nil {
			return err
		}
	}
	return nil
}

func applyMigration(ctx context.Context, db *sql.DB, file string, version int) error {
	body, err := migrations.ReadFile(file)
	if err != nil {
		return fmt.Errorf("read migration %s: %w", file, err)
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migration %d: %w", version, err)
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM schema_version WHERE version = ?", version).Scan(&n); err != nil {
		return fmt.Errorf("migration %d: %w", version, err)
	}
	if n > 0 {
		return nil
	}
	if _, err := tx.ExecContext(ctx, string(body)); err != nil {
		return fmt.Errorf("migration %d: %w", version, err)
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO schema_version (version, applied_ns) VALUES (?, ?)", version, time.Now().UnixNano()); err != nil {
		return fmt.Errorf("migration %d: %w", version, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("migration %d: commit: %w", version, err)
	}
	return nil
}

func (s *Store) loadDays(ctx context.Context) error {
	rows, err := s.w.QueryContext(ctx, "SELECT day FROM partitions")
	if err != nil {
		return fmt.Errorf("list partitions: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var d int
		if err := rows.Scan(&d); err != nil {
			return fmt.Errorf("list partitions: %w", err)
		}
		s.days[d] = true
	}
	return rows.Err()
}
