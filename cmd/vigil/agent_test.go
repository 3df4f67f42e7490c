package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/journal/journaltest"
	"github.com/vigil-sec/vigil/internal/livetest"
	"github.com/vigil-sec/vigil/internal/shareddata"
)

// syncBuffer is a concurrency-safe stdout for an agent running in the test.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) events(t *testing.T) []event.Event {
	b.mu.Lock()
	data := append([]byte(nil), b.buf.Bytes()...)
	b.mu.Unlock()
	// Only whole lines: the agent may be in the middle of writing one.
	data = data[:bytes.LastIndexByte(data, '\n')+1]
	var out []event.Event
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 1<<20), 8<<20)
	for sc.Scan() {
		e, err := event.Decode(sc.Bytes())
		if err != nil {
			t.Fatalf("output line is not an event: %v: %s", err, sc.Text())
		}
		if err := e.Validate(); err != nil {
			t.Errorf("invalid event %s: %v", sc.Text(), err)
		}
		out = append(out, e)
	}
	return out
}

// startAgent runs `vigil agent ARGS` in-process until the returned stop is
// called; stop waits for a clean exit and fails the test otherwise.
func startAgent(t *testing.T, args ...string) (*syncBuffer, func()) {
	t.Helper()
	out := &syncBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, append([]string{"agent", "--state", t.TempDir()}, args...), out, io.Discard) }()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("agent: %v", err)
				}
			case <-time.After(6 * time.Second):
				t.Error("agent did not stop within 6 s of SIGTERM/cancel")
			}
		})
	}
	t.Cleanup(stop)
	return out, stop
}

