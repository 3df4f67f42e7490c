package postgres

import (
	"context"
	"fmt"
	"strconv"

	"github.com/jackc/pgx/v5"

	"github.com/vigil-sec/vigil/internal/store"
)

func partTable(day int) string { return "events_" + strconv.Itoa(day) }

// ensureDays creates the partitions of days that do not exist yet, each in
// its own short transaction under the advisory lock, so that concurrent
// servers do not race on the DDL.
func (s *Store) ensureDays(ctx context.Context, days []int) error {
	for _, day := range days {
		s.mu.Lock()
		known := s.days[day]
		s.mu.Unlock()
		if known {
			continue
		}
		start := store.DayStart(day)
		err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", int64(lockKey)); err != nil {
				return err
			}
			var n int
			if err := tx.QueryRow(ctx, "SELECT count(*) FROM partitions WHERE day = $1", day).Scan(&n); err != nil || n > 0 {
				return err
			}
			// DDL takes no parameters; only integers are pasted.
			ddl := "CREATE TABLE IF NOT EXISTS " + partTable(day) + " PARTITION OF events FOR VALUES FROM (" +
				strconv.FormatInt(start.UnixNano(), 10) + ") TO (" + strconv.FormatInt(start.AddDate(0, 0, 1).UnixNano(), 10) + ")"
			if _, err := tx.Exec(ctx, ddl); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, "INSERT INTO partitions (day, start_ns) VALUES ($1, $2)", day, start.UnixNano())
			return err
		})
		if err != nil {
			return fmt.Errorf("create partition %d: %w", day, err)
		}
		s.mu.Lock()
		s.days[day] = true
		s.mu.Unlock()
	}
	return nil
}
