package transport

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/vigil-sec/vigil/internal/pki"
	"github.com/vigil-sec/vigil/internal/store"
)

func TestEnroll(t *testing.T) {
	e := newEnv(t, ServerOptions{})
	ctx := context.Background()

	dir := t.TempDir()
	tok := e.token(time.Hour, 1)
	id, err := Enroll(ctx, e.url, tok, dir, HostFacts{Name: "web1", Hostname: "web1.example", OS: "debian 12", AgentVersion: "1.0"})
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(id.KeyFile)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file %v mode %v", err, fi.Mode())
	}
	cert, _ := os.ReadFile(id.CertFile)
	if c, err := pki.ParseCert(cert); err != nil || c.Subject.CommonName != id.AgentID {
		t.Fatalf("certificate CN %v, agent id %s", err, id.AgentID)
	}
	h, err := e.st.Host(ctx, id.AgentID)
	if err != nil || h.Name != "web1" || h.Hostname != "web1.example" || h.OS != "debian 12" {
		t.Fatalf("host %+v %v", h, err)
	}
	// A later start reuses the identity without the (used up) token.
	again, err := Enroll(ctx, e.url, "not even a token", dir, HostFacts{})
	if err != nil || again != id {
		t.Fatalf("re-enroll = %+v, %v", again, err)
	}

	t.Run("used_up", func(t *testing.T) {
		_, err := Enroll(ctx, e.url, tok, t.TempDir(), HostFacts{Hostname: "b"})
		if statusOf(err) != http.StatusForbidden || !strings.Contains(err.Error(), "used up") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("expired", func(t *testing.T) {
		tok := e.token(time.Hour, 5)
		e.setNow(time.Now().Add(2 * time.Hour))
		defer e.setNow(time.Time{})
		_, err := Enroll(ctx, e.url, tok, t.TempDir(), HostFacts{Hostname: "c"})
		if statusOf(err) != http.StatusForbidden || !strings.Contains(err.Error(), "expired") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("wrong_secret", func(t *testing.T) {
		p, _ := ParseToken(e.token(time.Hour, 1))
		p.Secret[0] ^= 1
		_, err := Enroll(ctx, e.url, p.String(), t.TempDir(), HostFacts{Hostname: "d"})
		if statusOf(err) != http.StatusUnauthorized {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("wrong_ca_pin", func(t *testing.T) {
		other, err := pki.LoadOrCreateCA(t.TempDir(), time.Now())
		if err != nil {
			t.Fatal(err)
		}
		s, rec, _ := NewToken(time.Hour, 1, pki.Fingerprint(other.Cert), time.Now())
		e.st.CreateToken(ctx, rec)
		state := t.TempDir()
		_, err = Enroll(ctx, e.url, s, state, HostFacts{Hostname: "e"})
		if err == nil || !strings.Contains(err.Error(), "does not match the token's pin") {
			t.Fatalf("err = %v", err)
		}
		if _, err := os.Stat(filepath.Join(state, AgentKeyFile)); err == nil {
			t.Fatal("a key was made before the server was verified")
		}
	})
	t.Run("malformed_token", func(t *testing.T) {
		if _, err := Enroll(ctx, e.url, "vgl1.abc", t.TempDir(), HostFacts{}); !errors.Is(err, ErrBadToken) {
			t.Fatalf("err = %v", err)
		}
	})
}

// postBatch posts a raw batch body with seq using client.
func postBatch(t *testing.T, c *http.Client, url string, seq string, body []byte, hdr map[string]string) (int, apiError, IngestResponse) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url+PathEvents, bytes.NewReader(body))
	req.Header.Set("Content-Encoding", "zstd")
	if seq != "" {
		req.Header.Set(HeaderSeq, seq)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	res, err := c.Do(req)
	if err != nil {
		t.Fatalf("post: %v", err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	var ae apiError
	var ir IngestResponse
	if res.StatusCode == http.StatusOK {
		json.Unmarshal(data, &ir)
	} else if err := json.Unmarshal(data, &ae); err != nil || ae.Message == "" || ae.Code == "" {
		t.Fatalf("status %d: body %q is not a JSON error", res.StatusCode, data)
	}
	return res.StatusCode, ae, ir
}

func mustBatch(t *testing.T, first, n int) []byte {
	t.Helper()
	b, err := EncodeBatch(mkEvents(first, n))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestIngestDedupAndIdentity(t *testing.T) {
	e := newEnv(t, ServerOptions{})
	id, _ := e.enroll("web1")
	c := e.client(id)
	body := mustBatch(t, 0, 50)
	st, _, r := postBatch(t, c, e.url, "1", body, nil)
	if st != http.StatusOK || r.Stored != 50 || r.Duplicate || r.Seq != 1 {
		t.Fatalf("first post: %d %+v", st, r)
	}
	st, _, r = postBatch(t, c, e.url, "1", body, nil)
	if st != http.StatusOK || !r.Duplicate || r.Stored != 0 {
		t.Fatalf("re-sent batch: %d %+v", st, r)
	}
	if n := e.count(""); n != 50 {
		t.Fatalf("stored %d events, want 50", n)
	}
	// The agent id comes from the certificate, not from the body.
	if n := e.count("agent.id:forged-by-body"); n != 0 {
		t.Fatalf("%d events kept the forged agent id", n)
	}
	if n := e.count("agent.id:" + strconv.Quote(id.AgentID)); n != 50 {
		t.Fatalf("%d events carry the certificate's agent id", n)
	}
}

func TestBadInputStoresNothing(t *testing.T) {
	e := newEnv(t, ServerOptions{})
	id, _ := e.enroll("web1")
	c := e.client(id)
	enc, _ := zstd.NewWriter(nil)
	z := func(s string) []byte { return enc.EncodeAll([]byte(s), nil) }
	bomb := enc.EncodeAll(make([]byte, MaxBatchBytes+1024), nil)
	tests := []struct {
		name   string
		seq    string
		body   []byte
		hdr    map[string]string
		status int
		msg    string
	}{
		{"not_json", "1", z("{\"message\":\"ok\"}\nnot json\n"), nil, 400, "line 2"},
		{"not_zstd", "1", []byte("plain text"), nil, 400, "zstd"},
		{"trailing_data", "1", z(`{"message":"a"} {"message":"b"}`), nil, 400, "line 1"},
		{"missing_seq", "", mustBatch(t, 0, 1), nil, 400, HeaderSeq},
		{"zero_seq", "0", mustBatch(t, 0, 1), nil, 400, HeaderSeq},
		{"gzip", "1", mustBatch(t, 0, 1), map[string]string{"Content-Encoding": "gzip"}, 415, "zstd"},
		{"oversized_body", "1", make([]byte, MaxBodyBytes+1), nil, 413, "bytes"},
		{"decompression_bomb", "1", bomb, nil, 413, "decompressed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, ae, _ := postBatch(t, c, e.url, tt.seq, tt.body, tt.hdr)
			if st != tt.status || !strings.Contains(ae.Message, tt.msg) {
				t.Fatalf("status %d message %q, want %d containing %q", st, ae.Message, tt.status, tt.msg)
			}
		})
	}
	if n := e.count(""); n != 0 {
		t.Fatalf("%d events stored from bad input", n)
	}
	// The server keeps serving.
	if st, _, r := postBatch(t, c, e.url, "1", mustBatch(t, 0, 3), nil); st != 200 || r.Stored != 3 {
		t.Fatalf("good batch after bad ones: %d %+v", st, r)
	}
}

func TestAgentEndpointsNeedAKnownCertificate(t *testing.T) {
	e := newEnv(t, ServerOptions{})
	ctx := context.Background()
	id, _ := e.enroll("web1")
	noCert := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}

	t.Run("missing", func(t *testing.T) {
		st, ae, _ := postBatch(t, noCert, e.url, "1", mustBatch(t, 0, 1), nil)
		if st != http.StatusUnauthorized || !strings.Contains(ae.Message, "certificate required") {
			t.Fatalf("%d %q", st, ae.Message)
		}
	})
	t.Run("unknown_agent", func(t *testing.T) {
		// A certificate from the right CA for an id the store does not know.
		dir := t.TempDir()
		csr, err := pki.NewKeyAndCSR(filepath.Join(dir, "k"), "ghost")
		if err != nil {
			t.Fatal(err)
		}
		cert, _ := e.ca.SignAgent(csr, "ghost", time.Now())
		os.WriteFile(filepath.Join(dir, "c"), cert, 0o600)
		os.WriteFile(filepath.Join(dir, "ca"), e.ca.CertPEM, 0o600)
		ghost := Identity{AgentID: "ghost", CertFile: filepath.Join(dir, "c"), KeyFile: filepath.Join(dir, "k"), CAFile: filepath.Join(dir, "ca")}
		st, ae, _ := postBatch(t, e.client(ghost), e.url, "1", mustBatch(t, 0, 1), nil)
		if st != http.StatusUnauthorized || !strings.Contains(ae.Message, "unknown agent") {
			t.Fatalf("%d %q", st, ae.Message)
		}
	})
	t.Run("foreign_ca", func(t *testing.T) {
		other, _ := pki.LoadOrCreateCA(t.TempDir(), time.Now())
		dir := t.TempDir()
		csr, _ := pki.NewKeyAndCSR(filepath.Join(dir, "k"), "x")
		cert, _ := other.SignAgent(csr, id.AgentID, time.Now()) // same id, wrong CA
		os.WriteFile(filepath.Join(dir, "c"), cert, 0o600)
		os.WriteFile(filepath.Join(dir, "ca"), e.ca.CertPEM, 0o600)
		forged := Identity{AgentID: id.AgentID, CertFile: filepath.Join(dir, "c"), KeyFile: filepath.Join(dir, "k"), CAFile: filepath.Join(dir, "ca")}
		st, ae, _ := postBatch(t, e.client(forged), e.url, "1", mustBatch(t, 0, 1), nil)
		if st != http.StatusUnauthorized || !strings.Contains(ae.Message, "not issued by this server's CA") {
			t.Fatalf("a certificate from another CA: %d %q, want 401", st, ae.Message)
		}
	})
	t.Run("revoked", func(t *testing.T) {
		c := e.client(id)
		if st, _, _ := postBatch(t, c, e.url, "1", mustBatch(t, 0, 2), nil); st != 200 {
			t.Fatalf("before revocation: %d", st)
		}
		h, _ := e.st.Host(ctx, id.AgentID)
		h.Revoked = true
		if err := e.st.UpsertHost(ctx, h); err != nil {
			t.Fatal(err)
		}
		st, ae, _ := postBatch(t, c, e.url, "2", mustBatch(t, 2, 2), nil)
		if st != http.StatusForbidden || !strings.Contains(ae.Message, "revoked") {
			t.Fatalf("after revocation: %d %q", st, ae.Message)
		}
		if n := e.count(""); n != 2 {
			t.Fatalf("stored %d events, want 2", n)
		}
	})
	if n := e.count(""); n != 2 {
		t.Fatalf("stored %d events, want 2", n)
	}
}

func TestOverloadAnswers429WithRetryAfter(t *testing.T) {
	e := newEnv(t, ServerOptions{MaxInflight: 1, RetryAfter: 2 * time.Second})
	id, _ := e.enroll("web1")
	e.srv.sem <- struct{}{} // one ingest in progress
	st, ae, _ := postBatch(t, e.client(id), e.url, "1", mustBatch(t, 0, 1), nil)
	<-e.srv.sem
	if st != http.StatusTooManyRequests || ae.Code != "overloaded" {
		t.Fatalf("%d %+v", st, ae)
	}
	req, _ := http.NewRequest(http.MethodPost, e.url+PathEvents, nil)
	req.Header.Set(HeaderSeq, "1")
	e.srv.sem <- struct{}{}
	res, err := e.client(id).Do(req)
	<-e.srv.sem
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if got := res.Header.Get("Retry-After"); got != "2" {
		t.Fatalf("Retry-After = %q", got)
	}
}

func TestPolicyAndTasksReachTheAgent(t *testing.T) {
	e := newEnv(t, ServerOptions{PollRecheck: time.Hour})
	ctx := context.Background()
	id, dir := e.enroll("web1")
	policies := make(chan Policy, 4)
	tasks := make(chan Task, 4)
	sh, _ := e.newShipper(id, dir, spoolOpts(), ShipperOptions{
		HeartbeatInterval: time.Hour,
		OnPolicy:          func(_ context.Context, p Policy) error { policies <- p; return nil },
		OnTask:            func(_ context.Context, t Task) error { tasks <- t; return nil },
	})
	stop := run(sh)
	defer stop()

	p, err := e.srv.SetPolicy(ctx, id.AgentID, Policy{Collectors: []string{"audit", "fim"}, WatchPaths: []string{"/etc"}})
	if err != nil || p.Version != 1 {
		t.Fatalf("set policy: %+v %v", p, err)
	}
	select {
	case got := <-policies:
		if got.Version != 1 || len(got.WatchPaths) != 1 || got.WatchPaths[0] != "/etc" {
			t.Fatalf("agent got %+v", got)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("policy did not reach the agent")
	}
	// The agent reports the version it runs.
	waitFor(t, "policy version in heartbeat", 10*time.Second, func() bool {
		h, err := e.st.Host(ctx, id.AgentID)
		return err == nil && h.PolicyVer == 1 && h.AgentVersion == "1.2.3"
	})

	if _, err := e.srv.AddTask(ctx, id.AgentID, "exec"); !errors.Is(err, store.ErrBadRequest) {
		t.Fatalf("unknown task kind: %v", err)
	}
	for _, k := range []TaskKind{TaskRunScan, TaskRescanFIM} {
		if _, err := e.srv.AddTask(ctx, id.AgentID, k); err != nil {
			t.Fatal(err)
		}
	}
	for _, want := range []TaskKind{TaskRunScan, TaskRescanFIM} {
		select {
		case got := <-tasks:
			if got.Kind != want {
				t.Fatalf("task %+v, want %s", got, want)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("task %s did not reach the agent", want)
		}
	}
	select {
	case extra := <-tasks:
		t.Fatalf("task delivered twice: %+v", extra)
	case <-time.After(300 * time.Millisecond):
	}
}

func TestHeartbeatRecordsCollectorHealth(t *testing.T) {
	e := newEnv(t, ServerOptions{})
	ctx := context.Background()
	id, dir := e.enroll("web1")
	sh, _ := e.newShipper(id, dir, spoolOpts(), ShipperOptions{HeartbeatInterval: 50 * time.Millisecond, Hostname: "web1", OS: "Debian 12"})
	evs := healthEvents()
	if err := sh.Write(ctx, evs); err != nil {
		t.Fatal(err)
	}
	stop := run(sh)
	defer stop()
	waitFor(t, "heartbeat", 10*time.Second, func() bool {
		h, err := e.st.Host(ctx, id.AgentID)
		return err == nil && h.Collectors["audit"] == "degraded" && h.KernelLost == 7 && h.Status == "online" && h.OS == "Debian 12"
	})
}
