package transport

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/pki"
	"github.com/vigil-sec/vigil/internal/query"
	"github.com/vigil-sec/vigil/internal/spool"
	"github.com/vigil-sec/vigil/internal/store"
	"github.com/vigil-sec/vigil/internal/store/sqlite"
)

// env is a real server: CA, server certificate, SQLite store and the
// agent endpoints on a TLS listener that can be stopped and restarted on
// the same address.
type env struct {
	t    *testing.T
	ca   *pki.CA
	st   store.Store
	srv  *Server
	tls  *tls.Config
	addr string
	url  string

	mu   sync.Mutex
	http *http.Server
	now  time.Time // zero: real time
}

func (e *env) Now() time.Time {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.now.IsZero() {
		return time.Now()
	}
	return e.now
}

func (e *env) setNow(t time.Time) {
	e.mu.Lock()
	e.now = t
	e.mu.Unlock()
}

func newEnv(t *testing.T, opts ServerOptions) *env {
	t.Helper()
	dir := t.TempDir()
	ca, err := pki.LoadOrCreateCA(dir, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile, err := ca.EnsureServerCert(dir, []string{"127.0.0.1"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.Open(context.Background(), filepath.Join(dir, "vigil.db"), sqlite.Options{Synchronous: "NORMAL"})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, ca: ca, st: st}
	if opts.Now == nil {
		opts.Now = e.Now
	}
	e.srv = NewServer(st, ca, opts)
	e.tls, err = ServerTLSConfig(ca, certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	e.start("127.0.0.1:0")
	t.Cleanup(func() {
		e.stop()
		st.Close()
	})
	return e
}

func (e *env) start(addr string) {
	e.t.Helper()
	var ln net.Listener
	var err error
	for range 50 { // the old socket may linger briefly after stop
		if ln, err = net.Listen("tcp", addr); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		e.t.Fatal(err)
	}
	hs := &http.Server{Handler: e.srv, TLSConfig: e.tls, ErrorLog: nil}
	e.mu.Lock()
	e.http, e.addr, e.url = hs, ln.Addr().String(), "https://"+ln.Addr().String()
	e.mu.Unlock()
	go hs.Serve(tls.NewListener(ln, e.tls))
}

func (e *env) stop() {
	e.mu.Lock()
	hs := e.http
	e.http = nil
	e.mu.Unlock()
	if hs != nil {
		hs.Close()
	}
}

// token stores and returns a new token.
func (e *env) token(ttl time.Duration, uses int) string {
	e.t.Helper()
	s, rec, err := NewToken(ttl, uses, pki.Fingerprint(e.ca.Cert), e.Now())
	if err != nil {
		e.t.Fatal(err)
	}
	if err := e.st.CreateToken(context.Background(), rec); err != nil {
		e.t.Fatal(err)
	}
	return s
}

// enroll enrolls a new agent in a fresh state directory.
func (e *env) enroll(name string) (Identity, string) {
	e.t.Helper()
	dir := e.t.TempDir()
	id, err := Enroll(context.Background(), e.url, e.token(time.Hour, 1), dir, HostFacts{Name: name, Hostname: name, AgentVersion: "test"})
	if err != nil {
		e.t.Fatalf("enroll: %v", err)
	}
	return id, dir
}

func (e *env) client(id Identity) *http.Client {
	e.t.Helper()
	cfg, err := id.TLSConfig()
	if err != nil {
		e.t.Fatal(err)
	}
	return &http.Client{Transport: &http.Transport{TLSClientConfig: cfg}, Timeout: 30 * time.Second}
}

// count returns the number of stored events matching q ("" for all).
func (e *env) count(q string) int64 {
	e.t.Helper()
	var n query.Node = query.All{}
	if q != "" {
		var err error
		if n, err = query.Parse(q); err != nil {
			e.t.Fatal(err)
		}
	}
	c, err := e.st.Count(context.Background(), n, time.Time{}, time.Time{})
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

// search returns up to limit stored events matching q.
func (e *env) search(q string, limit int) []event.Event {
	e.t.Helper()
	n, err := query.Parse(q)
	if err != nil {
		e.t.Fatal(err)
	}
	var out []event.Event
	cursor := ""
	for {
		res, err := e.st.Search(context.Background(), store.Search{Query: n, Limit: limit, Cursor: cursor})
		if err != nil {
			e.t.Fatal(err)
		}
		out = append(out, res.Events...)
		if res.Cursor == "" || len(out) >= limit {
			return out
		}
		cursor = res.Cursor
	}
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

var tEv = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// mkEvents returns n exec events numbered from first.
func mkEvents(first, n int) []event.Event {
	evs := make([]event.Event, n)
	pid := int64(100)
	for i := range evs {
		k := first + i
		at := tEv.Add(time.Duration(k) * time.Millisecond)
		evs[i] = event.Event{
			Timestamp: at,
			Event: event.Meta{ID: event.DeterministicID(at, "test", fmt.Sprint(k)), Kind: event.KindEvent,
				Category: []string{event.CategoryProcess}, Type: []string{event.TypeStart}, Action: event.ActionExec,
				Dataset: "vigil.audit"},
			Host:    &event.Host{Name: "web1"},
			Agent:   &event.Agent{ID: "forged-by-body", Version: "test"},
			Process: &event.Process{PID: &pid, Executable: "/usr/bin/true", Args: []string{"true", fmt.Sprint(k)}},
			Message: fmt.Sprintf("exec %d", k),
		}
	}
	return evs
}

// newShipper opens a spool in dir and a shipper for identity id.
func (e *env) newShipper(id Identity, dir string, sopts spool.Options, opts ShipperOptions) (*Shipper, *spool.Spool) {
	e.t.Helper()
	sopts.Encode = EncodeBatch
	sp, err := spool.Open(filepath.Join(dir, "spool"), sopts)
	if err != nil {
		e.t.Fatal(err)
	}
	cfg, err := id.TLSConfig()
	if err != nil {
		e.t.Fatal(err)
	}
	opts.ServerURL, opts.TLS, opts.Spool = e.url, cfg, sp
	if opts.AgentVersion == "" {
		opts.AgentVersion = "1.2.3"
	}
	sh, err := NewShipper(opts)
	if err != nil {
		e.t.Fatal(err)
	}
	return sh, sp
}

// run runs the shipper until the returned stop function is called.
func run(sh *Shipper) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		sh.Run(ctx)
		close(done)
	}()
	return func() {
		cancel()
		<-done
	}
}

func statusOf(err error) int {
	var se *StatusError
	if errors.As(err, &se) {
		return se.Status
	}
	return 0
}
