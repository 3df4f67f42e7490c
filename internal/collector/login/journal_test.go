package login

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/authlog"
	"github.com/vigil-sec/vigil/internal/collector"
	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/hostfs"
	"github.com/vigil-sec/vigil/internal/journal"
	"github.com/vigil-sec/vigil/internal/journal/journaltest"
)

var jt0 = time.Date(2024, 5, 1, 8, 0, 0, 0, time.UTC)

func at(s int) time.Time { return jt0.Add(time.Duration(s) * time.Second) }

// Facilities of the entries below, as syslog(3) gives them.
const (
	facKern     = 0
	facAuth     = 4
	facCron     = 9
	facAuthPriv = 10
)

// authEntries are what sshd, sudo, su and useradd log on a host without
// rsyslog, and two entries an auth log would not hold.
func authEntries() []journaltest.Entry {
	return []journaltest.Entry{
		journaltest.Syslog(at(0), "web1", "sshd", 1001, facAuth, "Accepted password for alice from 192.0.2.7 port 50000 ssh2"),
		journaltest.Syslog(at(1), "web1", "kernel", 0, facKern, "usb 1-1: new high-speed USB device number 2 using xhci_hcd"),
		journaltest.Syslog(at(2), "web1", "sshd", 1002, facAuth, "Failed password for bob from 198.51.100.2 port 40022 ssh2"),
		journaltest.Syslog(at(3), "web1", "CRON", 1003, facCron, "(root) CMD (test -x /usr/sbin/anacron || run-parts --report /etc/cron.daily)"),
		journaltest.Syslog(at(4), "web1", "sudo", 1004, facAuthPriv, "   alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/systemctl restart nginx"),
		journaltest.Syslog(at(5), "web1", "su", 1005, facAuth, "(to root) alice on pts/0"),
		journaltest.Syslog(at(6), "web1", "useradd", 1006, facAuthPriv, "new user: name=carol, UID=1001, GID=1001, home=/home/carol, shell=/bin/bash, from=/dev/pts/0"),
	}
}

// got is what a test checks of one event.
type got struct{ action, outcome, user, ip string }

func (g got) String() string {
	return fmt.Sprintf("%s/%s user=%s ip=%s", g.action, g.outcome, g.user, g.ip)
}

func summary(evs []event.Event) []got {
	var out []got
	for _, e := range evs {
		g := got{action: e.Event.Action, outcome: e.Event.Outcome}
		if e.User != nil {
			g.user = e.User.Name
		}
		if e.Source != nil {
			g.ip = e.Source.IP
		}
		out = append(out, g)
	}
	return out
}

// run is one run of the collector, called directly with its own Health.
type run struct {
	cancel context.CancelFunc
	done   chan error
	health *collector.Health

	mu     sync.Mutex
	events []event.Event
}

// startDirect starts the collector; refuse, when set, is asked about each
// emit and refuses it when it returns true (a full queue).
func startDirect(t *testing.T, cfg *Config, deps collector.Deps, refuse func() bool) *run {
	t.Helper()
	c, err := New(cfg, deps)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &run{cancel: cancel, done: make(chan error, 1), health: collector.NewHealth()}
	emit := func(e event.Event) bool {
		r.mu.Lock()
		defer r.mu.Unlock()
		if refuse != nil && refuse() {
			return false
		}
		r.events = append(r.events, e)
		return true
	}
	go func() { r.done <- c.(collector.Streamer).Run(ctx, emit, r.health) }()
	t.Cleanup(func() { r.stop(t) })
	return r
}

func (r *run) snapshot() []event.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.events)
}

