package store_test

import (
	"crypto/sha256"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/store"
)

func TestEncodeHost(t *testing.T) {
	h := store.Host{ID: "h-1", Name: "web1", OS: "debian 13", EnrolledAt: at.UTC(), Status: "online",
		Collectors: map[string]string{"audit": "running"}}
	doc, err := store.EncodeHost(h)
	if err != nil {
		t.Fatal(err)
	}
	var back store.Host
	if err := json.Unmarshal(doc, &back); err != nil {
		t.Fatalf("%s: %v", doc, err)
	}
	if back.ID != h.ID || back.Name != h.Name || !back.EnrolledAt.Equal(h.EnrolledAt) || back.Collectors["audit"] != "running" {
		t.Errorf("round trip: %+v, want %+v", back, h)
	}
	if _, err := store.EncodeHost(store.Host{Name: "no id"}); !errors.Is(err, store.ErrBadRequest) ||
		err.Error() != "upsert host: empty id: bad request" {
		t.Errorf("empty id: err = %v, want ErrBadRequest", err)
	}
}

func TestCheckTokenUse(t *testing.T) {
	secret := sha256.Sum256([]byte("the secret"))
	other := sha256.Sum256([]byte("another secret"))
	now := time.Date(2026, 11, 7, 12, 0, 0, 0, time.UTC)
	later, earlier := now.Add(time.Hour).UnixNano(), now.Add(-time.Hour).UnixNano()
	for _, tc := range []struct {
		name    string
		hash    []byte
		expires int64
		uses    int
		want    error
		text    string
	}{
		{"usable", secret[:], later, 1, nil, ""},
		{"wrong secret", other[:], later, 1, store.ErrNotFound, "not found"},
		{"no stored hash", nil, later, 1, store.ErrNotFound, "not found"},
		// A wrong secret learns nothing about the token's state.
		{"wrong secret, expired", other[:], earlier, 0, store.ErrNotFound, "not found"},
		{"expired", secret[:], earlier, 5, store.ErrConflict, "expired: conflict"},
		{"expires now", secret[:], now.UnixNano(), 5, store.ErrConflict, "expired: conflict"},
		{"used up", secret[:], later, 0, store.ErrConflict, "used up: conflict"},
		{"negative uses", secret[:], later, -1, store.ErrConflict, "used up: conflict"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := store.CheckTokenUse(tc.hash, secret[:], tc.expires, tc.uses, now)
			if tc.want == nil {
				if err != nil {
					t.Errorf("err = %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.text) {
				t.Errorf("err = %v, want %v (%q)", err, tc.want, tc.text)
			}
		})
	}
}
