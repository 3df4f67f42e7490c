package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/vigil-sec/vigil/internal/detect"
	"github.com/vigil-sec/vigil/internal/store"
)

var _ detect.AlertStore = (*Store)(nil)

// UpsertAlert implements detect.AlertStore. The fold runs in one write
// transaction; SQLite has one writer, so concurrent upserts of a dedup key
// are serialised and each sees the previous one's result.
func (s *Store) UpsertAlert(ctx context.Context, a detect.Alert, window time.Duration) (detect.Alert, bool, error) {
	if a.ID == "" || a.DedupKey == "" {
		return detect.Alert{}, false, fmt.Errorf("upsert alert: %w: alert needs an id and a dedup key", detect.ErrInvalid)
	}
	var out detect.Alert
	var created bool
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		old, err := alertByQuery(ctx, tx, "SELECT doc FROM alerts WHERE id = ?", a.ID)
		if err == nil {
			out = old
			return nil
		}
		if !errors.Is(err, detect.ErrNotFound) {
			return err
		}
		now := s.opts.Now().UTC()
		k, err := alertByQuery(ctx, tx, "SELECT doc FROM alerts WHERE dedup_key = ? ORDER BY seq DESC LIMIT 1", a.DedupKey)
		switch {
		case err == nil && detect.FoldsInto(&a, &k, window):
			detect.Fold(&k, &a)
			k.UpdatedAt = now
			out = k
			return saveAlert(ctx, tx, &k)
		case err != nil && !errors.Is(err, detect.ErrNotFound):
			return err
		}
		out, created = detect.Opened(a, now), true
		doc, err := json.Marshal(out)
		if err != nil {
			return fmt.Errorf("encode alert %s: %w", out.ID, err)
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO alerts (id, dedup_key, status, level_rank, rule_id, host_name, last_seen_ns, doc)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, out.ID, out.DedupKey, out.Status, detect.LevelRank(out.Rule.Level),
			out.Rule.ID, out.Host.Name, out.LastSeen.UnixNano(), string(doc))
		return err
	})
	if err != nil {
		return detect.Alert{}, false, fmt.Errorf("upsert alert %s: %w", a.ID, err)
	}
	return out, created, nil
}

// GetAlert implements detect.AlertStore.
func (s *Store) GetAlert(ctx context.Context, id string) (detect.Alert, error) {
	a, err := alertByQuery(ctx, s.r, "SELECT doc FROM alerts WHERE id = ?", id)
	if err != nil {
		return detect.Alert{}, fmt.Errorf("get alert %s: %w", id, err)
	}
	return a, nil
}

// ListAlerts implements detect.AlertStore.
func (s *Store) ListAlerts(ctx context.Context, f detect.Filter) ([]detect.Alert, error) {
	if err := f.Validate(); err != nil {
		return nil, fmt.Errorf("list alerts: %w", err)
	}
	q, args := store.ListAlertsQuery(f, func(int) string { return "?" })
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list alerts: %w", err)
	}
	defer rows.Close()
	out, err := store.DecodeJSONRows[detect.Alert](rows)
	if err != nil {
		return nil, fmt.Errorf("list alerts: %w", err)
	}
	return out, nil
}

// UpdateAlert implements detect.AlertStore.
func (s *Store) UpdateAlert(ctx context.Context, id string, u detect.Update) (detect.Alert, error) {
	if err := u.Validate(); err != nil {
		return detect.Alert{}, fmt.Errorf("update alert %s: %w", id, err)
	}
	var out detect.Alert
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		a, err := alertByQuery(ctx, tx, "SELECT doc FROM alerts WHERE id = ?", id)
		if err != nil {
			return err
		}
		if err := u.Apply(&a, s.opts.Now().UTC()); err != nil {
			return err
		}
		out = a
		return saveAlert(ctx, tx, &a)
	})
	if err != nil {
		return detect.Alert{}, fmt.Errorf("update alert %s: %w", id, err)
	}
	return out, nil
}

// writeTx runs fn in a write transaction (BEGIN IMMEDIATE on the single
// writer connection) under the writer lock shared with ingest.
func (s *Store) writeTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}

func saveAlert(ctx context.Context, tx *sql.Tx, a *detect.Alert) error {
	doc, err := json.Marshal(a)
	if err != nil {
		return fmt.Errorf("encode alert %s: %w", a.ID, err)
	}
	_, err = tx.ExecContext(ctx, "UPDATE alerts SET status = ?, last_seen_ns = ?, doc = ? WHERE id = ?",
		a.Status, a.LastSeen.UnixNano(), string(doc), a.ID)
	return err
}

type queryRower interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// alertByQuery returns the alert of a one-column doc query; ErrNotFound
// when there is none.
func alertByQuery(ctx context.Context, db queryRower, q string, arg any) (detect.Alert, error) {
	return store.DecodeJSONRow[detect.Alert](db.QueryRowContext(ctx, q, arg), sql.ErrNoRows, detect.ErrNotFound)
}
