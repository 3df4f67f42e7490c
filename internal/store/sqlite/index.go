package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// indexChunk bounds the rows indexed in one transaction, so that ingest
// waits for the indexer at most a few tens of milliseconds.
const indexChunk = 20000

// indexLoop keeps the trigram indexes caught up until ctx ends, then
// indexes what is pending and closes s.done.
func (s *Store) indexLoop(ctx context.Context) {
	defer close(s.done)
	t := time.NewTicker(s.opts.IndexInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			if err := s.Flush(context.Background()); err != nil {
				s.log.Error("final substring indexing", "err", err)
			}
			return
		case <-t.C:
			if err := s.Flush(ctx); err != nil && ctx.Err() == nil {
				s.log.Error("substring indexing", "err", err)
			}
		}
	}
}

// Flush brings the substring index up to date with every committed event.
// The background indexer calls it; tests and benchmarks may too.
func (s *Store) Flush(ctx context.Context) error {
	ps, err := partitions(ctx, s.r, time.Time{}, time.Time{})
	if err != nil {
		return fmt.Errorf("index: %w", err)
	}
	for _, p := range ps {
		for {
			done, err := s.indexStep(ctx, p.day)
			if err != nil {
				return fmt.Errorf("index partition %d: %w", p.day, err)
			}
			if done {
				break
			}
		}
	}
	return nil
}

// indexStep indexes up to indexChunk rows of a partition past its
// watermark and advances the watermark in the same transaction. It reports
// whether the partition is caught up.
func (s *Store) indexStep(ctx context.Context, day int) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.days[day] {
		return true, nil // dropped meanwhile
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return false, err
	}
	defer tx.Rollback()
	var mark int64
	var top sql.NullInt64
	if err := tx.QueryRowContext(ctx, "SELECT fts_rowid FROM partitions WHERE day = ?", day).Scan(&mark); err != nil {
		return false, err
	}
	if err := tx.QueryRowContext(ctx, "SELECT max(rowid) FROM "+eventsTable(day)).Scan(&top); err != nil {
		return false, err
	}
	if !top.Valid || top.Int64 <= mark {
		return true, nil
	}
	hi := min(top.Int64, mark+indexChunk)
	_, err = tx.ExecContext(ctx, "INSERT INTO "+ftsTable(day)+" (rowid, command_line, message) SELECT rowid, command_line, message FROM "+
		eventsTable(day)+" WHERE rowid > ? AND rowid <= ? AND (command_line IS NOT NULL OR message IS NOT NULL)", mark, hi)
	if err != nil {
		return false, err
	}
	if _, err := tx.ExecContext(ctx, "UPDATE partitions SET fts_rowid = ? WHERE day = ?", hi, day); err != nil {
		return false, err
	}
	if err := tx.Commit(); err != nil {
		return false, err
	}
	return hi == top.Int64, nil
}
