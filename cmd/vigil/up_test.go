package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/httpapi"
	"github.com/vigil-sec/vigil/internal/livetest"
	"github.com/vigil-sec/vigil/internal/transport"
)

// upBuffer is a bytes.Buffer safe for a command writing while the test reads.
type upBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *upBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *upBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startCommand runs a long-lived vigil command until the test ends, and
// waits until the server in dir answers /healthz.
func startCommand(t *testing.T, dir string, args ...string) (stdout *upBuffer, stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stdout = &upBuffer{}
	stderr := &upBuffer{}
	done := make(chan error, 1)
	go func() { done <- run(ctx, args, stdout, stderr) }()
	var once sync.Once
	var runErr error
	stop = func() error {
		once.Do(func() {
			cancel()
			runErr = <-done
		})
		return runErr
	}
	t.Cleanup(func() { _ = stop() })
	deadline := time.Now().Add(time.Minute)
	for {
		ep, err := httpapi.Locate{DataDir: dir}.Resolve()
		if err == nil {
			c, _ := httpapi.NewClient(ep)
			if c.Healthy(ctx) == nil {
				return stdout, stop
			}
		}
		select {
		case err := <-done:
			t.Fatalf("%s exited: %v\n%s", args[0], err, stderr.String())
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not start: %s", args[0], stderr.String())
		}
	}
}

// shipOne sends one batch as an enrolled agent would.
func shipOne(t *testing.T, url string, id transport.Identity, seq uint64, events []event.Event) int {
	t.Helper()
	tlsCfg, err := id.TLSConfig()
	if err != nil {
		t.Fatal(err)
	}
	body, err := transport.EncodeBatch(events)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("POST", url+transport.PathEvents, bytes.NewReader(body))
	req.Header.Set(transport.HeaderSeq, fmt.Sprint(seq))
	req.Header.Set("Content-Encoding", "zstd")
	cl := &http.Client{Transport: &http.Transport{TLSClientConfig: tlsCfg}}
	resp, err := cl.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestServerTokenSearchHostsRevoke(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	_, stop := startCommand(t, dir, "server", "--data", dir, "--listen", "127.0.0.1:0")

	out, errs, code := runT(t, "server", "token", "create", "--data", dir, "--uses", "2", "--ttl", "10m")
	if code != 0 {
		t.Fatalf("token create: %d %s", code, errs)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	token := lines[len(lines)-1]
	if _, err := transport.ParseToken(token); err != nil {
		t.Fatalf("token %q: %v", token, err)
	}
	info, err := os.ReadFile(filepath.Join(dir, httpapi.ServerInfoFile))
	if err != nil {
		t.Fatal(err)
	}
	var si httpapi.ServerInfo
	_ = json.Unmarshal(info, &si)
	id, err := transport.Enroll(context.Background(), si.URL, token, t.TempDir(), transport.HostFacts{Name: "web1", AgentVersion: "9.9"})
	if err != nil {
		t.Fatal(err)
	}

	if out, _, code := runT(t, "search", "--data", dir, "process.args:UNIQ4711", "--format", "json"); code != 0 || out != "" {
		t.Fatalf("search before ingest: exit %d, %q", code, out)
	}
	now := time.Now().UTC()
	ev := event.Event{Timestamp: now, Event: event.Meta{ID: event.NewID(now), Kind: event.KindEvent,
		Category: []string{event.CategoryProcess}, Type: []string{event.TypeStart}, Action: event.ActionExec},
		Host:    &event.Host{Name: "web1"},
		User:    &event.User{ID: "1000", Name: "alice"},
		Process: &event.Process{Name: "echo", Args: []string{"/bin/echo", "UNIQ4711"}, CommandLine: "/bin/echo UNIQ4711", WorkingDirectory: "/home/alice"}}
	if s := shipOne(t, si.URL, id, 1, []event.Event{ev}); s != 200 {
		t.Fatalf("ship: %d", s)
	}
	out, errs, code = runT(t, "search", "--data", dir, "process.args:UNIQ4711", "--format", "json")
	if code != 0 || strings.Count(out, "\n") != 1 {
		t.Fatalf("search: exit %d, %q %s", code, out, errs)
	}
	got, err := event.Decode([]byte(strings.TrimSpace(out)))
	if err != nil {
		t.Fatal(err)
	}
	if got.User.Name != "alice" || got.Process.WorkingDirectory != "/home/alice" || got.Host.Name != "web1" || got.Agent.ID != id.AgentID {
		t.Fatalf("hit %+v", got)
	}

	out, _, code = runT(t, "hosts", "--data", dir, "--format", "json")
	var h map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &h) != nil {
		t.Fatalf("hosts: exit %d %q", code, out)
	}
	for _, k := range []string{"id", "name", "status", "last_seen", "agent_version"} {
		if _, ok := h[k]; !ok {
			t.Errorf("hosts json lacks %q: %s", k, out)
		}
	}
	if h["id"] != id.AgentID || h["name"] != "web1" || (h["status"] != "online" && h["status"] != "offline") {
		t.Fatalf("host %v", h)
	}

	if _, errs, code := runT(t, "hosts", "revoke", id.AgentID, "--data", dir); code != 0 {
		t.Fatalf("revoke: %d %s", code, errs)
	}
	if s := shipOne(t, si.URL, id, 2, []event.Event{ev}); s < 400 || s > 499 {
		t.Fatalf("revoked agent's batch answered %d, want 4xx", s)
	}

	if err := stop(); err != nil {
		t.Fatalf("server: %v", err)
	}
	if _, _, code := runT(t, "hosts", "--data", dir); code == 0 {
		t.Fatal("hosts exited 0 with the server down")
	}
	// With the server down the token goes into the store directly.
	out, errs, code = runT(t, "server", "token", "create", "--data", dir)
	if code != 0 || !strings.Contains(errs, "no server running") {
		t.Fatalf("token create offline: %d %q", code, errs)
	}
	if _, err := transport.ParseToken(strings.TrimSpace(out)); err != nil {
		t.Fatal(err)
	}
}

func TestClientErrors(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		args []string
	}{
		{"no server", []string{"hosts", "--data", filepath.Join(dir, "none")}},
		{"unreachable", []string{"hosts", "--server", "https://127.0.0.1:1", "--token", "x"}},
		{"bad format", []string{"search", "--server", "https://127.0.0.1:1", "--token", "x", "--format", "xml"}},
		{"server without data", []string{"server"}},
		{"bad retention", []string{"server", "--data", dir, "--retention", "process"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, _, code := runT(t, tc.args...); code == 0 {
				t.Fatalf("%v exited 0", tc.args)
			}
		})
	}
}