func waitEvents(t *testing.T, out *syncBuffer, within time.Duration, done func([]event.Event) bool) []event.Event {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		evs := out.events(t)
		if done(evs) {
			return evs
		}
		if time.Now().After(deadline) {
			return evs
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestAgentLoginReplay is the acceptance check of the login collector: the
// OpenSSH_2k archive holds exactly 1 successful and 532 failed SSH logins.
func TestAgentLoginReplay(t *testing.T) {
	log := filepath.Join(shareddata.Dir(t, "loghub"), "OpenSSH", "OpenSSH_2k.log")
	out, stop := startAgent(t, "--output", "-", "--collectors", "login", "--auth-log", log, "--from-start")
	count := func(evs []event.Event) (ok, failed, noIP int) {
		for _, e := range evs {
			if e.Event.Action != event.ActionSSHLogin {
				continue
			}
			if e.Source == nil || e.Source.IP == "" {
				noIP++
			}
			switch e.Event.Outcome {
			case event.OutcomeSuccess:
				ok++
			case event.OutcomeFailure:
				failed++
			}
		}
		return
	}
	waitEvents(t, out, 20*time.Second, func(evs []event.Event) bool { _, f, _ := count(evs); return f >= 532 })
	time.Sleep(1500 * time.Millisecond) // the last line has no newline: it is read after a second
	stop()
	ok, failed, noIP := count(out.events(t))
	if ok != 1 || failed != 532 || noIP != 0 {
		t.Errorf("ssh_login: %d successful, %d failed, %d without source.ip; want 1, 532, 0", ok, failed, noIP)
	}
}

// TestAgentJournalDir: `vigil agent --journal-dir DIR` reads a real journal
// directory (written by systemd-journal-remote) through journalctl instead
// of the auth logs.
func TestAgentJournalDir(t *testing.T) {
	journaltest.Need(t)
	dir := t.TempDir()
	at := time.Date(2024, 5, 1, 8, 0, 0, 0, time.UTC)
	journaltest.Write(t, filepath.Join(dir, "x.journal"),
		journaltest.Syslog(at, "web1", "sshd", 10, 4, "Failed password for root from 198.51.100.7 port 4000 ssh2"),
		journaltest.Syslog(at.Add(time.Second), "web1", "kernel", 0, 0, "eth0: link up"))
	out, stop := startAgent(t, "--output", "-", "--collectors", "login", "--journal-dir", dir, "--from-start")
	logins := func(evs []event.Event) []event.Event {
		var out []event.Event
		for _, e := range evs {
			if e.Event.Action == event.ActionSSHLogin {
				out = append(out, e)
			}
		}
		return out
	}
	waitEvents(t, out, 20*time.Second, func(evs []event.Event) bool { return len(logins(evs)) >= 1 })
	stop()
	got := logins(out.events(t))
	if len(got) != 1 || got[0].Event.Outcome != event.OutcomeFailure || got[0].User.Name != "root" || got[0].Source.IP != "198.51.100.7" {
		t.Fatalf("ssh_login events %+v, want root's failure from 198.51.100.7", got)
	}
	if !strings.HasSuffix(got[0].Message, " web1 sshd[10]: Failed password for root from 198.51.100.7 port 4000 ssh2") {
		t.Errorf("message %q", got[0].Message)
	}
}

// TestAgentFIM: create, update (with the new sha256) and delete of files in a
// watched directory are reported within 2 seconds each.
func TestAgentFIM(t *testing.T) {
	dir := t.TempDir()
	out, _ := startAgent(t, "--output", "-", "--collectors", "fim", "--fim-path", dir)
	time.Sleep(time.Second) // initial baseline of the empty directory
	path := filepath.Join(dir, "watched.conf")
	find := func(action, wantHash string) {
		t.Helper()
		evs := waitEvents(t, out, 2*time.Second, func(evs []event.Event) bool { return hasFileEvent(evs, action, path, wantHash) })
		if !hasFileEvent(evs, action, path, wantHash) {
			t.Errorf("no %s event for %s (hash %q) within 2 s", action, path, wantHash)
		}
	}
	if err := os.WriteFile(path, []byte("one\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	find(event.ActionCreated, "")
	if err := os.WriteFile(path, []byte("two\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// sha256("two\n")
	find(event.ActionUpdated, "27dd8ed44a83ff94d557f9fd0412ed5a8cbca69ea04922d88c01184a07300a5a")
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	find(event.ActionDeleted, "")
}

func hasFileEvent(evs []event.Event, action, path, hash string) bool {
	for _, e := range evs {
		if e.Event.Action != action || e.File == nil || e.File.Path != path {
			continue
		}
		if hash == "" || (e.File.Hash != nil && e.File.Hash.SHA256 == hash) {
			return true
		}
	}
	return false
}

// TestAgentAuditExecLoop is the acceptance check of the audit collector:
// every exec of a 2,000-exec loop appears with its exact argv.
func TestAgentAuditExecLoop(t *testing.T) {
	livetest.LockAudit(t)
	out, stop := startAgent(t, "--output", "-", "--collectors", "audit")
	time.Sleep(2 * time.Second) // rules installed
	marker := fmt.Sprintf("vigiltest%d", time.Now().UnixNano())
	script := fmt.Sprintf(`for i in $(seq 2000); do /bin/true %s-$i 'two words' ''; done`, marker)
	if b, err := exec.Command("/bin/sh", "-c", script).CombinedOutput(); err != nil {
		t.Fatalf("exec loop: %v %s", err, b)
	}
	seen := map[string]bool{}
	check := func(evs []event.Event) {
		for _, e := range evs {
			if e.Event.Action != event.ActionExec || e.Process == nil {
				continue
			}
			a := e.Process.Args
			if len(a) == 4 && strings.HasPrefix(a[1], marker+"-") && a[0] == "/bin/true" && a[2] == "two words" && a[3] == "" {
				seen[a[1]] = true
			}
		}
	}
	waitEvents(t, out, 15*time.Second, func(evs []event.Event) bool { check(evs); return len(seen) == 2000 })
	stop()
	var lost int64
	for _, e := range out.events(t) {
		if e.Event.Action == event.ActionAuditEventsLost || e.Event.Action == event.ActionEventsDropped {
			lost += e.Vigil.Loss.Count
		}
	}
	if len(seen) != 2000 {
		t.Errorf("saw %d of 2000 execs with exact argv (reported lost: %d)", len(seen), lost)
	}
	if b, _ := exec.Command("auditctl", "-l").Output(); strings.Contains(string(b), "vigil") {
		t.Errorf("vigil audit rules left after stop:\n%s", b)
	}
}

func TestAgentPrintConfig(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), []string{"agent", "--print-config", "--fim-path", "/srv", "--auth-log", "/x.log", "--journal-dir", "/j"}, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	s := out.String()
	for _, want := range []string{"paths: [/srv]", "auth_logs: [/x.log]", `journal: "on"`, "journal_dir: /j", "  audit:", "  network:", "  inventory:"} {
		if !strings.Contains(s, want) {
			t.Errorf("--print-config lacks %q", want)
		}
	}
}
