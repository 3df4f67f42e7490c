package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/store"
)

const testToken = "0123456789abcdef0123456789abcdef0123456789abcdef"

var testNow = time.Date(2025, 3, 14, 12, 0, 0, 0, time.UTC)

type fakeIssuer struct{ st store.Store }

func (f fakeIssuer) IssueToken(ctx context.Context, ttl time.Duration, uses int) (string, store.Token, error) {
	t := store.Token{ID: "tok1", CreatedAt: testNow, ExpiresAt: testNow.Add(ttl), UsesLeft: uses}
	return "secret-token", t, f.st.CreateToken(ctx, t)
}

type fakeMetrics struct{}

func (fakeMetrics) WriteMetrics(_ context.Context, w io.Writer) error {
	_, err := io.WriteString(w, "vigil_test 1\n")
	return err
}

func newTestAPI(t *testing.T) (*httptest.Server, *memStore) {
	t.Helper()
	st := newMemStore()
	mux := http.NewServeMux()
	Register(mux, Deps{Store: st, AdminToken: testToken, Tokens: fakeIssuer{st}, Metrics: fakeMetrics{},
		Now: func() time.Time { return testNow }, OfflineAfter: 30 * time.Second})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv, st
}

// call makes a request and decodes a JSON answer into out (when not nil).
func call(t *testing.T, method, url, token string, body string, out any) int {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			t.Fatalf("%s %s: %d %q: %v", method, url, resp.StatusCode, data, err)
		}
	}
	return resp.StatusCode
}

func execEvent(i int, user, args string) event.Event {
	at := testNow.Add(-time.Duration(250-i) * time.Second)
	return event.Event{
		Timestamp: at,
		Event: event.Meta{ID: event.NewID(at), Kind: event.KindEvent, Category: []string{event.CategoryProcess},
			Type: []string{event.TypeStart}, Action: event.ActionExec},
		Host:    &event.Host{Name: "web1"},
		User:    &event.User{Name: user},
		Process: &event.Process{Name: "sh", CommandLine: "sh -c " + args, Args: []string{"sh", "-c", args}, WorkingDirectory: "/tmp"},
	}
}

func TestAuth(t *testing.T) {
	srv, _ := newTestAPI(t)
	tests := []struct {
		name, path, auth string
		want             int
	}{
		{"no token", "/api/v1/hosts", "", 401},
		{"wrong token", "/api/v1/hosts", "Bearer " + strings.Repeat("0", len(testToken)), 401},
		{"prefix of token", "/api/v1/hosts", "Bearer " + testToken[:10], 401},
		{"basic scheme", "/api/v1/hosts", "Basic " + testToken, 401},
		{"right token", "/api/v1/hosts", "Bearer " + testToken, 200},
		{"metrics without token", "/metrics", "", 401},
		{"metrics", "/metrics", "Bearer " + testToken, 200},
		{"openapi without token", "/api/v1/openapi.json", "", 401},
		{"unknown endpoint without token", "/api/v1/nothing", "", 401},
		{"unknown endpoint", "/api/v1/nothing", "Bearer " + testToken, 404},
		{"healthz needs none", "/healthz", "", 200},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest("GET", srv.URL+tc.path, nil)
			if tc.auth != "" {
				req.Header.Set("Authorization", tc.auth)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != tc.want {
				t.Fatalf("status %d, want %d", resp.StatusCode, tc.want)
			}
			if tc.want == 401 {
				var eb errorBody
				if err := json.NewDecoder(resp.Body).Decode(&eb); err != nil || eb.Error.Code != "unauthorized" {
					t.Fatalf("error body %+v, %v", eb, err)
				}
			}
		})
	}
}

func TestSearchErrors(t *testing.T) {
	srv, _ := newTestAPI(t)
	tests := []struct {
		name, query, code, msgHas string
	}{
		{"unbalanced paren", "q=process.name:(sshd", "bad_query", "query: column "},
		{"unknown field", "q=nosuch.field:1", "bad_query", "column 1"},
		{"bad since", "since=yesterday", "bad_time", "since"},
		{"bad from", "from=13/01/2025", "bad_time", "from"},
		{"from after to", "from=2025-02-01&to=2025-01-01", "bad_time", "before"},
		{"bad limit", "limit=-3", "bad_limit", "limit"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var eb errorBody
			if st := call(t, "GET", srv.URL+"/api/v1/events?"+tc.query, testToken, "", &eb); st != 400 {
				t.Fatalf("status %d", st)
			}
			if eb.Error.Code != tc.code || !strings.Contains(eb.Error.Message, tc.msgHas) {
				t.Fatalf("error %+v, want code %s and message with %q", eb.Error, tc.code, tc.msgHas)
			}
		})
	}
}