// wait waits up to 20 s for cond on the events so far and returns them.
func (r *run) wait(t *testing.T, what string, cond func([]event.Event) bool) []event.Event {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		evs := r.snapshot()
		if cond(evs) {
			return evs
		}
		if time.Now().After(deadline) {
			state, reason := r.health.State()
			t.Fatalf("waiting for %s: got %v (health %s %s, counters %v)", what, summary(evs), state, reason, r.health.Counters())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (r *run) stop(t *testing.T) {
	t.Helper()
	if r.cancel == nil {
		return
	}
	r.cancel()
	r.cancel = nil
	select {
	case err := <-r.done:
		if err != nil {
			t.Errorf("Run: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Run did not return 20 s after its context ended")
	}
}

func journalConfig(dir string) *Config {
	cfg := fastConfig()
	cfg.Journal, cfg.JournalDir, cfg.Wtmp, cfg.Btmp = JournalOn, dir, "", ""
	return cfg
}

func atLeast(n int) func([]event.Event) bool {
	return func(evs []event.Event) bool { return len(evs) >= n }
}

// noJournalctl fails the test when a journalctl reading dir still runs.
func noJournalctl(t *testing.T, dir string) {
	t.Helper()
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range procs {
		if b, err := os.ReadFile(p); err == nil && strings.Contains(string(b), dir) && strings.Contains(string(b), "journalctl") {
			t.Errorf("journalctl still running after the collector stopped: %s", strings.ReplaceAll(string(b), "\x00", " "))
		}
	}
}

// TestJournalLive reads a real journal directory written by
// systemd-journal-remote: the exact events of the auth entries and none of
// the others, entries appended to the file and in a second file, then a
// restart from the saved cursor that reports only what is new.
func TestJournalLive(t *testing.T) {
	journaltest.Need(t)
	dir := t.TempDir()
	journaltest.Write(t, filepath.Join(dir, "x.journal"), authEntries()...)
	cfg := journalConfig(dir)
	deps := collector.Deps{Root: hostfs.Live(), StateDir: t.TempDir(), FromStart: true, Now: time.Now}

	r := startDirect(t, cfg, deps, nil)
	first := r.wait(t, "five events", atLeast(5))
	want := []got{
		{"ssh_login", "success", "alice", "192.0.2.7"},
		{"ssh_login", "failure", "bob", "198.51.100.2"},
		{"sudo", "success", "alice", ""},
		{"user_login", "success", "alice", ""},
		{"user_added", "success", "carol", ""},
	}
	if g := summary(first); !slices.Equal(g, want) {
		t.Fatalf("events %v\nwant   %v", g, want)
	}
	e := first[2]
	if e.User.Effective == nil || e.User.Effective.Name != "root" || e.Process.CommandLine != "/usr/bin/systemctl restart nginx" {
		t.Errorf("sudo event: user %+v process %+v", e.User, e.Process)
	}
	if e := first[3]; e.User.Effective == nil || e.User.Effective.Name != "root" || e.User.Terminal != "pts/0" {
		t.Errorf("su event user %+v", e.User)
	}
	if m := first[0].Message; m != "2024-05-01T08:00:00.000000+00:00 web1 sshd[1001]: Accepted password for alice from 192.0.2.7 port 50000 ssh2" {
		t.Errorf("message %q is not the entry's syslog line", m)
	}
	for _, e := range first {
		if err := e.Validate(); err != nil {
			t.Errorf("%s: %v", e.Message, err)
		}
		if e.Event.Dataset != "vigil.login" || e.Process == nil || e.Process.PID == nil {
			t.Errorf("%s: dataset %q process %+v", e.Message, e.Event.Dataset, e.Process)
		}
	}

	// Appended to the file, and a new file in the directory.
	journaltest.Write(t, filepath.Join(dir, "x.journal"),
		journaltest.Syslog(at(7), "web1", "sshd", 1007, facAuth, "Failed password for invalid user admin from 203.0.113.5 port 2222 ssh2"),
		journaltest.Syslog(at(8), "web1", "kernel", 0, facKern, "eth0: link up"))
	journaltest.Write(t, filepath.Join(dir, "y.journal"),
		journaltest.Syslog(at(9), "web1", "sshd", 1009, facAuth, "Accepted publickey for dave from 192.0.2.44 port 50001 ssh2: ED25519 SHA256:Zm9v"))
	all := r.wait(t, "the appended entries", atLeast(7))
	if g := summary(all[5:]); !slices.Equal(g, []got{{"ssh_login", "failure", "admin", "203.0.113.5"}, {"ssh_login", "success", "dave", "192.0.2.44"}}) {
		t.Errorf("appended: %v", g)
	}
	r.stop(t)
	noJournalctl(t, dir)
	// journalctl handed over only the auth entries: the kernel and cron
	// entries were not even read.
	if n := r.health.Counters()["journal_entries"]; n != 7 {
		t.Errorf("journal_entries %d, want 7", n)
	}
	if len(r.snapshot()) != 7 {
		t.Errorf("%d events after stop, want 7: %v", len(r.snapshot()), summary(r.snapshot()))
	}
	var st state
	data, err := os.ReadFile(filepath.Join(deps.StateDir, stateFile))
	if err != nil || json.Unmarshal(data, &st) != nil || st.Journals["journal:"+dir] == "" {
		t.Fatalf("no journal cursor saved: %s %v", data, err)
	}

	// Written while the agent is stopped; the restart reads from the saved
	// cursor (from_start applies to a first start only).
	journaltest.Write(t, filepath.Join(dir, "y.journal"),
		journaltest.Syslog(at(10), "web1", "sshd", 1010, facAuth, "Failed password for root from 198.51.100.9 port 1 ssh2"))
	r2 := startDirect(t, cfg, deps, nil)
	again := r2.wait(t, "the entry written while stopped", atLeast(1))
	// journalctl prints in journal order: anything read twice would come
	// before the new entry.
	if g := summary(again[:1]); !slices.Equal(g, []got{{"ssh_login", "failure", "root", "198.51.100.9"}}) {
		t.Errorf("after restart: %v, want only the new failure", summary(again))
	}
	r2.stop(t)
	if n := len(r2.snapshot()); n != 1 {
		t.Errorf("restart reported %d events, want 1: %v", n, summary(r2.snapshot()))
	}

	// A replay (a crash before the cursor was saved) gives the same IDs, so
	// the server stores each event once.
	deps.StateDir = t.TempDir()
	r3 := startDirect(t, cfg, deps, nil)
	replay := r3.wait(t, "the replay", atLeast(8))
	r3.stop(t)
	ids := func(evs []event.Event) []string {
		var out []string
		for _, e := range evs {
			out = append(out, e.Event.ID)
		}
		return out
	}
	if want := append(ids(all), ids(again)...); !slices.Equal(ids(replay), want) {
		t.Errorf("replay IDs differ:\n got %q\nwant %q", ids(replay), want)
	}
}

// TestJournalFirstStart checks that a first start reads only new entries,
// and that its start point is saved: an entry written after a stop that
// came before any new entry is still read at the next start.
func TestJournalFirstStart(t *testing.T) {
	journaltest.Need(t)
	dir := t.TempDir()
	journaltest.Write(t, filepath.Join(dir, "x.journal"), authEntries()...)
	cfg := journalConfig(dir)
	deps := collector.Deps{Root: hostfs.Live(), StateDir: t.TempDir(), Now: time.Now}

	r := startDirect(t, cfg, deps, nil)
	// Wait for the start point to be saved, then stop.
	deadline := time.Now().Add(20 * time.Second)
	for {
		data, _ := os.ReadFile(filepath.Join(deps.StateDir, stateFile))
		if strings.Contains(string(data), `"journal:`+dir) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no start point saved: %s", data)
		}
		time.Sleep(20 * time.Millisecond)
	}
	r.stop(t)
	if evs := r.snapshot(); len(evs) != 0 {
		t.Errorf("first start read old entries: %v", summary(evs))
	}

	journaltest.Write(t, filepath.Join(dir, "x.journal"),
		journaltest.Syslog(at(20), "web1", "sshd", 2000, facAuth, "Failed password for eve from 192.0.2.99 port 7 ssh2"))
	r2 := startDirect(t, cfg, deps, nil)
	evs := r2.wait(t, "the entry written while stopped", atLeast(1))
	if g := summary(evs[:1]); !slices.Equal(g, []got{{"ssh_login", "failure", "eve", "192.0.2.99"}}) {
		t.Errorf("got %v, want eve's failure only", summary(evs))
	}
}

// TestJournalQueueFull refuses every other emit, as a full queue does: each
// event still arrives exactly once.
func TestJournalQueueFull(t *testing.T) {
	journaltest.Need(t)
	dir := t.TempDir()
	journaltest.Write(t, filepath.Join(dir, "x.journal"), authEntries()...)
	cfg := journalConfig(dir)
	deps := collector.Deps{Root: hostfs.Live(), StateDir: t.TempDir(), FromStart: true, Now: time.Now}
	n := 0
	r := startDirect(t, cfg, deps, func() bool { n++; return n%2 == 1 })
	evs := r.wait(t, "five events", atLeast(5))
	r.stop(t)
	if g := summary(evs); len(g) != 5 || g[0].user != "alice" || g[4].action != "user_added" {
		t.Errorf("events %v", g)
	}
	if n := r.health.Counters()["retries_queue_full"]; n < 5 {
		t.Errorf("retries_queue_full %d, want one per event", n)
	}
}

// TestJournalFiles reads journal files named by a glob (journal_files),
// and drops a malformed saved cursor instead of handing it to journalctl.
func TestJournalFiles(t *testing.T) {
	journaltest.Need(t)
	dir := t.TempDir()
	journaltest.Write(t, filepath.Join(dir, "x.journal"), authEntries()...)
	cfg := journalConfig("")
	cfg.JournalFiles = []string{filepath.Join(dir, "*.journal")}
	deps := collector.Deps{Root: hostfs.Live(), StateDir: t.TempDir(), FromStart: true, Now: time.Now}
	bad := fmt.Sprintf(`{"journals":{"journal:%s":"--since=yesterday"}}`, cfg.JournalFiles[0])
	if err := os.WriteFile(filepath.Join(deps.StateDir, stateFile), []byte(bad), 0o600); err != nil {
		t.Fatal(err)
	}
	r := startDirect(t, cfg, deps, nil)
	evs := r.wait(t, "five events", atLeast(5))
	r.stop(t)
	if g := summary(evs); len(g) != 5 || g[1] != (got{"ssh_login", "failure", "bob", "198.51.100.2"}) {
		t.Errorf("events %v", g)
	}
}

// countingHandler counts log records by level.
type countingHandler struct {
	mu   sync.Mutex
	n    map[slog.Level]int
	msgs []string
}

func (h *countingHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *countingHandler) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.n[r.Level]++
	h.msgs = append(h.msgs, r.Message)
	return nil
}
func (h *countingHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *countingHandler) WithGroup(string) slog.Handler      { return h }

func (h *countingHandler) count(l slog.Level) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.n[l]
}

