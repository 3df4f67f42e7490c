package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-sec/vigil/internal/store"
)

// indexChunk bounds the rows indexed in one transaction, so that ingest
// waits for the indexer at most a few tens of milliseconds.
const indexChunk = 20000

// indexLoop keeps the trigram indexes caught up until ctx ends, then
// indexes what is pending.
func (s *shard) indexLoop(ctx context.Context) {
	t := time.NewTicker(s.opts.IndexInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			if err := s.flush(context.Background()); err != nil {
				s.log.Error("final substring indexing", "err", err)
			}
			return
		case <-t.C:
			if err := s.flush(ctx); err != nil && ctx.Err() == nil {
				s.log.Error("substring indexing", "err", err)
			}
		}
	}
}

// Flush brings the substring index up to date with every committed event,
// shard after shard, as each shard's background indexer does for its own;
// tests and benchmarks call it.
func (s *Store) Flush(ctx context.Context) error {
	for _, sh := range s.shards {
		if err := sh.flush(ctx); err != nil {
			return err
		}
	}
	return nil
}

// flush indexes what is pending in this shard, newest day first.
func (s *shard) flush(ctx context.Context) error {
	s.mu.Lock()
	days := slices.Collect(maps.Keys(s.days))
	s.mu.Unlock()
	slices.Sort(days)
	slices.Reverse(days)
	for _, day := range days {
		for {
			done, err := s.indexStep(ctx, day)
			if err != nil {
				return fmt.Errorf("index partition %d: %w", day, err)
			}
			if done {
				break
			}
		}
	}
	return nil
}

// indexStep indexes up to indexChunk rows of a partition past its
// watermark and advances the watermark in the same transaction of the index
// file. It reports whether the partition is caught up. It holds only the
// index file's lock: ingest goes on meanwhile, and the rows it reads are
// those committed when its transaction began.
func (s *shard) indexStep(ctx context.Context, day int) (bool, error) {
	s.fmu.Lock()
	defer s.fmu.Unlock()
	tx, err := s.fw.BeginTx(ctx, nil)
	if err != nil {
		return false, err
	}
	defer tx.Rollback()
	// A day dropped meanwhile is gone from the event file: dropDay holds
	// fmu while it drops, so it cannot happen during this transaction.
	var known int
	if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM ev.partitions WHERE day = ?", day).Scan(&known); err != nil {
		return false, err
	}
	if known == 0 {
		return true, nil
	}
	var mark int64
	err = tx.QueryRowContext(ctx, "SELECT indexed_rowid FROM marks WHERE day = ?", day).Scan(&mark)
	if errors.Is(err, sql.ErrNoRows) {
		if _, err = tx.ExecContext(ctx, ftsDDL(day)); err == nil {
			_, err = tx.ExecContext(ctx, ftsConfig(day))
		}
	}
	if err != nil {
		return false, err
	}
	var top sql.NullInt64
	if err := tx.QueryRowContext(ctx, "SELECT max(rowid) FROM ev."+eventsTable(day)).Scan(&top); err != nil {
		return false, err
	}
	if !top.Valid || top.Int64 <= mark {
		return true, nil
	}
	hi := min(top.Int64, mark+indexChunk)
	_, err = tx.ExecContext(ctx, "INSERT INTO "+ftsTable(day)+" (rowid, command_line, message) SELECT rowid, command_line, message FROM ev."+
		eventsTable(day)+" WHERE rowid > ? AND rowid <= ? AND (command_line IS NOT NULL OR message IS NOT NULL)", mark, hi)
	if err != nil {
		return false, err
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO marks (day, indexed_rowid) VALUES (?, ?) ON CONFLICT (day) DO UPDATE SET indexed_rowid = excluded.indexed_rowid", day, hi); err != nil {
		return false, err
	}
	if err := tx.Commit(); err != nil {
		return false, err
	}
	return hi == top.Int64, nil
}

// dropOrphanIndexes drops the trigram indexes and watermarks of days the
// event file no longer has (a crash between the two files' drops of a day
// leaves them; a day created again later must start from an empty index).
func (s *shard) dropOrphanIndexes(ctx context.Context) error {
	s.fmu.Lock()
	defer s.fmu.Unlock()
	rows, err := s.fw.QueryContext(ctx, "SELECT name FROM sqlite_schema WHERE type = 'table' AND name GLOB 'fts_[0-9]*' AND name NOT GLOB 'fts_*_*'"+
		" UNION SELECT 'fts_' || day FROM marks")
	if err != nil {
		return fmt.Errorf("list trigram indexes: %w", err)
	}
	var orphans []int
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			rows.Close()
			return fmt.Errorf("list trigram indexes: %w", err)
		}
		day, err := strconv.Atoi(strings.TrimPrefix(name, "fts_"))
		if err == nil && !s.days[day] {
			orphans = append(orphans, day)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("list trigram indexes: %w", err)
	}
	for _, day := range orphans {
		if err := s.dropIndex(ctx, day); err != nil {
			return err
		}
	}
	return nil
}

// dropIndex drops a day's trigram index and watermark. The caller holds fmu.
func (s *shard) dropIndex(ctx context.Context, day int) error {
	tx, err := s.fw.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("drop trigram index %d: %w", day, err)
	}
	defer tx.Rollback()
	for _, q := range []string{"DROP TABLE IF EXISTS " + ftsTable(day), "DELETE FROM marks WHERE day = " + strconv.Itoa(day)} {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("drop trigram index %d: %w", day, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("drop trigram index %d: %w", day, err)
	}
	return nil
}

// Indexed reports whether the event with this ID and time is in its day's
// trigram index yet (false when it is not stored). Until it is, substring
// searches find it by scanning; bench/ingest_e2e reports the lag.
func (s *Store) Indexed(ctx context.Context, id string, ts time.Time) (bool, error) {
	day, k := store.DayOf(ts), s.shardOf(id)
	var in bool
	err := s.readTx(ctx, func(tx *sql.Tx) error {
		ps, err := s.partitions(ctx, tx, ts, ts.Add(1))
		if err != nil {
			return err
		}
		for _, p := range ps {
			if p.day != day || p.shard != k {
				continue
			}
			var rowid int64
			err = tx.QueryRowContext(ctx, "SELECT rowid FROM "+p.table()+" WHERE id = ?", id).Scan(&rowid)
			if errors.Is(err, sql.ErrNoRows) {
				return nil
			}
			in = err == nil && rowid <= p.ftsRowid
			return err
		}
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("indexed: %w", err)
	}
	return in, nil
}