func TestSearchPagesWithCursor(t *testing.T) {
	srv, st := newTestAPI(t)
	var evs []event.Event
	for i := range 250 {
		user := "alice"
		if i%5 == 0 {
			user = "bob"
		}
		evs = append(evs, execEvent(i, user, "echo "+string(rune('a'+i%26))))
	}
	if _, err := st.Ingest(context.Background(), store.Batch{AgentID: "a", Seq: 1, Events: evs}); err != nil {
		t.Fatal(err)
	}
	c, err := NewClient(Endpoint{URL: srv.URL, Token: testToken})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		p     SearchParams
		want  int
		first string // user.name of the first hit
	}{
		{"default limit", SearchParams{}, 100, "alice"},
		{"limit over pages", SearchParams{Limit: 1500}, 250, "alice"},
		{"filtered", SearchParams{Query: "user.name:bob", Limit: 1000}, 50, "bob"},
		{"time window", SearchParams{From: testNow.Add(-100 * time.Second).Format(time.RFC3339), Limit: 1000}, 100, "alice"},
		{"since", SearchParams{Since: "10s", Limit: 1000}, 10, "alice"},
		{"no hit", SearchParams{Query: "user.name:carol"}, 0, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []event.Event
			err := c.Search(context.Background(), tc.p, func(raw json.RawMessage) error {
				e, err := event.Decode(raw)
				got = append(got, e)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != tc.want {
				t.Fatalf("%d hits, want %d", len(got), tc.want)
			}
			if tc.want == 0 {
				return
			}
			if got[0].User.Name != tc.first {
				t.Errorf("first hit user %q, want %q", got[0].User.Name, tc.first)
			}
			for i := 1; i < len(got); i++ {
				if got[i].Timestamp.After(got[i-1].Timestamp) {
					t.Fatalf("hit %d newer than hit %d", i, i-1)
				}
			}
			ids := map[string]bool{}
			for _, e := range got {
				if ids[e.Event.ID] {
					t.Fatalf("event %s returned twice across pages", e.Event.ID)
				}
				ids[e.Event.ID] = true
			}
		})
	}
}

func TestAggregations(t *testing.T) {
	srv, st := newTestAPI(t)
	var evs []event.Event
	for i := range 30 {
		user := []string{"alice", "bob", "bob"}[i%3]
		evs = append(evs, execEvent(i+220, user, "id"))
	}
	if _, err := st.Ingest(context.Background(), store.Batch{AgentID: "a", Seq: 1, Events: evs}); err != nil {
		t.Fatal(err)
	}
	var top BucketList
	if s := call(t, "GET", srv.URL+"/api/v1/events/top?field=user.name&since=1h", testToken, "", &top); s != 200 {
		t.Fatalf("top: %d", s)
	}
	want := []store.Bucket{{Key: "bob", Count: 20}, {Key: "alice", Count: 10}}
	if !slices.Equal(top.Buckets, want) {
		t.Fatalf("top %+v, want %+v", top.Buckets, want)
	}
	var eb errorBody
	if s := call(t, "GET", srv.URL+"/api/v1/events/top?field=no.such", testToken, "", &eb); s != 400 || eb.Error.Code != "bad_field" {
		t.Fatalf("top bad field: %d %+v", s, eb)
	}
	var h BucketList
	if s := call(t, "GET", srv.URL+"/api/v1/events/histogram?since=1h&interval=10m&q=user.name:bob", testToken, "", &h); s != 200 {
		t.Fatalf("histogram: %d", s)
	}
	var total int64
	for _, b := range h.Buckets {
		total += b.Count
	}
	if len(h.Buckets) < 6 || total != 20 || h.Interval != "10m0s" {
		t.Fatalf("histogram %d buckets, total %d, interval %s", len(h.Buckets), total, h.Interval)
	}
	if s := call(t, "GET", srv.URL+"/api/v1/events/histogram?interval=0s", testToken, "", &eb); s != 400 {
		t.Fatalf("histogram bad interval: %d", s)
	}
}