// TestJournalRestarts points the collector at a journal directory that does
// not exist yet: journalctl fails, is restarted with backoff, the collector
// is degraded and says so once; when the directory appears it reads it and
// is running again.
func TestJournalRestarts(t *testing.T) {
	journaltest.Need(t)
	dir := filepath.Join(t.TempDir(), "journal")
	cfg := journalConfig(dir)
	logs := &countingHandler{n: map[slog.Level]int{}}
	deps := collector.Deps{Root: hostfs.Live(), StateDir: t.TempDir(), FromStart: true, Now: time.Now, Logger: slog.New(logs)}
	r := startDirect(t, cfg, deps, nil)

	start := time.Now()
	deadline := start.Add(20 * time.Second)
	for r.health.Counters()["journal_restarts"] < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("journalctl not restarted twice in 20 s: %v", r.health.Counters())
		}
		time.Sleep(20 * time.Millisecond)
	}
	state, reason := r.health.State()
	if state != event.CollectorStateDegraded || !strings.Contains(reason, "journalctl exited") || !strings.Contains(reason, dir) {
		t.Errorf("health %s %q, want degraded with journalctl's message", state, reason)
	}
	if n := logs.count(slog.LevelWarn); n != 1 {
		t.Errorf("%d warnings for repeated failures, want 1: %q", n, logs.msgs)
	}
	// Backoff: with waits of 1 s, 2 s, 4 s ... the restarts so far are
	// bounded by the time elapsed; a loop without waits would be far above.
	if n, bound := r.health.Counters()["journal_restarts"], int64(time.Since(start)/time.Second)+2; n > bound {
		t.Errorf("%d restarts in %v: no backoff", n, time.Since(start))
	}

	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	journaltest.Write(t, filepath.Join(dir, "x.journal"), authEntries()[0])
	evs := r.wait(t, "the entry once the directory exists", atLeast(1))
	if g := summary(evs); g[0].user != "alice" {
		t.Errorf("got %v", g)
	}
	if state, reason := r.health.State(); state != event.CollectorStateRunning {
		t.Errorf("health %s %q after journalctl runs again", state, reason)
	}
	r.stop(t)
	noJournalctl(t, dir)
}

