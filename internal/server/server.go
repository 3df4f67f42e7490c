// Package server is the vigil server process: it initialises and reuses its
// data directory (CA, server certificate, admin token, server.json, store),
// serves the admin API (package httpapi) and the agent endpoints (mounted
// from the transport package) over TLS, watches heartbeats to mark hosts
// offline and online, enforces retention per event category, and shuts down
// within ShutdownTimeout.
package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/vigil-sec/vigil/internal/detect"
	"github.com/vigil-sec/vigil/internal/httpapi"
	"github.com/vigil-sec/vigil/internal/notify"
	"github.com/vigil-sec/vigil/internal/store"
	"github.com/vigil-sec/vigil/internal/transport"
)

// Defaults.
const (
	DefaultListen            = "127.0.0.1:7700"
	DefaultHeartbeatInterval = transport.DefaultHeartbeatInterval
	DefaultRetentionDays     = 90
	// ShutdownTimeout bounds a stop: in-flight requests get most of it,
	// then connections are closed.
	ShutdownTimeout = 5 * time.Second
	retentionEvery  = time.Hour
	// BatchHorizon is how long the (agent, seq) record of a committed batch
	// is kept to answer a resend with Duplicate: four times the agent
	// spool's default maximum age (a record older than that cannot be
	// resent unless an agent keeps its spool longer; even then its events
	// are deduplicated by event.id while they are stored).
	BatchHorizon = 30 * 24 * time.Hour
)

// Config configures a server.
type Config struct {
	DataDir string
	Listen  string
	// OpenStore opens the store kept in (or configured for) the data dir.
	OpenStore func(ctx context.Context, dataDir string) (store.Store, error)
	// HeartbeatInterval is the agents' heartbeat period; a host missing
	// three is offline.
	HeartbeatInterval time.Duration
	// Retention is days to keep per event category; other categories keep
	// RetentionDays.
	Retention     map[string]int
	RetentionDays int
	// NewToken makes enrollment tokens (default transport.NewToken).
	NewToken NewTokenFunc
	// Transport tunes the agent endpoints.
	Transport transport.ServerOptions
	// Detection configures the evaluation of ingested events (rule dirs,
	// suppression, extra vigil paths); the server sets its Store (the
	// server's store, which must implement detect.AlertStore), Notifier and
	// Logger. NoDetection turns it off (the alerts API still answers).
	Detection   detect.Options
	NoDetection bool
	// DetectQueue bounds the batches waiting for detection (default
	// DefaultDetectQueue); see docs/alerts.md for the behaviour at the bound.
	DetectQueue int
	// Notify, when set, receives every new alert; the server runs it.
	Notify *notify.Router
	// VulnCheckInterval is how often the server looks for a changed
	// advisory database DIR/vuln.db (default DefaultVulnCheckInterval).
	VulnCheckInterval time.Duration
	Logger            *slog.Logger
	Now               func() time.Time
}

