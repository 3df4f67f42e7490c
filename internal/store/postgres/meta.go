package postgres

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/vigil-sec/vigil/internal/store"
)

// UpsertHost records or replaces a host.
func (s *Store) UpsertHost(ctx context.Context, h store.Host) error {
	// Names and versions come from agents: text and jsonb hold no NUL.
	h.Name = pgText(h.Name)
	doc, err := store.EncodeHost(h)
	if err != nil {
		return err
	}
	doc = bytes.ReplaceAll(doc, []byte(`\u0000`), []byte(`\ufffd`))
	_, err = s.pool.Exec(ctx, `INSERT INTO hosts (id, name, doc) VALUES ($1, $2, $3::jsonb)
		ON CONFLICT (id) DO UPDATE SET name = excluded.name, doc = excluded.doc`, pgText(h.ID), h.Name, string(doc))
	if err != nil {
		return fmt.Errorf("upsert host %s: %w", h.ID, err)
	}
	return nil
}

// Host returns one host, or ErrNotFound.
func (s *Store) Host(ctx context.Context, id string) (store.Host, error) {
	row := s.pool.QueryRow(ctx, "SELECT doc::text FROM hosts WHERE id = $1", id)
	h, err := store.DecodeJSONRow[store.Host](row, pgx.ErrNoRows, store.ErrNotFound)
	if err != nil {
		return store.Host{}, fmt.Errorf("host %q: %w", id, err)
	}
	return h, nil
}

// Hosts lists the hosts by name (then id).
func (s *Store) Hosts(ctx context.Context) ([]store.Host, error) {
	rows, err := s.pool.Query(ctx, "SELECT doc::text FROM hosts ORDER BY name, id")
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
	_, err := s.pool.Exec(ctx, `INSERT INTO documents (host_id, kind, at_ns, doc) VALUES ($1, $2, $3, $4)
		ON CONFLICT (host_id, kind) DO UPDATE SET at_ns = excluded.at_ns, doc = excluded.doc`, hostID, kind, at.UnixNano(), doc)
	if err != nil {
		return fmt.Errorf("put document %s/%s: %w", hostID, kind, err)
	}
	return nil
}

// Document returns the latest document of a kind for a host, or ErrNotFound.
func (s *Store) Document(ctx context.Context, hostID, kind string) (time.Time, []byte, error) {
	var at int64
	var doc []byte
	err := s.pool.QueryRow(ctx, "SELECT at_ns, doc FROM documents WHERE host_id = $1 AND kind = $2", hostID, kind).Scan(&at, &doc)
	if errors.Is(err, pgx.ErrNoRows) {
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
	tag, err := s.pool.Exec(ctx, `INSERT INTO tokens (id, secret_hash, created_ns, expires_ns, uses_left) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT DO NOTHING`, t.ID, t.SecretHash, t.CreatedAt.UnixNano(), t.ExpiresAt.UnixNano(), t.UsesLeft)
	if err != nil {
		return fmt.Errorf("create token: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("create token %s: exists: %w", t.ID, store.ErrConflict)
	}
	return nil
}

// UseToken takes one use of a token (see store.Store); the row lock makes
// concurrent uses, also from other processes, take at most the uses left.
func (s *Store) UseToken(ctx context.Context, id string, secretHash []byte, now time.Time) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var hash []byte
		var expires int64
		var uses int
		err := tx.QueryRow(ctx, "SELECT secret_hash, expires_ns, uses_left FROM tokens WHERE id = $1 FOR UPDATE", id).Scan(&hash, &expires, &uses)
		if errors.Is(err, pgx.ErrNoRows) {
			return store.ErrNotFound
		}
		if err != nil {
			return err
		}
		if err := store.CheckTokenUse(hash, secretHash, expires, uses, now); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, "UPDATE tokens SET uses_left = uses_left - 1 WHERE id = $1", id)
		return err
	})
	if err != nil {
		return fmt.Errorf("use token: %w", err)
	}
	return nil
}