// TestJournalFixtureRoot reads the system journal of a host tree (--root):
// auto picks it because the tree has no auth log, and only entries of the
// tree's machine are read, not the ones journal-remote keeps from others.
func TestJournalFixtureRoot(t *testing.T) {
	journaltest.Need(t)
	tree := t.TempDir()
	const local, other = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
	for _, d := range []string{"etc", "var/log/journal/" + local, "var/log/journal/remote"} {
		if err := os.MkdirAll(filepath.Join(tree, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(tree, "etc/machine-id"), []byte(local+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	machine := func(e journaltest.Entry, id string) journaltest.Entry {
		e.Fields = append(e.Fields, journaltest.Field{Name: "_MACHINE_ID", Value: id})
		return e
	}
	journaltest.Write(t, filepath.Join(tree, "var/log/journal/remote/remote-other.journal"),
		machine(journaltest.Syslog(at(0), "other", "sshd", 1, facAuth, "Accepted password for mallory from 192.0.2.66 port 1 ssh2"), other))
	journaltest.Write(t, filepath.Join(tree, "var/log/journal", local, "system.journal"),
		machine(journaltest.Syslog(at(1), "web1", "sshd", 2, facAuth, "Accepted password for alice from 192.0.2.7 port 2 ssh2"), local))
	root, err := hostfs.New(tree)
	if err != nil {
		t.Fatal(err)
	}
	cfg := fastConfig()
	cfg.Wtmp, cfg.Btmp = "", ""
	deps := collector.Deps{Root: root, StateDir: t.TempDir(), FromStart: true, Now: time.Now}
	r := startDirect(t, cfg, deps, nil)
	r.wait(t, "alice's login", atLeast(1))
	journaltest.Write(t, filepath.Join(tree, "var/log/journal/remote/remote-other.journal"),
		machine(journaltest.Syslog(at(2), "other", "sshd", 3, facAuth, "Failed password for mallory from 192.0.2.66 port 1 ssh2"), other))
	journaltest.Write(t, filepath.Join(tree, "var/log/journal", local, "system.journal"),
		machine(journaltest.Syslog(at(3), "web1", "sshd", 4, facAuth, "Failed password for alice from 192.0.2.7 port 3 ssh2"), local))
	r.wait(t, "alice's failure", atLeast(2))
	r.stop(t)
	if g := summary(r.snapshot()); !slices.Equal(g, []got{{"ssh_login", "success", "alice", "192.0.2.7"}, {"ssh_login", "failure", "alice", "192.0.2.7"}}) {
		t.Errorf("events %v, want alice's two and none of the other machine", g)
	}
}

func TestUseJournal(t *testing.T) {
	tree := t.TempDir()
	root, err := hostfs.New(tree)
	if err != nil {
		t.Fatal(err)
	}
	mk := func(p string) {
		if err := os.MkdirAll(filepath.Join(tree, p), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	decide := func(mode string) bool {
		cfg := fastConfig()
		cfg.Journal = mode
		c, err := New(cfg, collector.Deps{Root: root})
		if err != nil {
			t.Fatal(err)
		}
		use, _ := c.(*Collector).useJournal()
		return use
	}
	if decide(JournalAuto) {
		t.Error("auto chose the journal on a host without one")
	}
	if !decide(JournalOn) || decide(JournalOff) {
		t.Error("on and off are not obeyed")
	}
	mk("run/log/journal")
	_, err = journal.Find()
	haveJournalctl := err == nil
	if got := decide(JournalAuto); got != haveJournalctl {
		t.Errorf("auto with a journal and no auth log: %v (journalctl installed: %v)", got, haveJournalctl)
	}
	mk("var/log")
	if err := os.WriteFile(filepath.Join(tree, "var/log/secure"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if decide(JournalAuto) {
		t.Error("auto chose the journal although /var/log/secure exists")
	}
}

func TestNewRejectsBadJournalConfig(t *testing.T) {
	for _, mod := range []func(*Config){
		func(c *Config) { c.Journal = "yes" },
		func(c *Config) { c.Journal = "" },
		func(c *Config) { c.JournalDir = "var/log/journal" },
		func(c *Config) { c.JournalFiles = []string{"x.journal"} },
		func(c *Config) { c.JournalDir, c.JournalFiles = "/a", []string{"/b.journal"} },
	} {
		cfg := DefaultConfig()
		mod(cfg)
		if _, err := New(cfg, collector.Deps{}); err == nil {
			t.Errorf("%+v accepted", cfg)
		}
	}
}

func TestForged(t *testing.T) {
	for _, c := range []struct {
		name     string
		e        journal.Entry
		isForged bool
	}{
		{"sshd as root", journal.Entry{Identifier: "sshd", UID: 0, Message: "Accepted password for root from 192.0.2.1 port 22 ssh2"}, false},
		{"sshd, sender unknown", journal.Entry{Identifier: "sshd", UID: -1, Message: "Accepted password for root from 192.0.2.1 port 22 ssh2"}, false},
		{"logger -t sshd", journal.Entry{Identifier: "sshd", Comm: "logger", UID: 1000, Message: "Accepted password for root from 192.0.2.1 port 22 ssh2"}, true},
		{"tag in capitals", journal.Entry{Identifier: "SUDO", UID: 1000, Message: "x"}, true},
		{"no tag, root-only process name", journal.Entry{Comm: "systemd-logind", UID: 1000, Message: "New session 7 of user alice."}, true},
		{"PAM line naming sshd under another tag", journal.Entry{Identifier: "backup", UID: 1000, Message: "pam_unix(sshd:session): session opened for user root(uid=0) by (uid=0)"}, true},
		{"PAM line of cron", journal.Entry{Identifier: "x", UID: 33, Message: "pam_unix(cron:session): session closed for user root"}, true},
		{"a user's screen locker", journal.Entry{Identifier: "i3lock", UID: 1000, Message: "pam_unix(i3lock:auth): authentication failure; logname= uid=1000"}, false},
		{"a user's own tag", journal.Entry{Identifier: "backup", UID: 1000, Message: "done"}, false},
		{"not a PAM line", journal.Entry{Identifier: "backup", UID: 1000, Message: "pam_ x (sshd: y"}, false},
	} {
		h := authlog.Header{Program: c.e.Program(), Msg: c.e.Message}
		if got := forged(c.e, h); got != c.isForged {
			t.Errorf("%s: forged = %v, want %v", c.name, got, c.isForged)
		}
	}
}

// TestJournalForged checks that entries claiming sshd or a root-only PAM
// service from an unprivileged sender give no event and are counted, while
// the same lines from root are read.
func TestJournalForged(t *testing.T) {
	journaltest.Need(t)
	dir := t.TempDir()
	withUID := func(e journaltest.Entry, uid string) journaltest.Entry {
		e.Fields = append(e.Fields, journaltest.Field{Name: "_UID", Value: uid})
		return e
	}
	journaltest.Write(t, filepath.Join(dir, "x.journal"),
		withUID(journaltest.Syslog(at(0), "web1", "sshd", 1001, facAuth, "Accepted password for mallory from 192.0.2.66 port 50000 ssh2"), "1000"),
		withUID(journaltest.Syslog(at(1), "web1", "notes", 1002, facAuthPriv, "pam_unix(su:session): session opened for user root(uid=0) by mallory(uid=1000)"), "1000"),
		withUID(journaltest.Syslog(at(2), "web1", "sshd", 1003, facAuth, "Accepted password for alice from 192.0.2.7 port 50000 ssh2"), "0"))
	deps := collector.Deps{Root: hostfs.Live(), StateDir: t.TempDir(), FromStart: true, Now: time.Now}
	r := startDirect(t, journalConfig(dir), deps, nil)
	r.wait(t, "alice's login", atLeast(1))
	r.stop(t)
	if g := summary(r.snapshot()); !slices.Equal(g, []got{{"ssh_login", "success", "alice", "192.0.2.7"}}) {
		t.Errorf("events %v, want alice's login only", g)
	}
	if n := r.health.Counters()["journal_entries_forged"]; n != 2 {
		t.Errorf("journal_entries_forged %d, want 2", n)
	}
}
