package httpapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/vigil-sec/vigil/internal/store"
)

// Host status values.
const (
	StatusOnline  = "online"
	StatusOffline = "offline"
)

// HostList is the answer of GET /api/v1/hosts.
type HostList struct {
	Hosts []store.Host `json:"hosts"`
}

// Document is the answer of the inventory and scan endpoints.
type Document struct {
	HostID   string          `json:"host_id"`
	Kind     string          `json:"kind"`
	At       time.Time       `json:"at"`
	Document json.RawMessage `json:"document"`
}

// TokenRequest is the body of POST /api/v1/tokens.
type TokenRequest struct {
	// TTL is a duration ("1h", "7d"); default 1h.
	TTL string `json:"ttl,omitempty"`
	// Uses is how many enrollments the token allows; default 1.
	Uses int `json:"uses,omitempty"`
}

// TokenResponse is the answer of POST /api/v1/tokens.
type TokenResponse struct {
	Token     string    `json:"token"`
	ID        string    `json:"id"`
	ExpiresAt time.Time `json:"expires_at"`
	Uses      int       `json:"uses"`
}

// Bounds of enrollment tokens.
const (
	DefaultTokenTTL = time.Hour
	MaxTokenTTL     = 365 * 24 * time.Hour
	MaxTokenUses    = 100000
)

// HostStatus derives a host's status from its last heartbeat: online when
// seen within offlineAfter of now, offline otherwise (and when revoked).
func HostStatus(h store.Host, now time.Time, offlineAfter time.Duration) string {
	if h.Revoked || h.LastSeen.IsZero() || now.Sub(h.LastSeen) > offlineAfter {
		return StatusOffline
	}
	return StatusOnline
}

func (a *api) hosts(w http.ResponseWriter, r *http.Request) {
	hs, err := a.Store.Hosts(r.Context())
	if err != nil {
		a.storeError(w, r, err)
		return
	}
	now := a.Now()
	for i := range hs {
		hs[i].Status = HostStatus(hs[i], now, a.OfflineAfter)
	}
	if hs == nil {
		hs = []store.Host{}
	}
	writeJSON(w, http.StatusOK, HostList{Hosts: hs})
}

func (a *api) host(w http.ResponseWriter, r *http.Request) {
	h, err := a.Store.Host(r.Context(), r.PathValue("id"))
	if err != nil {
		a.storeError(w, r, err)
		return
	}
	h.Status = HostStatus(h, a.Now(), a.OfflineAfter)
	writeJSON(w, http.StatusOK, h)
}

func documentHandler(kind string) func(a *api, w http.ResponseWriter, r *http.Request) {
	return func(a *api, w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		if _, err := a.Store.Host(r.Context(), id); err != nil {
			a.storeError(w, r, err)
			return
		}
		at, doc, err := a.Store.Document(r.Context(), id, kind)
		if err != nil {
			a.storeError(w, r, fmt.Errorf("%s of host %s: %w", kind, id, err))
			return
		}
		if !json.Valid(doc) {
			a.storeError(w, r, fmt.Errorf("%s of host %s: stored document is not JSON", kind, id))
			return
		}
		writeJSON(w, http.StatusOK, Document{HostID: id, Kind: kind, At: at, Document: doc})
	}
}

func (a *api) revoke(w http.ResponseWriter, r *http.Request) {
	h, err := a.Store.Host(r.Context(), r.PathValue("id"))
	if err != nil {
		a.storeError(w, r, err)
		return
	}
	h.Revoked = true
	h.Status = StatusOffline
	if err := a.Store.UpsertHost(r.Context(), h); err != nil {
		a.storeError(w, r, err)
		return
	}
	a.Logger.Info("host revoked", "host_id", h.ID, "name", h.Name)
	writeJSON(w, http.StatusOK, h)
}

func (a *api) createToken(w http.ResponseWriter, r *http.Request) {
	var req TokenRequest
	if !decodeBody(w, r, &req) {
		return
	}
	ttl := DefaultTokenTTL
	if req.TTL != "" {
		d, err := ParseDuration(req.TTL)
		if err != nil || d <= 0 || d > MaxTokenTTL {
			writeError(w, http.StatusBadRequest, "bad_ttl", fmt.Sprintf("ttl: want a duration between 1s and 365d, got %q", req.TTL))
			return
		}
		ttl = d
	}
	if req.Uses == 0 {
		req.Uses = 1
	}
	if req.Uses < 1 || req.Uses > MaxTokenUses {
		writeError(w, http.StatusBadRequest, "bad_uses", fmt.Sprintf("uses: want 1 to %d, got %d", MaxTokenUses, req.Uses))
		return
	}
	if a.Tokens == nil {
		writeError(w, http.StatusNotImplemented, "not_implemented", "this server cannot issue enrollment tokens")
		return
	}
	secret, t, err := a.Tokens.IssueToken(r.Context(), ttl, req.Uses)
	if err != nil {
		a.storeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, TokenResponse{Token: secret, ID: t.ID, ExpiresAt: t.ExpiresAt, Uses: t.UsesLeft})
}
