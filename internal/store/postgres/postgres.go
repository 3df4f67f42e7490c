// Package postgres is the event store for fleets: PostgreSQL through pgx,
// events in a table partitioned by UTC day (created on demand, dropped
// whole by retention), the event as JSONB beside columns for the indexed
// fields, pg_trgm GIN indexes for substring search. Several server
// processes may share one database: migrations and partition creation take
// an advisory lock, and dedup relies on unique constraints (ON CONFLICT).
// It implements store.Store with the semantics of store/sqlite.
package postgres

import (
	"context"
	"embed"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/vigil-sec/vigil/internal/store"
)

//go:embed migrations/*.sql
var migrations embed.FS

// lockKey is the advisory lock taken for migrations and partition creation.
const lockKey = 0x76696769 // "vigi"

// Options tune a Store.
type Options struct {
	// Now is the clock (default time.Now).
	Now func() time.Time
	// IngestConns bounds the connections that ingest uses at once
	// (default 2). Unless the DSN sets pool_max_conns, the pool is sized
	// to keep 4 more for searches; with it, at least one.
	IngestConns int
}

// Store is the PostgreSQL store; safe for concurrent use, also by several
// processes.
type Store struct {
	pool *pgxpool.Pool
	now  func() time.Time
	mu   sync.Mutex
	days map[int]bool // partitions known to exist (a cache)
	// ingest holds a token per ingest transaction in flight: agents'
	// batches wait here, not for the pool, so that a search finds a
	// connection while ingest saturates the database.
	ingest chan struct{}
}

var _ store.Store = (*Store)(nil)

// Open connects to the database at dsn (a libpq connection string or URL)
// and applies pending migrations.
func Open(ctx context.Context, dsn string, opts Options) (*Store, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("open postgres store: %w", err)
	}
	// Plan each search for its values. pgx prepares statements, and after
	// five runs of one PostgreSQL would switch to a generic plan that cannot
	// see the values: a rare phrase ('%failed password for x%') then read
	// the day in time order instead of its trigram index (24 h search p50
	// 13 ms -> 118 ms). A search is planned in well under a millisecond.
	if _, set := cfg.ConnConfig.RuntimeParams["plan_cache_mode"]; !set {
		cfg.ConnConfig.RuntimeParams["plan_cache_mode"] = "force_custom_plan"
	}
	// Searches must not queue behind ingest for a connection: with the
	// pool's default of 4 and 8 agents sending at once, a search waited
	// ~1 s for a connection (bench/ingest_e2e -pg).
	if opts.IngestConns <= 0 {
		opts.IngestConns = 2
	}
	if !strings.Contains(dsn, "pool_max_conns") {
		cfg.MaxConns = max(cfg.MaxConns, int32(opts.IngestConns)+4)
	}
	ingestConns := max(1, min(opts.IngestConns, int(cfg.MaxConns)-1))
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open postgres store: %w", err)
	}
	s := &Store{pool: pool, now: opts.Now, days: map[int]bool{}, ingest: make(chan struct{}, ingestConns)}
	if err := s.migrate(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("open postgres store: %w", err)
	}
	return s, nil
}

// Close closes the connections.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

func (s *Store) migrate(ctx context.Context) error {
	ms, err := store.Migrations(migrations, "migrations")
	if err != nil {
		return err
	}
	for _, m := range ms {
		if err := s.applyMigration(ctx, m.Version, m.SQL); err != nil {
			return fmt.Errorf("migration %d: %w", m.Version, err)
		}
	}
	return nil
}

func (s *Store) applyMigration(ctx context.Context, version int, body string) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", int64(lockKey)); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "CREATE TABLE IF NOT EXISTS schema_version (version integer PRIMARY KEY, applied_ns bigint NOT NULL)"); err != nil {
			return err
		}
		var n int
		if err := tx.QueryRow(ctx, "SELECT count(*) FROM schema_version WHERE version = $1", version).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return nil
		}
		if _, err := tx.Exec(ctx, body); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, "INSERT INTO schema_version (version, applied_ns) VALUES ($1, $2)", version, time.Now().UnixNano())
		return err
	})
}
