package e2e

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/httpapi"
	"github.com/vigil-sec/vigil/internal/store/sqlite"
)

// server is a `vigil server` process on a fixed port, so that it can be
// killed and restarted under the address its agents know.
type server struct {
	t    *testing.T
	dir  string
	addr string
	url  string
	p    *proc
	api  *http.Client
	tok  string
}

func newServer(t *testing.T) *server {
	t.Helper()
	s := &server{t: t, dir: filepath.Join(t.TempDir(), "data"), addr: freeAddr(t)}
	s.url = "https://" + s.addr
	s.start()
	ca, err := os.ReadFile(filepath.Join(s.dir, httpapi.CAFile))
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca)
	s.api = &http.Client{Timeout: time.Minute,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}}
	tok, err := os.ReadFile(filepath.Join(s.dir, httpapi.AdminTokenFile))
	if err != nil {
		t.Fatal(err)
	}
	s.tok = strings.TrimSpace(string(tok))
	t.Cleanup(func() { s.api.CloseIdleConnections() })
	return s
}

// freeAddr returns a loopback address with a port free right now.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// start runs the server and waits until /healthz answers.
func (s *server) start() {
	s.t.Helper()
	s.p = startProc(s.t, "server", "server", "--data", s.dir, "--listen", s.addr, "--log-level", "info")
	eventually(s.t, time.Minute, "the server to answer /healthz", func() bool {
		if s.p.exited() {
			s.t.Fatalf("server exited: %v\n%s", s.p.err, s.p.log())
		}
		return s.healthy()
	})
}

// healthy tells whether /healthz answers 200 (before newServer ends it
// checks with an unverified client: the CA does not exist before the start).
func (s *server) healthy() bool {
	c := s.api
	if c == nil {
		c = &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
		defer c.CloseIdleConnections()
	}
	res, err := c.Get(s.url + "/healthz")
	if err != nil {
		return false
	}
	res.Body.Close()
	return res.StatusCode == http.StatusOK
}

func (s *server) kill9() { s.p.kill() }
func (s *server) stop()  { s.p.stop() }

// token creates an enrollment token with `vigil server token create`.
func (s *server) token(args ...string) string {
	s.t.Helper()
	out := runVigil(s.t, append([]string{"server", "token", "create", "--data", s.dir}, args...)...)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	return lines[len(lines)-1]
}

// call sends an admin API request with the admin token (or with auth as
// the Authorization header when it is not nil).
func (s *server) call(method, path string, q url.Values, body io.Reader, auth *string) (int, []byte) {
	s.t.Helper()
	u := s.url + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		s.t.Fatal(err)
	}
	switch {
	case auth == nil:
		req.Header.Set("Authorization", "Bearer "+s.tok)
	case *auth != "":
		req.Header.Set("Authorization", *auth)
	}
	res, err := s.api.Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(res.Body, 16<<20))
	return res.StatusCode, b
}

// apiCount counts the stored events matching q through the API (the sum of
// a top-N aggregation over event.action).
func (s *server) apiCount(q string) int64 {
	s.t.Helper()
	status, body := s.call("GET", "/api/v1/events/top", url.Values{"q": {q}, "field": {"event.action"}, "n": {"1000"}}, nil, nil)
	if status != http.StatusOK {
		s.t.Fatalf("top: %d %s", status, body)
	}
	var bl httpapi.BucketList
	if err := json.Unmarshal(body, &bl); err != nil {
		s.t.Fatal(err)
	}
	var n int64
	for _, b := range bl.Buckets {
		n += b.Count
	}
	return n
}

// search returns the raw events matching q through the API, following the
// cursor.
func (s *server) search(q string) []json.RawMessage {
	s.t.Helper()
	var out []json.RawMessage
	cursor := ""
	for {
		v := url.Values{"q": {q}, "limit": {"1000"}}
		if cursor != "" {
			v.Set("cursor", cursor)
		}
		status, body := s.call("GET", "/api/v1/events", v, nil, nil)
		if status != http.StatusOK {
			s.t.Fatalf("search %q: %d %s", q, status, body)
		}
		var page httpapi.SearchPage
		if err := json.Unmarshal(body, &page); err != nil {
			s.t.Fatal(err)
		}
		out = append(out, page.Events...)
		if page.Cursor == "" {
			return out
		}
		cursor = page.Cursor
	}
}

// rowCounts are the store's own counts of the rows of one user name.
type rowCounts struct {
	rows, ids, sources int64
}

// dbRows counts the rows of user.name user in the store (cheap: the
// user_name index; for progress while the server runs).
func (s *server) dbRows(user string) int64 { return s.db(user, false).rows }

// dbCounts reads the SQLite store directly (read-only, beside the running
// server): rows of user.name user over every day partition, distinct event
// ids, and distinct source addresses (one per log line written).
func (s *server) dbCounts(user string) rowCounts { return s.db(user, true) }

func (s *server) db(user string, distinct bool) rowCounts {
	s.t.Helper()
	db, schemas, err := sqlite.ReadOnly(filepath.Join(s.dir, "events.db"))
	if err != nil {
		s.t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	var parts []string
	for _, schema := range schemas {
		rows, err := db.QueryContext(ctx, "SELECT name FROM "+schema+".sqlite_master WHERE type = 'table' AND name GLOB 'events_[0-9]*'")
		if err != nil {
			s.t.Fatal(err)
		}
		for rows.Next() {
			var name string
			if err := rows.Scan(&name); err != nil {
				s.t.Fatal(err)
			}
			parts = append(parts, fmt.Sprintf("SELECT id, source_ip, json_extract(vigil_doc(doc), '$.source.port') AS port FROM %s.%s WHERE user_name = ?", schema, name))
		}
		rows.Close()
	}
	var c rowCounts
	if len(parts) == 0 {
		return c
	}
	args := make([]any, len(parts))
	for i := range args {
		args[i] = user
	}
	from := " FROM (" + strings.Join(parts, " UNION ALL ") + ")"
	if !distinct {
		if err := db.QueryRowContext(ctx, "SELECT count(*)"+from, args...).Scan(&c.rows); err != nil {
			s.t.Fatal(err)
		}
		return c
	}
	q := "SELECT count(*), count(DISTINCT id), count(DISTINCT source_ip || ':' || port)" + from
	if err := db.QueryRowContext(ctx, q, args...).Scan(&c.rows, &c.ids, &c.sources); err != nil {
		s.t.Fatal(err)
	}
	return c
}

// hosts returns `vigil hosts --format json`, one map per host.
func (s *server) hosts() []map[string]any {
	s.t.Helper()
	out := runVigil(s.t, "hosts", "--data", s.dir, "--format", "json")
	var hs []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if line == "" {
			continue
		}
		var h map[string]any
		if err := json.Unmarshal([]byte(line), &h); err != nil {
			s.t.Fatalf("hosts line %q: %v", line, err)
		}
		hs = append(hs, h)
	}
	return hs
}
