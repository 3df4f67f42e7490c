// Package sqlite is the embedded event store: SQLite database files (WAL,
// pure Go driver). Events are spread by event ID over one or more shards,
// each an event file holding events partitioned into one table per UTC day
// and its batch numbers, and an index file (NAME.fts.db) holding the trigram
// full-text index for substring search, which a background indexer keeps at
// most a moment behind the commit. Every file has its own write lock: the
// shards commit in parallel and the indexers run beside ingest. The first
// shard's event file (NAME.db) also holds the hosts, documents, enrollment
// tokens and alerts; the others are NAME.sN.db. It implements store.Store;
// docs/storage.md explains the design and the measurements behind it.
package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"embed"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/klauspost/compress/s2"
	"modernc.org/sqlite"

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
	// Shards is the number of event files a new store spreads its events
	// over, each with its own writer (default: the number of CPUs, at most
	// maxShards). A store keeps the count it was created with.
	Shards int
	// dictSample is how many bytes of a day's documents its document
	// dictionary is made from (default s2.MaxDictSize); tests lower it.
	dictSample int
	// Logger receives indexer errors (default slog.Default()).
	Logger *slog.Logger
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Store is the SQLite store. It is safe for concurrent use by one process.
type Store struct {
	*shard // the first: its event file holds hosts, tokens, documents and alerts
	shards []*shard
	// r: read-only connections to the first event file, with the other
	// shards' event files attached as sN and the index files as fts, ftsN.
	r     *sql.DB
	opts  Options
	stop  context.CancelFunc
	loops sync.WaitGroup // every shard's indexLoop and checkpointLoop
}

// shard is one event file and its index file.
type shard struct {
	n     int
	w     *sql.DB // one connection: SQLite has one writer
	fw    *sql.DB // the index file's writer, the event file attached as "ev"
	ck    *sql.DB // checkpoints the event file's WAL
	opts  *Options
	log   *slog.Logger
	fmu   sync.Mutex   // serialises writes to the index file; taken before mu
	mu    sync.Mutex   // serialises writers of the event file and guards days
	days  map[int]bool // partitions known to exist
	qmu   sync.Mutex   // guards queue
	queue []*ingestReq // Ingest calls waiting for the next group commit
	pack  *packer      // the days' document dictionaries
	// walSync: the writer commits with synchronous NORMAL and Ingest syncs
	// wal before acknowledging (synchronous FULL, see walFile).
	walSync bool
	wal     walFile
}

// maxShards bounds Options.Shards: a reader attaches two files a shard
// beyond the first, and SQLite attaches at most ten.
const maxShards = 4

// shardFile is the event file of shard n.
func shardFile(file string, n int) string {
	if n == 0 {
		return file
	}
	return strings.TrimSuffix(file, ".db") + ".s" + strconv.Itoa(n) + ".db"
}

// evSchema and ftsSchema name shard n's event and index files in a reader.
func evSchema(n int) string {
	if n == 0 {
		return "main"
	}
	return "s" + strconv.Itoa(n)
}

func ftsSchema(n int) string {
	if n == 0 {
		return "fts"
	}
	return "fts" + strconv.Itoa(n)
}

var _ store.Store = (*Store)(nil)

// Transaction lock modes of dsn.
const (
	readOnly  = ""
	immediate = "immediate"
	// deferred: the index writer reads the event file in the same
	// transaction, and BEGIN IMMEDIATE would take the write lock of every
	// attached file, the event file's included.
	deferred = "deferred"
)

// WAL checkpoint thresholds (pages) of dsn. The event file's WAL is
// checkpointed by a connection of its own (checkpointLoop), beside the writer
// rather than inside its commits; its writer checkpoints only as a backstop,
// past 256 MiB of WAL. The index file's writer checkpoints every 64 MiB
// itself. Connections that never write keep SQLite's default.
const (
	eventsBackstop    = 65536
	indexCheckpoint   = 16384
	defaultCheckpoint = 1000
)

// walSizeLimit is journal_size_limit: when a writer starts the WAL over
// from its beginning (after a checkpoint copied all of it and no reader
// needs it), it cuts the file back to this size. Without it the file keeps
// the largest size it ever had (~300 MB after continuous ingest: the
// backstop plus a commit). A variable for tests.
var walSizeLimit = 64 << 20

