package transport

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/vigil-sec/vigil/internal/store"
)

// Enrollment token format (one string, safe in a shell and a URL):
//
//	vgl1.<id>.<secret>.<pin>
//
// "vgl1" names the format version; id is 9 random bytes (12 base64url
// characters) that the server looks the token up by; secret is 24 random
// bytes (32 characters) of which the server keeps only the SHA-256; pin is
// the SHA-256 of the CA certificate's DER (43 characters), so an agent can
// verify the server on first contact without trusting the network. All
// parts are unpadded base64url; "." never occurs inside them.
const tokenPrefix = "vgl1"

// ErrBadToken is returned by ParseToken for a string that is not a token.
var ErrBadToken = errors.New("malformed enrollment token")

// Token is a parsed enrollment token.
type Token struct {
	ID     string
	Secret []byte
	// CAPin is the SHA-256 of the CA's DER, as pki.Fingerprint returns it
	// (hex).
	CAPin string
}

// String formats the token.
func (t Token) String() string {
	pin, _ := hex.DecodeString(t.CAPin)
	b64 := base64.RawURLEncoding
	return strings.Join([]string{tokenPrefix, t.ID, b64.EncodeToString(t.Secret), b64.EncodeToString(pin)}, ".")
}

// ParseToken parses a token string.
func ParseToken(s string) (Token, error) {
	parts := strings.Split(strings.TrimSpace(s), ".")
	if len(parts) != 4 || parts[0] != tokenPrefix {
		return Token{}, fmt.Errorf("%w: want vgl1.<id>.<secret>.<pin>", ErrBadToken)
	}
	b64 := base64.RawURLEncoding
	id, err := b64.DecodeString(parts[1])
	if err != nil || len(id) != 9 {
		return Token{}, fmt.Errorf("%w: bad id", ErrBadToken)
	}
	secret, err := b64.DecodeString(parts[2])
	if err != nil || len(secret) != 24 {
		return Token{}, fmt.Errorf("%w: bad secret", ErrBadToken)
	}
	pin, err := b64.DecodeString(parts[3])
	if err != nil || len(pin) != sha256.Size {
		return Token{}, fmt.Errorf("%w: bad CA pin", ErrBadToken)
	}
	return Token{ID: parts[1], Secret: secret, CAPin: hex.EncodeToString(pin)}, nil
}

// SecretHash is what the server stores and compares for a secret.
func SecretHash(secret []byte) []byte {
	sum := sha256.Sum256(secret)
	return sum[:]
}

// NewToken makes an enrollment token valid for ttl and uses enrollments,
// pinning the CA with fingerprint caFingerprint (hex SHA-256, see
// pki.Fingerprint). It returns the string to give the operator and the
// record to store with store.CreateToken (which holds only the secret's
// hash).
func NewToken(ttl time.Duration, uses int, caFingerprint string, now time.Time) (string, store.Token, error) {
	if ttl <= 0 || uses <= 0 {
		return "", store.Token{}, errors.New("token: ttl and uses must be positive")
	}
	pin, err := hex.DecodeString(caFingerprint)
	if err != nil || len(pin) != sha256.Size {
		return "", store.Token{}, fmt.Errorf("token: CA fingerprint %q is not a hex SHA-256", caFingerprint)
	}
	id := make([]byte, 9)
	secret := make([]byte, 24)
	_, _ = rand.Read(id) // crypto/rand.Read never returns an error
	_, _ = rand.Read(secret)
	t := Token{ID: base64.RawURLEncoding.EncodeToString(id), Secret: secret, CAPin: caFingerprint}
	rec := store.Token{ID: t.ID, SecretHash: SecretHash(secret), CreatedAt: now, ExpiresAt: now.Add(ttl), UsesLeft: uses}
	return t.String(), rec, nil
}