func (c *Config) defaults() {
	if c.Listen == "" {
		c.Listen = DefaultListen
	}
	if c.HeartbeatInterval <= 0 {
		c.HeartbeatInterval = DefaultHeartbeatInterval
	}
	if c.RetentionDays <= 0 {
		c.RetentionDays = DefaultRetentionDays
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.NewToken == nil {
		c.NewToken = transport.NewToken
	}
	if c.Now == nil {
		c.Now = time.Now
	}
}

// Server is an initialised server, not yet serving.
type Server struct {
	cfg     Config
	dir     *DataDir
	st      store.Store
	metrics *Metrics
	mux     *http.ServeMux
	log     *slog.Logger

	alerts detect.AlertStore // nil when the store keeps no alerts
	detect *detection        // nil when detection is off
	vulns  *vulnMatcher
	agents *transport.Server

	mu sync.Mutex
	ln net.Listener
}

// Open initialises or reuses the data dir and opens the store.
func Open(ctx context.Context, cfg Config) (*Server, error) {
	cfg.defaults()
	if cfg.OpenStore == nil {
		return nil, errors.New("server: no store")
	}
	dir, err := InitDataDir(cfg.DataDir, cfg.Listen, cfg.Now())
	if err != nil {
		return nil, err
	}
	raw, err := cfg.OpenStore(ctx, cfg.DataDir)
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	m := newMetrics()
	s := &Server{cfg: cfg, dir: dir, st: timedStore{Store: raw, m: m}, metrics: m, mux: http.NewServeMux(), log: cfg.Logger}
	s.alerts, _ = raw.(detect.AlertStore)
	if !cfg.NoDetection {
		if s.alerts == nil {
			raw.Close()
			return nil, errors.New("server: the store keeps no alerts; detection needs one (or turn detection off)")
		}
		opts := cfg.Detection
		opts.Store = s.alerts
		if cfg.Notify != nil {
			opts.Notifier = cfg.Notify
		}
		if s.detect, err = newDetection(opts, cfg.DetectQueue, m, cfg.Logger.With("component", "detect")); err != nil {
			raw.Close()
			return nil, err
		}
	}
	offlineAfter := 3 * cfg.HeartbeatInterval
	m.hostsOnline = func(ctx context.Context) (int, int, error) {
		hs, err := s.st.Hosts(ctx)
		online := 0
		for _, h := range hs {
			if httpapi.HostStatus(h, cfg.Now(), offlineAfter) == httpapi.StatusOnline {
				online++
			}
		}
		return online, len(hs), err
	}
	httpapi.Register(s.mux, httpapi.Deps{
		Store: s.st, Alerts: s.alerts, AdminToken: dir.AdminToken, Metrics: m, Logger: cfg.Logger.With("component", "api"),
		Now: cfg.Now, OfflineAfter: offlineAfter,
		Tokens: tokenIssuer{st: s.st, ca: dir.CA, newToken: cfg.NewToken, now: cfg.Now},
	})
	topts := cfg.Transport
	if topts.Logger == nil {
		topts.Logger = cfg.Logger
	}
	if topts.Now == nil {
		topts.Now = cfg.Now
	}
	if s.detect != nil {
		topts.AfterIngest = s.detect.enqueue
	}
	s.vulns = newVulnMatcher(s.st, dir.Path, cfg.VulnCheckInterval, cfg.Now, cfg.Logger)
	topts.AfterDocument = s.vulns.afterDocument
	s.agents = transport.NewServer(s.st, dir.CA, topts)
	s.agents.Register(s.mux)
	return s, nil
}

// Store is the server's store (timed for /metrics); the transport's
// handlers ingest through it.
func (s *Server) Store() store.Store { return s.st }

// Alerts is the server's alert store; nil when the store keeps none.
func (s *Server) Alerts() detect.AlertStore { return s.alerts }

// Detector is the running detector; nil when detection is off.
func (s *Server) Detector() *detect.Detector {
	if s.detect == nil {
		return nil
	}
	return s.detect.det
}

// Agents is the agent endpoints' server, through which policies and tasks
// are given to agents (SetPolicy, AddTask).
func (s *Server) Agents() *transport.Server { return s.agents }

// DataDir is the loaded data directory.
func (s *Server) DataDir() *DataDir { return s.dir }

// IssueToken creates an enrollment token in the server's store.
func (s *Server) IssueToken(ctx context.Context, ttl time.Duration, uses int) (string, store.Token, error) {
	return IssueToken(ctx, s.st, s.dir.CA, s.cfg.NewToken, s.cfg.Now(), ttl, uses)
}

// Listen binds the listen address and records it in DIR/server.json. Run
// calls it when it has not been called.
func (s *Server) Listen() (net.Addr, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln != nil {
		return s.ln.Addr(), nil
	}
	ln, err := net.Listen("tcp", s.cfg.Listen)
	if err != nil {
		return nil, fmt.Errorf("listen: %w", err)
	}
	if err := writeServerInfo(s.dir.Path, ln.Addr()); err != nil {
		ln.Close()
		return nil, err
	}
	s.ln = ln
	return ln.Addr(), nil
}

// URL is the base URL local clients use (valid after Listen).
func (s *Server) URL() string {
	info, err := ReadServerInfo(s.dir.Path)
	if err != nil {
		return ""
	}
	return info.URL
}

// tlsConfig serves the server certificate and asks for (but does not
// require) a client certificate signed by the CA: agents present one, the
// admin API uses the bearer token.
func (s *Server) tlsConfig() (*tls.Config, error) {
	return transport.ServerTLSConfig(s.dir.CA, s.dir.CertPath, s.dir.KeyPath)
}

// Run serves until ctx ends, then stops within ShutdownTimeout: in-flight
// requests are given the time to finish, then every connection is closed.
// The background loops have stopped when Run returns. The store stays open
// (Close closes it).
func (s *Server) Run(ctx context.Context) error {
	addr, err := s.Listen()
	if err != nil {
		return err
	}
	tcfg, err := s.tlsConfig()
	if err != nil {
		return err
	}
	// Requests run under base, which shutdown cancels after a grace period
	// so that long polls and slow queries end before the deadline.
	base, cancelBase := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelBase()
	srv := &http.Server{
		Handler: s.mux, TLSConfig: tcfg,
		ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute,
		ErrorLog:    slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
		BaseContext: func(net.Listener) context.Context { return base },
	}
	loopCtx, stopLoops := context.WithCancel(ctx)
	var wg sync.WaitGroup
	s.startLoops(loopCtx, &wg)
	s.log.Info("server listening", "addr", addr.String(), "data", s.dir.Path)

	errc := make(chan error, 1)
	go func() { errc <- srv.ServeTLS(s.ln, "", "") }()
	select {
	case err = <-errc:
	case <-ctx.Done():
		err = shutdown(srv, errc, cancelBase)
	}
	stopLoops()
	wg.Wait()
	s.mu.Lock()
	s.ln = nil
	s.mu.Unlock()
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	s.log.Info("server stopped")
	return err
}

// shutdown stops accepting, gives in-flight requests a second, then cancels
// their context, and closes every connection still open one second before
// ShutdownTimeout.
func shutdown(srv *http.Server, errc <-chan error, cancelRequests context.CancelFunc) error {
	sctx, cancel := context.WithTimeout(context.Background(), ShutdownTimeout-time.Second)
	defer cancel()
	grace := time.AfterFunc(time.Second, cancelRequests)
	defer grace.Stop()
	err := srv.Shutdown(sctx)
	if err != nil {
		err = srv.Close()
	}
	if serr := <-errc; !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	return err
}

func (s *Server) startLoops(ctx context.Context, wg *sync.WaitGroup) {
	// The notifier stops after detection has drained its queue, so that
	// alerts raised during the drain are still sent.
	nctx, stopNotify := context.WithCancel(context.WithoutCancel(ctx))
	if s.detect != nil {
		wg.Go(func() {
			s.detect.run(ctx)
			stopNotify()
		})
		wg.Go(func() {
			if err := s.detect.det.Run(ctx); err != nil {
				s.log.Warn("rule reload", "err", err)
			}
		})
	} else {
		context.AfterFunc(ctx, stopNotify)
	}
	if s.cfg.Notify != nil {
		wg.Go(func() {
			if err := s.cfg.Notify.Run(nctx); err != nil {
				s.log.Warn("notifications", "err", err)
			}
		})
	}
	wg.Go(func() { s.vulns.run(ctx) })
	watch := &statusWatch{st: s.st, now: s.cfg.Now, offlineAfter: 3 * s.cfg.HeartbeatInterval, metrics: s.metrics, last: map[string]string{}}
	wg.Go(func() {
		every(ctx, min(s.cfg.HeartbeatInterval, 5*time.Second), func(ctx context.Context) {
			if err := watch.check(ctx); err != nil && ctx.Err() == nil {
				s.log.Warn("host status", "err", err)
			}
		})
	})
	wg.Go(func() {
		every(ctx, retentionEvery, func(ctx context.Context) {
			cut, fallback := retentionCutoffs(s.cfg.Now(), s.cfg.Retention, s.cfg.RetentionDays)
			n, err := s.st.Expire(ctx, cut, fallback)
			switch {
			case err != nil && ctx.Err() == nil:
				s.log.Warn("retention", "err", err)
			case n > 0:
				s.log.Info("retention", "deleted_events", n)
			}
			pruned, err := s.st.PruneBatches(ctx, s.cfg.Now().Add(-BatchHorizon))
			switch {
			case err != nil && ctx.Err() == nil:
				s.log.Warn("retention of batch records", "err", err)
			case pruned > 0:
				s.log.Info("retention", "pruned_batch_records", pruned)
			}
		})
	})
}

// Close closes the store.
func (s *Server) Close() error { return s.st.Close() }
