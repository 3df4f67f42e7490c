package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/pki"
	"github.com/vigil-sec/vigil/internal/transport"
)

// agentRequest is one request to the agent endpoints.
type agentRequest struct {
	tls      *tls.Config // nil: no client certificate
	path     string
	seq      string
	encoding string
	body     []byte
}

func (s *server) agentCall(r agentRequest) (int, []byte, error) {
	cfg := r.tls
	if cfg == nil {
		cfg = &tls.Config{InsecureSkipVerify: true} // only the server's answer matters here
	}
	c := &http.Client{Timeout: time.Minute, Transport: &http.Transport{TLSClientConfig: cfg}}
	defer c.CloseIdleConnections()
	req, err := http.NewRequest("POST", s.url+r.path, bytes.NewReader(r.body))
	if err != nil {
		return 0, nil, err
	}
	if r.seq != "" {
		req.Header.Set(transport.HeaderSeq, r.seq)
	}
	if r.encoding != "" {
		req.Header.Set("Content-Encoding", r.encoding)
	}
	req.Header.Set("Content-Type", transport.ContentTypeEvents)
	res, err := c.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	return res.StatusCode, b, nil
}

// certIdentity is a client certificate for agentID signed by the CA in
// caDir, with the server's CA to verify the server.
func certIdentity(t *testing.T, srv *server, caDir, agentID string) transport.Identity {
	t.Helper()
	dir := t.TempDir()
	ca, err := pki.LoadOrCreateCA(caDir, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	id := transport.Identity{AgentID: agentID, KeyFile: filepath.Join(dir, "agent.key"),
		CertFile: filepath.Join(dir, "agent.crt"), CAFile: filepath.Join(srv.dir, "ca.crt")}
	csr, err := pki.NewKeyAndCSR(id.KeyFile, agentID)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := ca.SignAgent(csr, agentID, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(id.CertFile, cert, 0o600); err != nil {
		t.Fatal(err)
	}
	return id
}

func tlsOf(t *testing.T, id transport.Identity) *tls.Config {
	t.Helper()
	cfg, err := id.TLSConfig()
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func zstdOf(t *testing.T, b []byte) []byte {
	t.Helper()
	enc, err := zstd.NewWriter(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	return enc.EncodeAll(b, nil)
}

// loginEvent is one ssh_login event of user.
func loginEvent(user string, port int64) event.Event {
	now := time.Now().UTC()
	return event.Event{Timestamp: now,
		Event: event.Meta{ID: event.NewID(now), Kind: event.KindEvent, Category: []string{event.CategoryAuthentication},
			Type: []string{event.TypeStart}, Action: event.ActionSSHLogin, Outcome: event.OutcomeFailure},
		User:   &event.User{Name: user},
		Source: &event.Endpoint{IP: "192.0.2.1", Port: &port}}
}

// TestBadInput is reliability test 5 of the issue: malformed batches,
// unknown and revoked certificates, expired, used-up and unknown tokens,
// oversized bodies, bad queries and missing or wrong admin tokens each get
// a 4xx answer with a JSON message; nothing is stored; and after each the
// server still answers /healthz and a valid request.
func TestBadInput(t *testing.T) {
	needBinary(t)
	srv := newServer(t)
	ctx := context.Background()
	user := marker("bad")
	enroll := func(token string) (transport.Identity, error) {
		return transport.Enroll(ctx, srv.url, token, t.TempDir(), transport.HostFacts{Name: "bad-input", AgentVersion: "test"})
	}
	good, err := enroll(srv.token())
	if err != nil {
		t.Fatal(err)
	}
	revoked, err := enroll(srv.token())
	if err != nil {
		t.Fatal(err)
	}
	runVigil(t, "hosts", "revoke", revoked.AgentID, "--data", srv.dir)
	usedUp := srv.token("--uses", "1")
	if _, err := enroll(usedUp); err != nil {
		t.Fatal(err)
	}
	expired := srv.token("--ttl", "1s")
	time.Sleep(1500 * time.Millisecond)

	batch := func(evs ...event.Event) []byte {
		b, err := transport.EncodeBatch(evs)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	valid := agentRequest{tls: tlsOf(t, good), path: transport.PathEvents, seq: "1", encoding: "zstd", body: batch(loginEvent(user, 1))}
	if st, body, err := srv.agentCall(valid); err != nil || st != http.StatusOK {
		t.Fatalf("valid batch: %d %s %v", st, body, err)
	}
	huge := make([]byte, transport.MaxBodyBytes+1<<20)
	rand.Read(huge)
	ghost := certIdentity(t, srv, srv.dir, "ghost-agent") // the server's CA, an agent it never enrolled
	noAuth, wrongAuth := "", "Bearer not-the-token"
	bigJSON := `{"ttl":"1h","uses":1,"pad":"` + strings.Repeat("x", 200<<10) + `"}`

	tests := []struct {
		name   string
		status int
		send   func() (int, []byte, error)
	}{
		{"malformed batch", 400, agentSend(srv, agentRequest{tls: tlsOf(t, good), path: transport.PathEvents, seq: "2", encoding: "zstd",
			body: zstdOf(t, []byte("{\"event\": not json\n"))})},
		{"batch not zstd", 400, agentSend(srv, agentRequest{tls: tlsOf(t, good), path: transport.PathEvents, seq: "3", encoding: "zstd",
			body: []byte("plain text")})},
		{"batch without sequence number", 400, agentSend(srv, agentRequest{tls: tlsOf(t, good), path: transport.PathEvents, encoding: "zstd",
			body: batch(loginEvent(user, 2))})},
		{"oversized batch body", 413, agentSend(srv, agentRequest{tls: tlsOf(t, good), path: transport.PathEvents, seq: "4", encoding: "zstd", body: huge})},
		{"no client certificate", 401, agentSend(srv, agentRequest{path: transport.PathEvents, seq: "5", encoding: "zstd", body: batch(loginEvent(user, 3))})},
		{"certificate of an unknown agent", 401, agentSend(srv, agentRequest{tls: tlsOf(t, ghost), path: transport.PathEvents, seq: "6", encoding: "zstd",
			body: batch(loginEvent(user, 4))})},
		{"revoked certificate", 403, agentSend(srv, agentRequest{tls: tlsOf(t, revoked), path: transport.PathEvents, seq: "1", encoding: "zstd",
			body: batch(loginEvent(user, 5))})},
		{"revoked heartbeat", 403, agentSend(srv, agentRequest{tls: tlsOf(t, revoked), path: transport.PathHeartbeat, body: []byte(`{}`)})},
		{"expired token", 403, enrollSend(enroll, expired)},
		{"used-up token", 403, enrollSend(enroll, usedUp)},
		{"unknown token", 401, enrollSend(enroll, replaceSecret(t, srv.token()))},
		{"malformed enrollment", 400, agentSend(srv, agentRequest{path: transport.PathEnroll, body: []byte(`{"token":`)})},
		{"bad query", 400, func() (int, []byte, error) {
			st, b := srv.call("GET", "/api/v1/events", url.Values{"q": {"user.name:(a or"}}, nil, nil)
			return st, b, nil
		}},
		{"unknown query field", 400, func() (int, []byte, error) {
			st, b := srv.call("GET", "/api/v1/events", url.Values{"q": {"no.such.field:1"}}, nil, nil)
			return st, b, nil
		}},
		{"missing admin token", 401, func() (int, []byte, error) {
			st, b := srv.call("GET", "/api/v1/hosts", nil, nil, &noAuth)
			return st, b, nil
		}},
		{"wrong admin token", 401, func() (int, []byte, error) {
			st, b := srv.call("GET", "/api/v1/events", url.Values{"q": {"*"}}, nil, &wrongAuth)
			return st, b, nil
		}},
		{"oversized admin body", 413, func() (int, []byte, error) {
			st, b := srv.call("POST", "/api/v1/tokens", nil, strings.NewReader(bigJSON), nil)
			return st, b, nil
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st, body, err := tc.send()
			if err != nil {
				t.Fatalf("no answer: %v", err)
			}
			if st != tc.status {
				t.Errorf("status %d, want %d: %s", st, tc.status, body)
			}
			if msg := jsonMessage(body); msg == "" {
				t.Errorf("no JSON error message in %q", body)
			} else {
				t.Logf("%d %s", st, msg)
			}
			if !srv.healthy() || srv.p.exited() {
				t.Fatalf("server does not answer /healthz after the request\n%s", srv.p.log())
			}
			if n := srv.apiCount("user.name:" + user); n != 1 {
				t.Errorf("%d events of %s stored, want only the valid one", n, user)
			}
		})
	}
	// A certificate from another CA, even naming an enrolled agent, gets a
	// 401 with a message and stores nothing.
	foreign := certIdentity(t, srv, t.TempDir(), good.AgentID)
	st, body, err := srv.agentCall(agentRequest{tls: tlsOf(t, foreign), path: transport.PathEvents, seq: "8", encoding: "zstd", body: batch(loginEvent(user, 8))})
	if err != nil || st != http.StatusUnauthorized || !strings.Contains(string(body), "not issued by this server") {
		t.Errorf("certificate of another CA: %d %s %v, want 401 with a message", st, body, err)
	}
	if !srv.healthy() {
		t.Fatal("server does not answer /healthz after a foreign certificate")
	}

	// A valid batch is still taken, after all of that.
	valid.seq, valid.body = "7", batch(loginEvent(user, 7))
	if st, body, err := srv.agentCall(valid); err != nil || st != http.StatusOK {
		t.Fatalf("valid batch at the end: %d %s %v", st, body, err)
	}
	if n := srv.apiCount("user.name:" + user); n != 2 {
		t.Errorf("%d events stored, want the 2 valid ones", n)
	}
	srv.stop()
}

func agentSend(srv *server, r agentRequest) func() (int, []byte, error) {
	return func() (int, []byte, error) { return srv.agentCall(r) }
}

// enrollSend enrolls with token and turns the refusal into status and body.
func enrollSend(enroll func(string) (transport.Identity, error), token string) func() (int, []byte, error) {
	return func() (int, []byte, error) {
		_, err := enroll(token)
		var se *transport.StatusError
		if !errors.As(err, &se) {
			return 0, nil, fmt.Errorf("enrollment was not refused by the server: %v", err)
		}
		b, _ := json.Marshal(map[string]string{"code": se.Code, "message": se.Message})
		return se.Status, b, nil
	}
}

// replaceSecret returns token with its secret part changed: the token id
// and CA pin are right, the secret is not.
func replaceSecret(t *testing.T, token string) string {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 4 {
		t.Fatalf("token %q: want 4 dot-separated parts", token)
	}
	secret := []byte(parts[2])
	for i := range secret {
		if secret[i] == 'A' {
			secret[i] = 'B'
		} else {
			secret[i] = 'A'
		}
	}
	parts[2] = string(secret)
	return strings.Join(parts, ".")
}

// jsonMessage returns the error message of a JSON error body in either of
// the server's shapes ({"code","message"} or {"error":{"code","message"}}).
func jsonMessage(body []byte) string {
	var flat struct{ Message string }
	var nested struct{ Error struct{ Message string } }
	if json.Unmarshal(body, &flat) == nil && flat.Message != "" {
		return flat.Message
	}
	if json.Unmarshal(body, &nested) == nil {
		return nested.Error.Message
	}
	return ""
}