func TestHostsDocumentsRevoke(t *testing.T) {
	srv, st := newTestAPI(t)
	ctx := context.Background()
	_ = st.UpsertHost(ctx, store.Host{ID: "h1", Name: "web1", AgentVersion: "0.1", LastSeen: testNow.Add(-10 * time.Second), Status: "online"})
	_ = st.UpsertHost(ctx, store.Host{ID: "h2", Name: "web2", LastSeen: testNow.Add(-time.Hour), Status: "online"})
	_ = st.PutDocument(ctx, "h1", "inventory", testNow, []byte(`{"packages":[{"name":"bash"}]}`))

	var hl HostList
	if s := call(t, "GET", srv.URL+"/api/v1/hosts", testToken, "", &hl); s != 200 || len(hl.Hosts) != 2 {
		t.Fatalf("hosts: %d %+v", s, hl)
	}
	if hl.Hosts[0].Status != "online" || hl.Hosts[1].Status != "offline" {
		t.Fatalf("statuses %q %q, want online offline", hl.Hosts[0].Status, hl.Hosts[1].Status)
	}
	var doc Document
	if s := call(t, "GET", srv.URL+"/api/v1/hosts/h1/inventory", testToken, "", &doc); s != 200 || !bytes.Contains(doc.Document, []byte(`"bash"`)) || doc.Kind != "inventory" {
		t.Fatalf("inventory: %d %+v", s, doc)
	}
	var eb errorBody
	for _, p := range []string{"/api/v1/hosts/h1/scan", "/api/v1/hosts/nope", "/api/v1/hosts/nope/inventory"} {
		if s := call(t, "GET", srv.URL+p, testToken, "", &eb); s != 404 || eb.Error.Code != "not_found" {
			t.Errorf("%s: %d %+v", p, s, eb)
		}
	}
	if s := call(t, "POST", srv.URL+"/api/v1/hosts/nope/revoke", testToken, "", &eb); s != 404 {
		t.Errorf("revoke unknown: %d", s)
	}
	var h store.Host
	if s := call(t, "POST", srv.URL+"/api/v1/hosts/h1/revoke", testToken, "", &h); s != 200 || !h.Revoked {
		t.Fatalf("revoke: %d %+v", s, h)
	}
	if got, _ := st.Host(ctx, "h1"); !got.Revoked || got.Status != "offline" {
		t.Fatalf("stored host after revoke: %+v", got)
	}
}

func TestCreateToken(t *testing.T) {
	srv, st := newTestAPI(t)
	tests := []struct {
		name, body string
		status     int
		code       string
		uses       int
		ttl        time.Duration
	}{
		{"defaults", ``, 201, "", 1, time.Hour},
		{"ttl and uses", `{"ttl":"2d","uses":5}`, 201, "", 5, 48 * time.Hour},
		{"bad ttl", `{"ttl":"soon"}`, 400, "bad_ttl", 0, 0},
		{"negative uses", `{"uses":-1}`, 400, "bad_uses", 0, 0},
		{"unknown field", `{"ttl":"1h","admin":true}`, 400, "bad_body", 0, 0},
		{"not json", `ttl=1h`, 400, "bad_body", 0, 0},
		{"too large", `{"ttl":"` + strings.Repeat("x", MaxBodyBytes) + `"}`, 413, "too_large", 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.status == 201 {
				var tr TokenResponse
				if s := call(t, "POST", srv.URL+"/api/v1/tokens", testToken, tc.body, &tr); s != 201 {
					t.Fatalf("status %d", s)
				}
				if tr.Token != "secret-token" || tr.Uses != tc.uses || !tr.ExpiresAt.Equal(testNow.Add(tc.ttl)) {
					t.Fatalf("answer %+v", tr)
				}
				if st.tokens["tok1"].UsesLeft != tc.uses {
					t.Fatalf("stored %+v", st.tokens["tok1"])
				}
				return
			}
			var eb errorBody
			if s := call(t, "POST", srv.URL+"/api/v1/tokens", testToken, tc.body, &eb); s != tc.status || eb.Error.Code != tc.code {
				t.Fatalf("status %d %+v, want %d %s", s, eb, tc.status, tc.code)
			}
		})
	}
}
