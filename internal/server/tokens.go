package server

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/vigil-sec/vigil/internal/pki"
	"github.com/vigil-sec/vigil/internal/store"
)

// TokenFormat turns a new token's id and secret and the CA fingerprint into
// the string handed to an agent (the transport package defines it).
type TokenFormat func(id, secret, caFingerprint string) string

// tokenIssuer creates enrollment tokens in a store.
type tokenIssuer struct {
	st     store.Store
	ca     *pki.CA
	format TokenFormat
	now    func() time.Time
}

// IssueToken implements httpapi.TokenIssuer.
func (ti tokenIssuer) IssueToken(ctx context.Context, ttl time.Duration, uses int) (string, store.Token, error) {
	return IssueToken(ctx, ti.st, ti.ca, ti.format, ti.now(), ttl, uses)
}

// IssueToken stores a new enrollment token valid for ttl and uses
// enrollments and returns its string form. The store keeps only the
// secret's SHA-256.
func IssueToken(ctx context.Context, st store.Store, ca *pki.CA, format TokenFormat, now time.Time, ttl time.Duration, uses int) (string, store.Token, error) {
	var idb [8]byte
	var secretb [32]byte
	_, _ = rand.Read(idb[:])
	_, _ = rand.Read(secretb[:])
	id, secret := hex.EncodeToString(idb[:]), hex.EncodeToString(secretb[:])
	sum := sha256.Sum256([]byte(secret))
	t := store.Token{ID: id, SecretHash: sum[:], CreatedAt: now, ExpiresAt: now.Add(ttl), UsesLeft: uses}
	if err := st.CreateToken(ctx, t); err != nil {
		return "", store.Token{}, fmt.Errorf("create token: %w", err)
	}
	if format == nil {
		format = defaultTokenFormat
	}
	return format(id, secret, pki.Fingerprint(ca.Cert)), t, nil
}

// defaultTokenFormat is used when no transport format is wired in.
func defaultTokenFormat(id, secret, fp string) string {
	return "vgl1." + id + "." + secret + "." + fp
}
