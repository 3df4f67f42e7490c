package transport

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime"
	"strconv"
	"time"

	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/pki"
	"github.com/vigil-sec/vigil/internal/store"
)

// ServerOptions tune the agent endpoints. The zero value gives the defaults.
type ServerOptions struct {
	// MaxInflight bounds concurrent batch ingests; more get 429 with
	// Retry-After (default 4 per CPU).
	MaxInflight int
	// RetryAfter is the delay suggested to agents on 429 and 503 (default 1 s).
	RetryAfter time.Duration
	// PollTimeout is how long a poll waits for news (default 25 s).
	PollTimeout time.Duration
	// PollRecheck is how often a waiting poll re-reads the store, for
	// changes made by another server node (default 5 s).
	PollRecheck time.Duration
	// AfterIngest, when set, is called after a batch is committed and
	// before the agent is answered, with the events that batch newly stored
	// (not a duplicate batch, not events already stored), each with its
	// event.id. It must return quickly (the server queues them for
	// detection); ctx is the request's.
	AfterIngest func(ctx context.Context, events []event.Event)
	// AfterDocument, when set, is called after an agent's document (kind
	// DocInventory or DocScan) is stored. It must return quickly; ctx is
	// the request's.
	AfterDocument func(ctx context.Context, hostID, kind string)
	Now           func() time.Time
	Logger        *slog.Logger
}

// Server serves the agent endpoints (enrollment, events, heartbeat, poll).
type Server struct {
	store store.Store
	ca    *pki.CA
	opts  ServerOptions
	log   *slog.Logger
	mux   *http.ServeMux
	sem   chan struct{}
	ctl   *control
}

// NewServer returns the agent endpoints over st, signing enrollments with ca.
func NewServer(st store.Store, ca *pki.CA, opts ServerOptions) *Server {
	if opts.MaxInflight <= 0 {
		opts.MaxInflight = 4 * runtime.GOMAXPROCS(0)
	}
	if opts.RetryAfter <= 0 {
		opts.RetryAfter = time.Second
	}
	if opts.PollTimeout <= 0 {
		opts.PollTimeout = 25 * time.Second
	}
	if opts.PollRecheck <= 0 {
		opts.PollRecheck = 5 * time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{store: st, ca: ca, opts: opts, log: log.With("component", "transport"),
		sem: make(chan struct{}, opts.MaxInflight), ctl: newControl(st, opts.Now)}
	s.mux = http.NewServeMux()
	s.Register(s.mux)
	return s
}

// Register mounts the endpoints on mux.
func (s *Server) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET "+PathEnrollCA, s.handleCA)
	mux.HandleFunc("POST "+PathEnroll, s.handleEnroll)
	mux.HandleFunc("POST "+PathEvents, s.agentOnly(s.handleEvents))
	mux.HandleFunc("POST "+PathHeartbeat, s.agentOnly(s.handleHeartbeat))
	mux.HandleFunc("GET "+PathPoll, s.agentOnly(s.handlePoll))
	mux.HandleFunc("POST "+PathDocuments, s.agentOnly(s.handleDocument))
}

// ServeHTTP serves the agent endpoints alone.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// ServerTLSConfig returns the TLS configuration for the server's listener:
// the server certificate, and client certificates requested but verified
// by the agent endpoints themselves against ca (agentOnly), so that a
// certificate from another CA gets a clear 401 answer rather than a bare TLS
// alert. Enrollment and the bearer-token API need no certificate.
func ServerTLSConfig(ca *pki.CA, certFile, keyFile string) (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("server certificate: %w", err)
	}
	return &tls.Config{
		Certificates: []tls.Certificate{cert},
		ClientAuth:   tls.RequestClientCert,
		MinVersion:   tls.VersionTLS13,
	}, nil
}

// apiError is the JSON error body.
type apiError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

var statusCodes = map[int]string{
	http.StatusBadRequest: "bad_request", http.StatusUnauthorized: "unauthorized",
	http.StatusForbidden: "forbidden", http.StatusRequestEntityTooLarge: "too_large",
	http.StatusUnsupportedMediaType: "unsupported_media_type", http.StatusTooManyRequests: "overloaded",
	http.StatusServiceUnavailable: "unavailable", http.StatusInternalServerError: "internal",
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (s *Server) fail(w http.ResponseWriter, status int, msg string) {
	if status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", strconv.Itoa(int(max(s.opts.RetryAfter/time.Second, 1))))
	}
	writeJSON(w, status, apiError{Code: statusCodes[status], Message: msg})
}

type agentKey struct{}

