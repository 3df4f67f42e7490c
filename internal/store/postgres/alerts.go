package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/vigil-sec/vigil/internal/detect"
	"github.com/vigil-sec/vigil/internal/store"
)

var _ detect.AlertStore = (*Store)(nil)

// alertLockKey is the first key of the advisory locks that serialise upserts
// of one dedup key (the second is the key's hash).
const alertLockKey = 0x616c7274 // "alrt"

// UpsertAlert implements detect.AlertStore. The fold runs in one
// transaction holding an advisory lock on the dedup key, so concurrent
// upserts of a key, also from several server processes, are serialised; a
// row lock (SELECT ... FOR UPDATE) would not cover the first alert of a key.
func (s *Store) UpsertAlert(ctx context.Context, a detect.Alert, window time.Duration) (detect.Alert, bool, error) {
	if a.ID == "" || a.DedupKey == "" {
		return detect.Alert{}, false, fmt.Errorf("upsert alert: %w: alert needs an id and a dedup key", detect.ErrInvalid)
	}
	a.ID, a.DedupKey = pgText(a.ID), pgText(a.DedupKey)
	var out detect.Alert
	var created bool
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1, hashtext($2))", int32(alertLockKey), a.DedupKey); err != nil {
			return err
		}
		old, err := alertByQuery(ctx, tx, "SELECT doc FROM alerts WHERE id = $1", a.ID)
		if err == nil {
			out = old
			return nil
		}
		if !errors.Is(err, detect.ErrNotFound) {
			return err
		}
		now := s.now().UTC()
		k, err := alertByQuery(ctx, tx, "SELECT doc FROM alerts WHERE dedup_key = $1 ORDER BY seq DESC LIMIT 1", a.DedupKey)
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
		doc, err := encodeAlert(&out)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO alerts (id, dedup_key, status, level_rank, rule_id, host_name, last_seen_ns, doc)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb) ON CONFLICT (id) DO NOTHING`, out.ID, out.DedupKey, out.Status,
			detect.LevelRank(out.Rule.Level), pgText(out.Rule.ID), pgText(out.Host.Name), out.LastSeen.UnixNano(), doc)
		return err
	})
	if err != nil {
		return detect.Alert{}, false, fmt.Errorf("upsert alert %s: %w", a.ID, err)
	}
	return out, created, nil
}

// encodeAlert is the alert's JSON document as jsonb accepts it (no \u0000).
func encodeAlert(a *detect.Alert) (string, error) {
	doc, err := json.Marshal(a)
	if err != nil {
		return "", fmt.Errorf("encode alert %s: %w", a.ID, err)
	}
	return strings.ReplaceAll(string(doc), `\u0000`, `\ufffd`), nil
}

// GetAlert implements detect.AlertStore.
func (s *Store) GetAlert(ctx context.Context, id string) (detect.Alert, error) {
	a, err := alertByQuery(ctx, s.pool, "SELECT doc FROM alerts WHERE id = $1", pgText(id))
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
	q, args := store.ListAlertsQuery(f, dialect{}.Param)
	for i, a := range args {
		// Host and rule ID as stored (see UpsertAlert); the other strings
		// were validated.
		if v, ok := a.(string); ok {
			args[i] = pgText(v)
		}
	}
	rows, err := s.pool.Query(ctx, q, args...)
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

// UpdateAlert implements detect.AlertStore. The row is locked (FOR UPDATE)
// for the read-modify-write.
func (s *Store) UpdateAlert(ctx context.Context, id string, u detect.Update) (detect.Alert, error) {
	if err := u.Validate(); err != nil {
		return detect.Alert{}, fmt.Errorf("update alert %s: %w", id, err)
	}
	var out detect.Alert
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		a, err := alertByQuery(ctx, tx, "SELECT doc FROM alerts WHERE id = $1 FOR UPDATE", pgText(id))
		if err != nil {
			return err
		}
		if err := u.Apply(&a, s.now().UTC()); err != nil {
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

func saveAlert(ctx context.Context, tx pgx.Tx, a *detect.Alert) error {
	doc, err := encodeAlert(a)
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, "UPDATE alerts SET status = $1, last_seen_ns = $2, doc = $3::jsonb WHERE id = $4",
		a.Status, a.LastSeen.UnixNano(), doc, a.ID)
	return err
}

type rowQuerier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// alertByQuery returns the alert of a one-column doc query; ErrNotFound
// when there is none.
func alertByQuery(ctx context.Context, db rowQuerier, q string, arg any) (detect.Alert, error) {
	return store.DecodeJSONRow[detect.Alert](db.QueryRow(ctx, q, arg), pgx.ErrNoRows, detect.ErrNotFound)
}
