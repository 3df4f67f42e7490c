package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/httpapi"
	"github.com/vigil-sec/vigil/internal/query"
	"github.com/vigil-sec/vigil/internal/store"
	"github.com/vigil-sec/vigil/internal/store/sqlite"
)

// testNewToken makes tokens the way a transport would: a random id and
// secret, the secret's hash stored.
func testNewToken(ttl time.Duration, uses int, fp string, now time.Time) (string, store.Token, error) {
	var b [16]byte
	_, _ = rand.Read(b[:])
	id := hex.EncodeToString(b[:8])
	return id + "." + fp, store.Token{ID: id, SecretHash: b[8:], CreatedAt: now, ExpiresAt: now.Add(ttl), UsesLeft: uses}, nil
}

func openSQLite(ctx context.Context, dir string) (store.Store, error) {
	return sqlite.Open(ctx, filepath.Join(dir, "events.db"), sqlite.Options{Synchronous: "NORMAL"})
}

func testConfig(dir string) Config {
	return Config{DataDir: dir, Listen: "127.0.0.1:0", OpenStore: openSQLite, NewToken: testNewToken}
}

// startServer runs a server until the test ends and returns a client for it.
// The returned channel yields Run's error and is then closed.
func startServer(t *testing.T, cfg Config) (*Server, *httpapi.Client, context.CancelFunc, <-chan error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s, err := Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Listen(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	stopped := make(chan struct{})
	go func() {
		done <- s.Run(ctx)
		close(done)
		close(stopped)
	}()
	t.Cleanup(func() {
		cancel()
		<-stopped
		s.Close()
	})
	ep, err := httpapi.Locate{DataDir: cfg.DataDir}.Resolve()
	if err != nil {
		t.Fatal(err)
	}
	c, err := httpapi.NewClient(ep)
	if err != nil {
		t.Fatal(err)
	}
	return s, c, cancel, done
}

func TestDataDirFirstStartAndReuse(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	_, c, cancel, done := startServer(t, testConfig(dir))
	ctx := context.Background()
	if err := c.Healthy(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Hosts(ctx); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"admin.token", "ca.key", "server.key"} {
		fi, err := os.Stat(filepath.Join(dir, f))
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v, mode %v; want 0600", f, err, fi.Mode().Perm())
		}
	}
	tok, _ := os.ReadFile(filepath.Join(dir, "admin.token"))
	ca, _ := os.ReadFile(filepath.Join(dir, "ca.crt"))
	if b, err := hex.DecodeString(string(tok[:len(tok)-1])); err != nil || len(b) != 32 {
		t.Fatalf("admin token %q is not 32 bytes hex", tok)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("run: %v", err)
	}

	// A second start reuses token and CA; the TLS client built from the
	// data dir verifies the server against ca.crt.
	_, c2, _, _ := startServer(t, testConfig(dir))
	if err := c2.Healthy(ctx); err != nil {
		t.Fatal(err)
	}
	tok2, _ := os.ReadFile(filepath.Join(dir, "admin.token"))
	ca2, _ := os.ReadFile(filepath.Join(dir, "ca.crt"))
	if string(tok) != string(tok2) || string(ca) != string(ca2) {
		t.Fatal("second start replaced the admin token or the CA")
	}
	// A wrong token is refused.
	info, _ := ReadServerInfo(dir)
	bad, _ := httpapi.NewClient(httpapi.Endpoint{URL: info.URL, Token: "nope", CA: ca})
	var ae *httpapi.APIError
	if _, err := bad.Hosts(ctx); !errors.As(err, &ae) || ae.Status != http.StatusUnauthorized {
		t.Fatalf("wrong token: %v", err)
	}
	// Without the CA the server's certificate is not trusted.
	untrusted, _ := httpapi.NewClient(httpapi.Endpoint{URL: info.URL, Token: string(tok)})
	if err := untrusted.Healthy(ctx); err == nil {
		t.Fatal("client without the CA trusted the server")
	}
}

func TestAdminTokenModeChecked(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "admin.token"), []byte("0123456789abcdef0123456789abcdef\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := InitDataDir(dir, DefaultListen, time.Now()); err == nil {
		t.Fatal("a world-readable admin token was accepted")
	}
}

func TestTokensAndMetrics(t *testing.T) {
	dir := t.TempDir()
	_, c, _, _ := startServer(t, testConfig(dir))
	ctx := context.Background()
	tr, err := c.CreateToken(ctx, httpapi.TokenRequest{TTL: "2h", Uses: 3})
	if err != nil {
		t.Fatal(err)
	}
	if tr.Uses != 3 || tr.Token == "" {
		t.Fatalf("token %+v", tr)
	}
	ep, _ := httpapi.Locate{DataDir: dir}.Resolve()
	req, _ := http.NewRequest("GET", ep.URL+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+ep.Token)
	cl := clientHTTP(t, ep)
	resp, err := cl.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	body := string(b)
	for _, want := range []string{"vigil_ingest_events_total", "vigil_hosts_online 0", `vigil_store_operation_seconds_count{op="create_token"} 1`} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q:\n%s", want, body)
		}
	}
}

func clientHTTP(t *testing.T, ep httpapi.Endpoint) *http.Client {
	t.Helper()
	c, err := httpapi.NewClient(ep)
	if err != nil {
		t.Fatal(err)
	}
	return c.HTTP()
}

