// Package httpapi is the server's HTTP API under /api/v1/ (events search and
// aggregations, hosts, inventories, scan results, enrollment tokens, alerts), its
// OpenAPI document, /healthz and /metrics, and the Go client the CLI uses.
// Handlers are thin: they decode the request, call the store or a service
// passed in Deps, and encode JSON. Every route except /healthz requires the
// admin bearer token; the agent-facing routes are mounted by the server from
// the transport package and authenticate with mutual TLS instead.
package httpapi

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/vigil-sec/vigil/internal/detect"
	"github.com/vigil-sec/vigil/internal/store"
)

// MaxBodyBytes bounds request bodies of the admin API.
const MaxBodyBytes = 64 << 10

// TokenIssuer creates enrollment tokens.
type TokenIssuer interface {
	// IssueToken creates a token valid for ttl and uses enrollments and
	// returns the secret string handed to an agent with what is stored.
	IssueToken(ctx context.Context, ttl time.Duration, uses int) (string, store.Token, error)
}

// MetricsWriter writes the Prometheus text exposition of the server.
type MetricsWriter interface {
	WriteMetrics(ctx context.Context, w io.Writer) error
}

// Deps are what the handlers need.
type Deps struct {
	Store store.Store
	// Alerts keeps the detector's alerts; nil: the alerts endpoints answer
	// 501.
	Alerts     detect.AlertStore
	AdminToken string
	Tokens     TokenIssuer
	Metrics    MetricsWriter // nil: /metrics answers 404
	Logger     *slog.Logger
	Now        func() time.Time
	// OfflineAfter is how long after its last heartbeat a host counts as
	// offline (three heartbeat intervals).
	OfflineAfter time.Duration
}

// route is one registered endpoint; the OpenAPI document must describe
// exactly these (a test checks both ways).
type route struct {
	method, path string
	public       bool
	handle       func(a *api, w http.ResponseWriter, r *http.Request)
}

// routes lists every endpoint of the admin API.
var routes = []route{
	{method: "GET", path: "/healthz", public: true, handle: (*api).healthz},
	{method: "GET", path: "/metrics", handle: (*api).metrics},
	{method: "GET", path: "/api/v1/openapi.json", handle: (*api).openAPI},
	{method: "GET", path: "/api/v1/events", handle: (*api).searchEvents},
	{method: "GET", path: "/api/v1/events/histogram", handle: (*api).histogram},
	{method: "GET", path: "/api/v1/events/top", handle: (*api).top},
	{method: "GET", path: "/api/v1/hosts", handle: (*api).hosts},
	{method: "GET", path: "/api/v1/hosts/{id}", handle: (*api).host},
	{method: "GET", path: "/api/v1/hosts/{id}/inventory", handle: documentHandler("inventory")},
	{method: "GET", path: "/api/v1/hosts/{id}/scan", handle: documentHandler("scan")},
	{method: "GET", path: "/api/v1/hosts/{id}/vulnerabilities", handle: (*api).hostVulnerabilities},
	{method: "GET", path: "/api/v1/vulnerabilities", handle: (*api).vulnerabilities},
	{method: "POST", path: "/api/v1/hosts/{id}/revoke", handle: (*api).revoke},
	{method: "POST", path: "/api/v1/tokens", handle: (*api).createToken},
	{method: "GET", path: "/api/v1/alerts", handle: (*api).listAlerts},
	{method: "GET", path: "/api/v1/alerts/{id}", handle: (*api).getAlert},
	{method: "PATCH", path: "/api/v1/alerts/{id}", handle: (*api).patchAlert},
}

type api struct {
	Deps
}

// Register adds the admin API's routes to mux.
func Register(mux *http.ServeMux, d Deps) {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.OfflineAfter <= 0 {
		d.OfflineAfter = 30 * time.Second
	}
	a := &api{Deps: d}
	for _, rt := range routes {
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { rt.handle(a, w, r) })
		if rt.public {
			mux.Handle(rt.method+" "+rt.path, h)
		} else {
			mux.Handle(rt.method+" "+rt.path, a.auth(h))
		}
	}
	// Unknown paths under the API answer JSON rather than the mux's text.
	mux.Handle("/api/v1/", a.auth(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "no_route", "no such endpoint: "+r.Method+" "+r.URL.Path)
	})))
}

// auth requires the admin bearer token, compared in constant time.
func (a *api) auth(next http.Handler) http.Handler {
	want := []byte(a.AdminToken)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || len(want) == 0 || subtle.ConstantTimeCompare([]byte(strings.TrimSpace(got)), want) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="vigil"`)
			writeError(w, http.StatusUnauthorized, "unauthorized", "missing or wrong bearer token (see DIR/admin.token)")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// errorBody is the JSON shape of every error answer.
type errorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	var b errorBody
	b.Error.Code, b.Error.Message = code, msg
	writeJSON(w, status, b)
}

// storeError maps a store error to an HTTP answer.
func (a *api) storeError(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, store.ErrNotFound):
		writeError(w, http.StatusNotFound, "not_found", err.Error())
	case errors.Is(err, store.ErrBadRequest):
		writeError(w, http.StatusBadRequest, "bad_request", err.Error())
	case errors.Is(err, store.ErrConflict):
		writeError(w, http.StatusConflict, "conflict", err.Error())
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		writeError(w, http.StatusServiceUnavailable, "unavailable", "request cancelled")
	default:
		a.Logger.Error("store", "path", r.URL.Path, "err", err)
		writeError(w, http.StatusInternalServerError, "internal", "internal error (see the server log)")
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// decodeBody reads a bounded JSON body into v; an empty body leaves v as is.
func decodeBody(w http.ResponseWriter, r *http.Request, v any) bool {
	r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	var tooBig *http.MaxBytesError
	switch {
	case err == nil, errors.Is(err, io.EOF):
		return true
	case errors.As(err, &tooBig):
		writeError(w, http.StatusRequestEntityTooLarge, "too_large", "request body larger than 64 KiB")
	default:
		writeError(w, http.StatusBadRequest, "bad_body", "request body: "+err.Error())
	}
	return false
}

func (a *api) healthz(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (a *api) metrics(w http.ResponseWriter, r *http.Request) {
	if a.Metrics == nil {
		writeError(w, http.StatusNotFound, "not_found", "metrics are not enabled")
		return
	}
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	if err := a.Metrics.WriteMetrics(r.Context(), w); err != nil {
		a.Logger.Warn("metrics", "err", err)
	}
}