// TestUpEndToEnd is the acceptance test: vigil up as root, the local
// host online, a command with a unique argument found by vigil search.
func TestUpEndToEnd(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("vigil up records commands only as root")
	}
	livetest.LockAudit(t)
	dir := filepath.Join(t.TempDir(), "data")
	stdout, stop := startCommand(t, dir, "up", "--data", dir, "--listen", "127.0.0.1:0")

	deadline := time.Now().Add(time.Minute)
	for !strings.Contains(stdout.String(), "local agent collectors:") {
		if time.Now().After(deadline) {
			t.Fatalf("agent did not start: %s", stdout.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	if !strings.Contains(stdout.String(), "collectors: audit") && !strings.Contains(stdout.String(), "audit,") && !strings.Contains(stdout.String(), ", audit") {
		t.Skipf("the audit collector cannot run here:\n%s", stdout.String())
	}
	for {
		out, _, code := runT(t, "hosts", "--data", dir, "--format", "json")
		if code == 0 && strings.Contains(out, `"status":"online"`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("local host not online: %q", out)
		}
		time.Sleep(200 * time.Millisecond)
	}

	unique := fmt.Sprintf("vigil-up-%d", time.Now().UnixNano())
	cwd := t.TempDir()
	cmd := exec.Command("/bin/echo", unique)
	cmd.Dir = cwd
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	found := time.Now().Add(10 * time.Second) // the bound
	for {
		out, errs, code := runT(t, "search", "--data", dir, "process.args:"+unique, "--format", "json")
		if code != 0 {
			t.Fatalf("search: %d %s", code, errs)
		}
		if out != "" {
			e, err := event.Decode([]byte(strings.SplitN(out, "\n", 2)[0]))
			if err != nil {
				t.Fatal(err)
			}
			if e.Host == nil || e.Host.Name == "" || e.User == nil || e.User.Name != "root" || e.Process.WorkingDirectory != cwd {
				t.Fatalf("hit lacks host, user or cwd: %s", out)
			}
			break
		}
		if time.Now().After(found) {
			t.Fatalf("exec of %s not found within 10 s", unique)
		}
		time.Sleep(250 * time.Millisecond)
	}
	if err := stop(); err != nil {
		t.Fatalf("vigil up: %v", err)
	}
	if !strings.Contains(stdout.String(), "vigil up: stopped") {
		t.Fatalf("no clean stop: %s", stdout.String())
	}
}