// agentOnly authenticates the agent by its client certificate: the agent id
// is the certificate's common name, never a body field. No certificate or
// an unknown agent is 401; a revoked one 403, from its next request on.
func (s *Server) agentOnly(h func(http.ResponseWriter, *http.Request, store.Host)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.TLS == nil || len(r.TLS.PeerCertificates) == 0 {
			s.fail(w, http.StatusUnauthorized, "client certificate required (enroll the agent first)")
			return
		}
		// The listener only requests certificates; every one is verified
		// here, against this server's CA alone.
		leaf := r.TLS.PeerCertificates[0]
		inter := x509.NewCertPool()
		for _, c := range r.TLS.PeerCertificates[1:] {
			inter.AddCert(c)
		}
		if _, err := leaf.Verify(x509.VerifyOptions{Roots: s.ca.Pool(), Intermediates: inter,
			CurrentTime: s.opts.Now(), KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
			s.fail(w, http.StatusUnauthorized, "client certificate not issued by this server's CA")
			return
		}
		host, err := s.store.Host(r.Context(), leaf.Subject.CommonName)
		switch {
		case errors.Is(err, store.ErrNotFound):
			s.fail(w, http.StatusUnauthorized, "unknown agent "+strconv.Quote(leaf.Subject.CommonName))
			return
		case err != nil:
			s.log.Error("look up agent", "agent_id", leaf.Subject.CommonName, "err", err)
			s.fail(w, http.StatusServiceUnavailable, "store unavailable")
			return
		case host.Revoked:
			s.fail(w, http.StatusForbidden, "agent "+host.ID+" has been revoked")
			return
		}
		h(w, r, host)
	}
}

// readZstdBody checks that the request body is zstd and reads it, at most
// limit bytes; it answers the request itself (415, 413 or 400) and returns
// false when it cannot.
func (s *Server) readZstdBody(w http.ResponseWriter, r *http.Request, what string, limit int64) ([]byte, bool) {
	if ce := r.Header.Get("Content-Encoding"); ce != "zstd" {
		s.fail(w, http.StatusUnsupportedMediaType, "Content-Encoding must be zstd, got "+strconv.Quote(ce))
		return nil, false
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			s.fail(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("%s body over %d bytes", what, limit))
			return nil, false
		}
		s.fail(w, http.StatusBadRequest, "read body: "+err.Error())
		return nil, false
	}
	return body, true
}

// failDecode answers a body that did not decode: 413 when it decompressed
// beyond the limit, 400 otherwise.
func (s *Server) failDecode(w http.ResponseWriter, err error) {
	status := http.StatusBadRequest
	if errors.Is(err, ErrBatchTooLarge) {
		status = http.StatusRequestEntityTooLarge
	}
	s.fail(w, status, err.Error())
}

// IngestResponse is the answer to an accepted batch.
type IngestResponse struct {
	Seq       uint64 `json:"seq"`
	Stored    int    `json:"stored"`
	Duplicate bool   `json:"duplicate,omitempty"`
}

// handleEvents stores one batch and answers once it is committed.
func (s *Server) handleEvents(w http.ResponseWriter, r *http.Request, host store.Host) {
	select {
	case s.sem <- struct{}{}:
		defer func() { <-s.sem }()
	default:
		s.fail(w, http.StatusTooManyRequests, "server busy, retry later")
		return
	}
	seq, err := strconv.ParseUint(r.Header.Get(HeaderSeq), 10, 64)
	if err != nil || seq == 0 {
		s.fail(w, http.StatusBadRequest, "header "+HeaderSeq+" must be a positive batch sequence number")
		return
	}
	body, ok := s.readZstdBody(w, r, "batch", MaxBodyBytes)
	if !ok {
		return
	}
	events, err := DecodeBatch(body)
	if err != nil {
		s.failDecode(w, err)
		return
	}
	now := s.opts.Now().UTC()
	for i := range events {
		ev := &events[i]
		if ev.Agent == nil {
			ev.Agent = new(event.Agent)
		}
		ev.Agent.ID = host.ID // identity comes from the certificate only
		ev.Event.Ingested = now
		if ev.Event.ID == "" && s.opts.AfterIngest != nil {
			// Detection names the events of an alert by ID: give them one
			// here rather than let the store pick one we would not see.
			ev.Event.ID = event.NewID(ev.Timestamp)
		}
	}
	res, err := s.store.Ingest(r.Context(), store.Batch{AgentID: host.ID, Seq: seq, Events: events})
	if err != nil {
		s.ingestFailed(w, r.Context(), host.ID, seq, err)
		return
	}
	if s.opts.AfterIngest != nil && len(res.New) > 0 {
		stored := make([]event.Event, 0, len(res.New))
		for _, i := range res.New {
			stored = append(stored, events[i])
		}
		s.opts.AfterIngest(r.Context(), stored)
	}
	writeJSON(w, http.StatusOK, IngestResponse{Seq: seq, Stored: res.Stored, Duplicate: res.Duplicate})
}

func (s *Server) ingestFailed(w http.ResponseWriter, ctx context.Context, agentID string, seq uint64, err error) {
	if errors.Is(err, store.ErrBadRequest) {
		s.fail(w, http.StatusBadRequest, err.Error())
		return
	}
	if ctx.Err() == nil {
		s.log.Error("ingest", "agent_id", agentID, "seq", seq, "err", err)
	}
	s.fail(w, http.StatusServiceUnavailable, "batch not stored, retry later")
}

// readJSON decodes a small JSON body (at most limit bytes).
func readJSON(w http.ResponseWriter, r *http.Request, limit int64, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, limit))
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("request body: %w", err)
	}
	return nil
}
