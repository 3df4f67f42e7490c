package sqlite

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-sec/vigil/internal/store"
)

// Expire deletes events older than the cutoff of their category (the first
// of event.category; fallback for the others and for events without one; a
// zero time keeps everything). Days entirely older than every cutoff are
// dropped as whole tables; the rest is deleted row by row.
func (s *Store) Expire(ctx context.Context, cutoff map[string]time.Time, fallback time.Time) (int64, error) {
	whole, cats := store.RetentionPlan(cutoff, fallback)
	ps, err := s.partitions(ctx, s.r, time.Time{}, time.Time{})
	if err != nil {
		return 0, fmt.Errorf("expire: %w", err)
	}
	var total int64
	for _, p := range ps {
		var n int64
		var err error
		if !whole.IsZero() && !store.DayStart(p.day).AddDate(0, 0, 1).After(whole) {
			n, err = s.shards[p.shard].dropDay(ctx, p.day)
		} else {
			n, err = s.shards[p.shard].expireRows(ctx, p.day, cats, cutoff, fallback)
		}
		if err != nil {
			return total, fmt.Errorf("expire: partition %d: %w", p.day, err)
		}
		total += n
	}
	return total, nil
}

// PruneBatches deletes the batch records committed before the time given.
// A batch whose events went to several shards has a record in each; it
// counts once.
func (s *Store) PruneBatches(ctx context.Context, before time.Time) (int64, error) {
	type key struct {
		agent string
		seq   int64
	}
	pruned := map[key]bool{}
	for _, sh := range s.shards {
		err := func() error {
			sh.mu.Lock()
			defer sh.mu.Unlock()
			rows, err := sh.w.QueryContext(ctx, "DELETE FROM batches WHERE committed_ns < ? RETURNING agent_id, seq", before.UnixNano())
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				var k key
				if err := rows.Scan(&k.agent, &k.seq); err != nil {
					return err
				}
				pruned[k] = true
			}
			return rows.Err()
		}()
		if err != nil {
			return int64(len(pruned)), fmt.Errorf("prune batches: %w", err)
		}
	}
	return int64(len(pruned)), nil
}

// dropDay drops a day: first its trigram index (a crash before the event
// table goes leaves a day the indexer indexes again from its start), then
// its table.
func (s *shard) dropDay(ctx context.Context, day int) (int64, error) {
	s.fmu.Lock()
	defer s.fmu.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.dropIndex(ctx, day); err != nil {
		return 0, err
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	var n int64
	if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM "+eventsTable(day)).Scan(&n); err != nil {
		return 0, err
	}
	if _, err := tx.ExecContext(ctx, "DROP TABLE "+eventsTable(day)); err != nil {
		return 0, err
	}
	if _, err := tx.ExecContext(ctx, "DELETE FROM partitions WHERE day = ?", day); err != nil {
		return 0, err
	}
	if _, err := tx.ExecContext(ctx, "DELETE FROM doc_dicts WHERE day = ?", day); err != nil {
		return 0, err
	}
	if err := tx.Commit(); err != nil {
		return 0, err
	}
	delete(s.days, day)
	s.pack.forget(day)
	return n, nil
}

// expireRows deletes the expired rows of one day. The trigram index keeps
// their entries (harmless: every candidate is checked against its row) until
// the day is dropped; but deleting a day's newest rows lets SQLite give their
// rowids to new rows, so the watermark is first lowered to the largest rowid
// that stays, in the index file, before the rows go.
func (s *shard) expireRows(ctx context.Context, day int, cats []string, cutoff map[string]time.Time, fallback time.Time) (int64, error) {
	var conds []string
	var args []any
	for _, c := range cats {
		if t := cutoff[c]; !t.IsZero() && t.After(store.DayStart(day)) {
			args = append(args, c, t.UnixNano())
			conds = append(conds, "(category = ?"+strconv.Itoa(len(args)-1)+" AND ts < ?"+strconv.Itoa(len(args))+")")
		}
	}
	if !fallback.IsZero() && fallback.After(store.DayStart(day)) {
		in := make([]string, len(cats))
		for i, c := range cats {
			args = append(args, c)
			in[i] = "?" + strconv.Itoa(len(args))
		}
		args = append(args, fallback.UnixNano())
		cond := "ts < ?" + strconv.Itoa(len(args))
		if len(in) > 0 {
			cond = "((category IS NULL OR category NOT IN (" + strings.Join(in, ", ") + ")) AND " + cond + ")"
		}
		conds = append(conds, cond)
	}
	if len(conds) == 0 {
		return 0, nil
	}
	where := strings.Join(conds, " OR ")
	s.fmu.Lock()
	defer s.fmu.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	ftx, err := s.fw.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer ftx.Rollback()
	_, err = ftx.ExecContext(ctx, "UPDATE marks SET indexed_rowid = min(indexed_rowid, coalesce((SELECT max(rowid) FROM ev."+eventsTable(day)+
		" WHERE NOT coalesce(("+where+"), 0)), 0)) WHERE day = "+strconv.Itoa(day), args...)
	if err != nil {
		return 0, err
	}
	if err := ftx.Commit(); err != nil {
		return 0, err
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, "DELETE FROM "+eventsTable(day)+" WHERE "+where, args...)
	if err != nil {
		return 0, err
	}
	n, _ := res.RowsAffected()
	if err := tx.Commit(); err != nil {
		return 0, err
	}
	return n, nil
}
