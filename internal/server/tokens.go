package server

import (
	"context"
	"fmt"
	"time"

	"github.com/vigil-sec/vigil/internal/pki"
	"github.com/vigil-sec/vigil/internal/store"
)

// NewTokenFunc makes an enrollment token pinning the CA fingerprint: the
// string for the operator and the record to store (transport.NewToken).
type NewTokenFunc func(ttl time.Duration, uses int, caFingerprint string, now time.Time) (string, store.Token, error)

// tokenIssuer creates enrollment tokens in a store.
type tokenIssuer struct {
	st       store.Store
	ca       *pki.CA
	newToken NewTokenFunc
	now      func() time.Time
}

// IssueToken implements httpapi.TokenIssuer.
func (ti tokenIssuer) IssueToken(ctx context.Context, ttl time.Duration, uses int) (string, store.Token, error) {
	return IssueToken(ctx, ti.st, ti.ca, ti.newToken, ti.now(), ttl, uses)
}

// IssueToken makes an enrollment token valid for ttl and uses enrollments
// and stores it (the store keeps only the secret's hash). It is how
// `vigil server token create` works on a stopped server, too.
func IssueToken(ctx context.Context, st store.Store, ca *pki.CA, newToken NewTokenFunc, now time.Time, ttl time.Duration, uses int) (string, store.Token, error) {
	s, t, err := newToken(ttl, uses, pki.Fingerprint(ca.Cert), now)
	if err != nil {
		return "", store.Token{}, err
	}
	if err := st.CreateToken(ctx, t); err != nil {
		return "", store.Token{}, fmt.Errorf("create token: %w", err)
	}
	return s, t, nil
}
