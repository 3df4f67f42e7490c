package postgres

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/vigil-sec/vigil/internal/store"
)

// PruneBatches deletes the batch records committed before the time given.
func (s *Store) PruneBatches(ctx context.Context, before time.Time) (int64, error) {
	tag, err := s.pool.Exec(ctx, "DELETE FROM batches WHERE committed_ns < $1", before.UnixNano())
	if err != nil {
		return 0, fmt.Errorf("prune batches: %w", err)
	}
	return tag.RowsAffected(), nil
}

// Expire deletes events older than the cutoff of their category (the first
// of event.category; fallback for the others; a zero time keeps
// everything). Partitions entirely older than every cutoff are dropped.
func (s *Store) Expire(ctx context.Context, cutoff map[string]time.Time, fallback time.Time) (int64, error) {
	whole, cats := store.RetentionPlan(cutoff, fallback)
	var total int64
	if !whole.IsZero() {
		n, err := s.dropDays(ctx, whole)
		if err != nil {
			return 0, fmt.Errorf("expire: %w", err)
		}
		total += n
	}
	var conds []string
	var args []any
	for _, c := range cats {
		if t := cutoff[c]; !t.IsZero() {
			conds = append(conds, "(category = "+bind(&args, c)+" AND ts < "+bind(&args, t.UnixNano())+")")
		}
	}
	if !fallback.IsZero() {
		conds = append(conds, "((category IS NULL OR NOT (category = ANY("+bind(&args, cats)+"))) AND ts < "+bind(&args, fallback.UnixNano())+")")
	}
	if len(conds) == 0 {
		return total, nil
	}
	tag, err := s.pool.Exec(ctx, "DELETE FROM events WHERE "+strings.Join(conds, " OR "), args...)
	if err != nil {
		return total, fmt.Errorf("expire: %w", err)
	}
	return total + tag.RowsAffected(), nil
}

// dropDays drops the partitions that end at or before t, under the
// advisory lock, returning how many events they held.
func (s *Store) dropDays(ctx context.Context, t time.Time) (int64, error) {
	var total int64
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", int64(lockKey)); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, "SELECT day FROM partitions WHERE start_ns + 86400000000000 <= $1", t.UnixNano())
		if err != nil {
			return err
		}
		days, err := pgx.CollectRows(rows, pgx.RowTo[int])
		if err != nil {
			return err
		}
		for _, d := range days {
			var n int64
			if err := tx.QueryRow(ctx, "SELECT count(*) FROM "+partTable(d)).Scan(&n); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, "DROP TABLE "+partTable(d)); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, "DELETE FROM partitions WHERE day = $1", d); err != nil {
				return err
			}
			total += n
		}
		s.mu.Lock()
		for _, d := range days {
			delete(s.days, d)
		}
		s.mu.Unlock()
		return nil
	})
	return total, err
}