func dsn(file, sync, txlock string, autoCheckpoint int) string {
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
	q.Add("_pragma", "wal_autocheckpoint("+strconv.Itoa(autoCheckpoint)+")")
	q.Add("_pragma", "journal_size_limit("+strconv.Itoa(walSizeLimit)+")")
	if txlock == readOnly {
		q.Add("_pragma", "query_only(ON)")
	} else {
		q.Add("_txlock", txlock)
	}
	return "file:" + file + "?" + q.Encode()
}

// ftsFile is the name of the index file beside the event file.
func ftsFile(file string) string { return strings.TrimSuffix(file, ".db") + ".fts.db" }

// attachment is a database file a connection attaches under a schema name.
type attachment struct{ file, as string }

// openDB returns a pool of connections to dsn, each with the files of
// attach attached. Each pool has its own driver, so the attach hook reaches
// only its connections.
func openDB(dsn string, attach ...attachment) *sql.DB {
	d := &sqlite.Driver{}
	if err := d.RegisterDeterministicScalarFunction("vigil_doc", 1, sqlDoc); err != nil {
		panic(err) // only a second registration on one driver fails
	}
	if len(attach) > 0 {
		d.RegisterConnectionHook(func(c sqlite.ExecQuerierContext, _ string) error {
			for _, a := range attach {
				_, err := c.ExecContext(context.Background(), "ATTACH DATABASE ?1 AS "+a.as, []driver.NamedValue{{Ordinal: 1, Value: a.file}})
				if err != nil {
					return fmt.Errorf("attach %s: %w", a.file, err)
				}
			}
			return nil
		})
	}
	return sql.OpenDB(connector{d: d, dsn: dsn})
}

type connector struct {
	d   *sqlite.Driver
	dsn string
}

func (c connector) Connect(context.Context) (driver.Conn, error) { return c.d.Open(c.dsn) }
func (c connector) Driver() driver.Driver                        { return c.d }

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
	if opts.dictSample <= 0 {
		opts.dictSample = s2.MaxDictSize
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Shards <= 0 {
		opts.Shards = min(runtime.NumCPU(), maxShards)
	}
	s := &Store{opts: opts}
	log := opts.Logger.With("component", "store.sqlite")
	first, err := openShard(ctx, file, 0, &s.opts, log)
	if err != nil {
		return nil, fmt.Errorf("open sqlite store %s: %w", file, err)
	}
	s.shard, s.shards = first, []*shard{first}
	n, err := shardCount(ctx, first, min(opts.Shards, maxShards))
	for k := 1; k < n && err == nil; k++ {
		var sh *shard
		sh, err = openShard(ctx, shardFile(file, k), k, &s.opts, log)
		if err == nil {
			s.shards = append(s.shards, sh)
		}
	}
	if err != nil {
		for _, sh := range s.shards {
			sh.close()
		}
		return nil, fmt.Errorf("open sqlite store %s: %w", file, err)
	}
	attach := []attachment{{ftsFile(file), ftsSchema(0)}}
	for k := 1; k < n; k++ {
		f := shardFile(file, k)
		attach = append(attach, attachment{f, evSchema(k)}, attachment{ftsFile(f), ftsSchema(k)})
	}
	s.r = openDB(dsn(file, opts.Synchronous, readOnly, defaultCheckpoint), attach...)
	s.r.SetMaxOpenConns(opts.Readers)
	s.r.SetMaxIdleConns(opts.Readers)
	ictx, cancel := context.WithCancel(context.Background())
	s.stop = cancel
	for _, sh := range s.shards {
		s.loops.Add(2)
		go func() {
			defer s.loops.Done()
			sh.indexLoop(ictx)
		}()
		go func() {
			defer s.loops.Done()
			sh.checkpointLoop(ictx)
		}()
	}
	return s, nil
}

// shardCount returns the store's number of shards, recording want in the
// first event file when none is recorded yet. A store that already holds
// events or batch records from before shards were recorded has one.
func shardCount(ctx context.Context, first *shard, want int) (int, error) {
	var v string
	err := first.w.QueryRowContext(ctx, "SELECT value FROM settings WHERE key = 'shards'").Scan(&v)
	if err == nil {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxShards {
			return 0, fmt.Errorf("settings: shards %q is not a number from 1 to %d", v, maxShards)
		}
		return n, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("settings: %w", err)
	}
	var used int
	if err := first.w.QueryRowContext(ctx, "SELECT (SELECT count(*) FROM partitions) + (SELECT count(*) FROM batches)").Scan(&used); err != nil {
		return 0, fmt.Errorf("settings: %w", err)
	}
	if used > 0 {
		want = 1
	}
	if _, err := first.w.ExecContext(ctx, "INSERT INTO settings (key, value) VALUES ('shards', ?)", strconv.Itoa(want)); err != nil {
		return 0, fmt.Errorf("settings: %w", err)
	}
	return want, nil
}

