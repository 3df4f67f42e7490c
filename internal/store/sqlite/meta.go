package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/vigil-sec/vigil/internal/store"
)

// UpsertHost records or replaces a host.
func (s *Store) UpsertHost(ctx context.Context, h store.Host) error {
	doc, err := store.EncodeHost(h)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	_, err = s.w.ExecContext(ctx, `INSERT INTO hosts (id, name, doc) VALUES (?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET name = excluded.name, doc = excluded.doc`, h.ID, h.Name, string(doc))
	if err != nil {
		return fmt.Errorf("upsert host %s: %w", h.ID, err)
	}
	return nil
}

// Host returns one host, or ErrNotFound.
func (s *Store) Host(ctx context.Context, id string) (store.Host, error) {
	row := s.r.QueryRowContext(ctx, "SELECT doc FROM hosts WHERE id = ?", id)
	h, err := store.DecodeJSONRow[store.Host](row, sql.ErrNoRows, store.ErrNotFound)
	if err != nil {
		return store.Host{}, fmt.Errorf("host %q: %w", id, err)
	}
	return h, nil
}

// Hosts lists the hosts by name (then id).
func (s *Store) Hosts(ctx context.Context) ([]store.Host, error) {
	rows, err := s.r.QueryContext(ctx, "SELECT doc FROM hosts ORDER BY name, id")
	if err != nil {
		return nil, fmt.Errorf("hosts: %w", err)
	}
	defer rows.Close()
	hs, err := store.DecodeJSONRows[store.Host](rows)
	if err != nil {
		return nil, fmt.Errorf("hosts: %w", err)
	}
	return hs, nil
}

// PutDocument replaces the document of a kind for a host.
func (s *Store) PutDocument(ctx context.Context, hostID, kind string, at time.Time, doc []byte) error {
	if hostID == "" || kind == "" {
		return fmt.Errorf("put document: empty host id or kind: %w", store.ErrBadRequest)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	_, err := s.w.ExecContext(ctx, `INSERT INTO documents (host_id, kind, at_ns, doc) VALUES (?, ?, ?, ?)
		ON CONFLICT (host_id, kind) DO UPDATE SET at_ns = excluded.at_ns, doc = excluded.doc`,
		hostID, kind, at.UnixNano(), doc)
	if err != nil {
		return fmt.Errorf("put document %s/%s: %w", hostID, kind, err)
	}
	return nil
}

// Document returns the latest document of a kind for a host, or ErrNotFound.
func (s *Store) Document(ctx context.Context, hostID, kind string) (time.Time, []byte, error) {
	var at int64
	var doc []byte
	err := s.r.QueryRowContext(ctx, "SELECT at_ns, doc FROM documents WHERE host_id = ? AND kind = ?", hostID, kind).Scan(&at, &doc)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, nil, fmt.Errorf("document %s/%s: %w", hostID, kind, store.ErrNotFound)
	}
	if err != nil {
		return time.Time{}, nil, fmt.Errorf("document %s/%s: %w", hostID, kind, err)
	}
	return time.Unix(0, at).UTC(), doc, nil
}

// CreateToken stores a new token; ErrConflict when the id exists.
func (s *Store) CreateToken(ctx context.Context, t store.Token) error {
	if t.ID == "" {
		return fmt.Errorf("create token: empty id: %w", store.ErrBadRequest)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	res, err := s.w.ExecContext(ctx, `INSERT OR IGNORE INTO tokens (id, secret_hash, created_ns, expires_ns, uses_left) VALUES (?, ?, ?, ?, ?)`,
		t.ID, t.SecretHash, t.CreatedAt.UnixNano(), t.ExpiresAt.UnixNano(), t.UsesLeft)
	if err != nil {
		return fmt.Errorf("create token: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("create token %s: exists: %w", t.ID, store.ErrConflict)
	}
	return nil
}

// UseToken takes one use of a token (see store.Store).
func (s *Store) UseToken(ctx context.Context, id string, secretHash []byte, now time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("use token: %w", err)
	}
	defer tx.Rollback()
	var hash []byte
	var expires int64
	var uses int
	err = tx.QueryRowContext(ctx, "SELECT secret_hash, expires_ns, uses_left FROM tokens WHERE id = ?", id).Scan(&hash, &expires, &uses)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("use token: %w", store.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("use token: %w", err)
	}
	if err := store.CheckTokenUse(hash, secretHash, expires, uses, now); err != nil {
		return fmt.Errorf("use token: %w", err)
	}
	if _, err := tx.ExecContext(ctx, "UPDATE tokens SET uses_left = uses_left - 1 WHERE id = ?", id); err != nil {
		return fmt.Errorf("use token: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("use token: commit: %w", err)
	}
	return nil
}