// TestShutdownUnderLoad cancels the server while clients keep searching and
// checks that Run returns and stops serving.
func TestShutdownUnderLoad(t *testing.T) {
	dir := t.TempDir()
	_, c, cancel, done := startServer(t, testConfig(dir))
	ctx, stopLoad := context.WithCancel(context.Background())
	defer stopLoad()
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for ctx.Err() == nil {
				_ = c.Search(ctx, httpapi.SearchParams{Query: "process.command_line:foo", Limit: 10}, func(json.RawMessage) error { return nil })
			}
		})
	}
	time.Sleep(300 * time.Millisecond) // let the load start
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run: %v", err)
		}
	case <-time.After(time.Minute): // a hang guard, not a timing check
		t.Fatal("Run did not return after cancel")
	}
	if err := c.Healthy(context.Background()); err == nil {
		t.Fatal("server still serving after Run returned")
	}
	stopLoad()
	wg.Wait()
}

// TestStatusWatch drives the heartbeat watch with a fake clock over SQLite.
func TestStatusWatch(t *testing.T) {
	ctx := context.Background()
	st, err := openSQLite(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Date(2025, 3, 14, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	w := &statusWatch{st: st, now: clock, offlineAfter: 30 * time.Second, metrics: newMetrics(), last: map[string]string{}}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(st.UpsertHost(ctx, store.Host{ID: "a1", Name: "web1", EnrolledAt: now, LastSeen: now.Add(-10 * time.Second), Status: "online"}))
	must(st.UpsertHost(ctx, store.Host{ID: "a2", Name: "web2", EnrolledAt: now, LastSeen: now.Add(-10 * time.Second), Status: "online"}))
	must(w.check(ctx))
	count := func(q string) int64 {
		t.Helper()
		n, err := query.Parse(q)
		must(err)
		c, err := st.Count(ctx, n, time.Time{}, time.Time{})
		must(err)
		return c
	}
	if n := count("event.action:host_offline or event.action:host_online"); n != 0 {
		t.Fatalf("%d status events while all hosts are fresh", n)
	}
	// 40 s later, a2 has sent a heartbeat, a1 has not.
	now = now.Add(40 * time.Second)
	must(st.UpsertHost(ctx, store.Host{ID: "a2", Name: "web2", EnrolledAt: now, LastSeen: now, Status: "online"}))
	must(w.check(ctx))
	must(w.check(ctx)) // a second pass records nothing new
	if n := count("event.action:host_offline and agent.id:a1"); n != 1 {
		t.Fatalf("%d host_offline events for a1, want 1", n)
	}
	if n := count("event.action:host_offline and agent.id:a2"); n != 0 {
		t.Fatalf("%d host_offline events for a2, want 0", n)
	}
	if h, _ := st.Host(ctx, "a1"); h.Status != "offline" {
		t.Fatalf("a1 status %q", h.Status)
	}
	// a1 comes back.
	now = now.Add(5 * time.Second)
	h, _ := st.Host(ctx, "a1")
	h.LastSeen, h.Status = now, "online"
	must(st.UpsertHost(ctx, h))
	must(w.check(ctx))
	if n := count("event.action:host_online and agent.id:a1 and host.name:web1"); n != 1 {
		t.Fatalf("%d host_online events for a1, want 1", n)
	}
	// A new watch (a restarted server) does not repeat events.
	w2 := &statusWatch{st: st, now: clock, offlineAfter: 30 * time.Second, metrics: newMetrics(), last: map[string]string{}}
	must(w2.check(ctx))
	if n := count("event.action:host_offline or event.action:host_online"); n != 2 {
		t.Fatalf("%d status events after restart, want 2", n)
	}
}

func TestRetentionCutoffs(t *testing.T) {
	now := time.Date(2025, 3, 14, 0, 0, 0, 0, time.UTC)
	cut, fb := retentionCutoffs(now, map[string]int{"process": 7, "authentication": 365}, 30)
	if !cut["process"].Equal(now.AddDate(0, 0, -7)) || !cut["authentication"].Equal(now.AddDate(0, 0, -365)) || !fb.Equal(now.AddDate(0, 0, -30)) {
		t.Fatalf("cutoffs %v fallback %v", cut, fb)
	}
}

// TestRetentionPrunesBatchRecords: the retention loop forgets batch records
// older than BatchHorizon and keeps newer ones.
func TestRetentionPrunesBatchRecords(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	old := time.Now().Add(-BatchHorizon - 24*time.Hour)
	clock := old
	st, err := sqlite.Open(ctx, filepath.Join(dir, "events.db"), sqlite.Options{Synchronous: "NORMAL", Now: func() time.Time { return clock }})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Now().Add(-time.Minute)
	ev := func(n int) []event.Event {
		return []event.Event{{Timestamp: at, Event: event.Meta{ID: event.DeterministicID(at, "prune", fmt.Sprint(n)), Kind: event.KindEvent}}}
	}
	if _, err := st.Ingest(ctx, store.Batch{AgentID: "a1", Seq: 1, Events: ev(1)}); err != nil {
		t.Fatal(err)
	}
	clock = time.Now()
	if _, err := st.Ingest(ctx, store.Batch{AgentID: "a1", Seq: 2, Events: ev(2)}); err != nil {
		t.Fatal(err)
	}
	st.Close()

	s, _, _, _ := startServer(t, testConfig(dir))
	deadline := time.Now().Add(20 * time.Second)
	for {
		res, err := s.st.Ingest(ctx, store.Batch{AgentID: "a1", Seq: 1, Events: ev(1)})
		if err != nil {
			t.Fatal(err)
		}
		if !res.Duplicate {
			if res.Stored != 0 {
				t.Fatalf("the old batch's event was stored again: %+v", res)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the batch record older than BatchHorizon was not pruned")
		}
		time.Sleep(100 * time.Millisecond)
	}
	if res, err := s.st.Ingest(ctx, store.Batch{AgentID: "a1", Seq: 2, Events: ev(2)}); err != nil || !res.Duplicate {
		t.Fatalf("recent batch record: %+v, %v; want it kept (Duplicate)", res, err)
	}
}
