package store

import (
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"time"
)

// EncodeHost checks a host given to UpsertHost (an empty ID is
// ErrBadRequest) and returns its JSON document.
func EncodeHost(h Host) ([]byte, error) {
	if h.ID == "" {
		return nil, fmt.Errorf("upsert host: empty id: %w", ErrBadRequest)
	}
	doc, err := json.Marshal(h)
	if err != nil {
		return nil, fmt.Errorf("upsert host %s: %w", h.ID, err)
	}
	return doc, nil
}

// CheckTokenUse decides UseToken for a token as stored (the SHA-256 of its
// secret, its expiry in Unix nanoseconds, its uses left): ErrNotFound when
// secretHash is not the token's (compared in constant time), ErrConflict
// when it has expired at now or has no use left, nil when one use may be
// taken.
func CheckTokenUse(hash, secretHash []byte, expiresNS int64, usesLeft int, now time.Time) error {
	if subtle.ConstantTimeCompare(hash, secretHash) != 1 {
		return ErrNotFound
	}
	if now.UnixNano() >= expiresNS {
		return fmt.Errorf("expired: %w", ErrConflict)
	}
	if usesLeft <= 0 {
		return fmt.Errorf("used up: %w", ErrConflict)
	}
	return nil
}
