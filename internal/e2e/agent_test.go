package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/transport"
)

// agentProc is a `vigil agent` process running only the login collector on
// its own auth log file, which the test appends to.
type agentProc struct {
	t     *testing.T
	name  string
	state string
	log   *authLog
	srv   *server
	extra []string
	p     *proc
}

func newAgent(t *testing.T, srv *server, name, marker string, extra ...string) *agentProc {
	t.Helper()
	dir := t.TempDir()
	return &agentProc{t: t, name: name, state: filepath.Join(dir, "state"), srv: srv, extra: extra,
		log: newAuthLog(t, filepath.Join(dir, "auth.log"), marker)}
}

// start runs the agent; token enrolls it (first start only).
func (a *agentProc) start(token string) {
	a.t.Helper()
	args := []string{"agent", "--server", a.srv.url, "--state", a.state, "--name", a.name,
		"--collectors", "login", "--auth-log", a.log.path, "--from-start",
		"--set", `collectors.login.wtmp=""`, "--set", `collectors.login.btmp=""`,
		"--set", "heartbeat_interval=2s", "--log-level", "info"}
	if token != "" {
		args = append(args, "--enroll", token)
	}
	a.p = startProc(a.t, "agent-"+a.name, append(args, a.extra...)...)
}

// id waits for the agent's enrolled identity and returns it.
func (a *agentProc) id() string {
	a.t.Helper()
	var id string
	eventually(a.t, 30*time.Second, "the agent to enroll", func() bool {
		if a.p.exited() {
			a.t.Fatalf("agent exited: %v\n%s", a.p.err, a.p.log())
		}
		b, err := os.ReadFile(filepath.Join(a.state, "transport", transport.AgentIDFile))
		id = string(bytes.TrimSpace(b))
		return err == nil && id != ""
	})
	return id
}

// readAll waits until the login collector saved a position at the end of
// its auth log: every line has been read and handed on.
func (a *agentProc) readAll(d time.Duration) {
	a.t.Helper()
	eventually(a.t, d, "the agent to read its whole auth log", func() bool {
		return a.savedOffset() == a.log.size
	})
}

// savedOffset is the position in its auth log that the login collector
// saved last (0 before the first save).
func (a *agentProc) savedOffset() int64 {
	b, err := os.ReadFile(filepath.Join(a.state, "login", "positions.json"))
	if err != nil {
		return 0
	}
	var st struct {
		Logs map[string]struct {
			Offset int64 `json:"offset"`
		} `json:"logs"`
	}
	if json.Unmarshal(b, &st) != nil {
		return 0
	}
	return st.Logs[a.log.path].Offset
}

// authLog is an auth log file that gets sshd "Failed password" lines for
// one marker user name. Line k (from 1) comes from a source address and
// port that no other line has, and yields exactly one ssh_login event.
type authLog struct {
	t      *testing.T
	path   string
	marker string
	f      *os.File
	n      int   // lines written
	size   int64 // bytes written
}

func newAuthLog(t *testing.T, path, marker string) *authLog {
	t.Helper()
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return &authLog{t: t, path: path, marker: marker, f: f}
}

// write appends k lines in one write.
func (l *authLog) write(k int) {
	l.t.Helper()
	var b []byte
	ts := time.Now().Format(time.Stamp)
	for range k {
		l.n++
		i := l.n
		b = fmt.Appendf(b, "%s e2e sshd[%d]: Failed password for invalid user %s from 10.%d.%d.%d port %d ssh2\n",
			ts, 1000+i%30000, l.marker, i>>16&255, i>>8&255, i&255, 1+i%60000)
	}
	if _, err := l.f.Write(b); err != nil {
		l.t.Error(err) // Error: writeAt runs in its own goroutine
		return
	}
	l.size += int64(len(b))
}

// writeAt appends lines at rate per second for d, in steps of 50 ms; it
// returns when done or when stop is closed.
func (l *authLog) writeAt(rate int, d time.Duration, stop <-chan struct{}) {
	start := time.Now()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	written := 0
	for {
		el := time.Since(start)
		if el > d {
			el = d
		}
		if due := int(el.Seconds()*float64(rate)) - written; due > 0 {
			l.write(due)
			written += due
		}
		if el >= d {
			return
		}
		select {
		case <-stop:
			return
		case <-tick.C:
		}
	}
}

// marker returns a user name unique to this run of a test.
func marker(prefix string) string {
	return prefix + strconv.FormatInt(time.Now().UnixNano()%1e9, 36)
}
