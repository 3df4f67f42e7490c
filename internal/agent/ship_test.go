package agent

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/hostfs"
	"github.com/vigil-sec/vigil/internal/pki"
	"github.com/vigil-sec/vigil/internal/query"
	"github.com/vigil-sec/vigil/internal/store"
	"github.com/vigil-sec/vigil/internal/store/sqlite"
	"github.com/vigil-sec/vigil/internal/transport"
)

// testServer is a real vigil ingest endpoint: CA, server certificate, SQLite
// store and the transport handlers on TLS.
func testServer(t *testing.T) (url, token string, st store.Store) {
	t.Helper()
	dir := t.TempDir()
	now := time.Now()
	ca, err := pki.LoadOrCreateCA(dir, now)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile, err := ca.EnsureServerCert(dir, []string{"127.0.0.1"}, now)
	if err != nil {
		t.Fatal(err)
	}
	db, err := sqlite.Open(context.Background(), filepath.Join(dir, "vigil.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	tlsCfg, err := transport.ServerTLSConfig(ca, certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: transport.NewServer(db, ca, transport.ServerOptions{}), TLSConfig: tlsCfg}
	go hs.Serve(tls.NewListener(ln, tlsCfg))
	t.Cleanup(func() { hs.Close(); db.Close() })
	tok, rec, err := transport.NewToken(time.Hour, 1, pki.Fingerprint(ca.Cert), now)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.CreateToken(context.Background(), rec); err != nil {
		t.Fatal(err)
	}
	return "https://" + ln.Addr().String(), tok, db
}

// TestRunShipsToServer: an agent enrolled with a token ships its events to a
// real server, and a later start reuses the identity without a token.
func TestRunShipsToServer(t *testing.T) {
	url, token, st := testServer(t)
	c := Default()
	c.StateDir = t.TempDir()
	c.Server = url
	c.Enabled = []string{"testtick"}
	c.Collectors["testtick"] = &tickConfig{Paths: []string{"/bin/first"}}
	run := func(token string) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		err := Run(ctx, c, Options{Version: "test", Root: hostfs.Live(), Logger: discard(), Stdout: os.Stdout, EnrollToken: token})
		if err != nil {
			t.Fatal(err)
		}
	}
	run(token)
	c.Collectors["testtick"] = &tickConfig{Paths: []string{"/bin/second"}}
	run("") // the token is used up: a second enrollment would fail

	deadline := time.Now().Add(10 * time.Second)
	for {
		n, _ := query.Parse("event.action:exec")
		res, err := st.Search(context.Background(), store.Search{Query: n, Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		for _, e := range res.Events {
			got[e.Process.Executable] = e.Agent.ID
		}
		if len(got) == 2 {
			if got["/bin/first"] == "" || got["/bin/first"] != got["/bin/second"] {
				t.Errorf("agent ids %v: want one enrolled id for both runs", got)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("stored exec events: %v, want /bin/first and /bin/second", got)
		}
		time.Sleep(100 * time.Millisecond)
	}
	hosts, err := st.Hosts(context.Background())
	if err != nil || len(hosts) != 1 {
		t.Errorf("hosts = %+v, %v; want the one enrolled agent", hosts, err)
	}
}

func TestRunServerNeedsEnrollment(t *testing.T) {
	url, _, _ := testServer(t)
	c := Default()
	c.StateDir = t.TempDir()
	c.Server = url
	c.Enabled = []string{"testtick"}
	err := Run(context.Background(), c, Options{Root: hostfs.Live(), Logger: discard(), Stdout: os.Stdout})
	if err == nil {
		t.Fatal("an unenrolled agent started")
	}
}