// openShard opens (creating if needed) shard n's event file and index file.
func openShard(ctx context.Context, file string, n int, opts *Options, log *slog.Logger) (*shard, error) {
	walSync := opts.Synchronous == "FULL"
	wsync := opts.Synchronous
	if walSync {
		wsync = "NORMAL"
	}
	s := &shard{n: n, opts: opts, log: log.With("shard", n), days: map[int]bool{}, pack: newPacker(opts.dictSample),
		walSync: walSync, wal: walFile{path: file + "-wal"}}
	s.w = openDB(dsn(file, wsync, immediate, eventsBackstop))
	s.w.SetMaxOpenConns(1)
	s.w.SetMaxIdleConns(1)
	s.w.SetConnMaxLifetime(0)
	s.fw = openDB(dsn(ftsFile(file), opts.Synchronous, deferred, indexCheckpoint), attachment{file, "ev"})
	s.fw.SetMaxOpenConns(1)
	s.fw.SetMaxIdleConns(1)
	s.fw.SetConnMaxLifetime(0)
	s.ck = openDB(dsn(file, opts.Synchronous, deferred, defaultCheckpoint))
	s.ck.SetMaxOpenConns(1)
	err := migrate(ctx, s.w)
	if err == nil {
		_, err = s.fw.ExecContext(ctx, ftsMarksDDL)
	}
	if err == nil {
		err = s.loadDays(ctx)
	}
	if err == nil {
		err = s.loadDicts(ctx)
	}
	if err == nil {
		err = s.upgradeDays(ctx)
	}
	if err == nil {
		err = s.dropOrphanIndexes(ctx)
	}
	if err != nil {
		s.close()
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return s, nil
}

func (s *shard) close() error {
	defer s.wal.close()
	return errors.Join(s.fw.Close(), s.ck.Close(), s.w.Close())
}

// Close stops the indexer (after indexing what is pending) and closes the
// database.
func (s *Store) Close() error {
	s.stop()
	s.loops.Wait()
	errs := []error{s.r.Close()}
	for _, sh := range s.shards {
		errs = append(errs, sh.close())
	}
	return errors.Join(errs...)
}

// checkpointInterval is how often checkpointLoop copies the event file's WAL
// into the database.
const checkpointInterval = time.Second

// checkpointLoop checkpoints the event file's WAL until ctx ends, PASSIVE:
// it copies what no reader still needs and never waits for the writer, so
// ingest commits do not pay for it (measured in docs/storage.md).
func (s *shard) checkpointLoop(ctx context.Context) {
	t := time.NewTicker(checkpointInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, err := s.ck.ExecContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)"); err != nil && ctx.Err() == nil {
				s.log.Warn("checkpoint", "err", err)
			}
		}
	}
}

// migrate applies the embedded migrations not yet recorded in
// schema_version, each in its own transaction.
func migrate(ctx context.Context, db *sql.DB) error {
	if _, err := db.ExecContext(ctx, "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_ns INTEGER NOT NULL)"); err != nil {
		return fmt.Errorf("create schema_version: %w", err)
	}
	ms, err := store.Migrations(migrations, "migrations")
	if err != nil {
		return err
	}
	for _, m := range ms {
		if err := applyMigration(ctx, db, m.Version, m.SQL); err != nil {
			return err
		}
	}
	return nil
}

func applyMigration(ctx context.Context, db *sql.DB, version int, body string) error {
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
	if _, err := tx.ExecContext(ctx, body); err != nil {
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

func (s *shard) loadDays(ctx context.Context) error {
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
	if err := rows.Err(); err != nil {
		return fmt.Errorf("list partitions: %w", err)
	}
	return nil
}

// loadDicts loads every document dictionary; the newest of a day is the one
// its new documents use.
func (s *shard) loadDicts(ctx context.Context) error {
	return readDicts(ctx, s.w, "doc_dicts", s.pack.load)
}
