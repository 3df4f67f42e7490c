package login

import (
	"context"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/collector"
	"github.com/vigil-sec/vigil/internal/collector/collectortest"
	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/hostfs"
	"github.com/vigil-sec/vigil/internal/shareddata"
	"github.com/vigil-sec/vigil/internal/utmp"
)

func count(evs []event.Event, action, outcome string) int {
	n := 0
	for _, e := range evs {
		if e.Event.Action == action && (outcome == "" || e.Event.Outcome == outcome) {
			n++
		}
	}
	return n
}

// runCollector builds the collector through the registry and runs it until
// done reports true for the events so far (or 20 s pass), then stops it.
func runCollector(t *testing.T, cfg *Config, deps collector.Deps, done func([]event.Event) bool) []event.Event {
	t.Helper()
	reg, ok := collector.Lookup(Name)
	if !ok {
		t.Fatal("login collector not registered")
	}
	c, err := reg.New(cfg, deps)
	if err != nil {
		t.Fatal(err)
	}
	out := &collectortest.MemOutput{}
	ctx, cancel := context.WithCancel(context.Background())
	runner := collector.NewRunner(collector.RunnerOptions{HealthInterval: time.Hour})
	errc := make(chan error, 1)
	go func() { errc <- runner.Run(ctx, []collector.Instance{{Name: Name, Collector: c, Deps: deps}}, out) }()
	deadline := time.Now().Add(20 * time.Second)
	for !done(out.Events()) && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	evs := out.Events()
	for _, e := range evs {
		if err := e.Validate(); err != nil {
			t.Errorf("%s: %v", e.Message, err)
		}
	}
	return evs
}

func fastConfig() *Config {
	cfg := DefaultConfig()
	cfg.PollInterval = 50 * time.Millisecond
	return cfg
}

// TestOpenSSH2k is the acceptance check: --auth-log OpenSSH_2k.log
// --from-start gives exactly 1 successful and 532 failed ssh_login events,
// each with source.ip; the file's last line has no newline and must count.
func TestOpenSSH2k(t *testing.T) {
	path := filepath.Join(shareddata.Dir(t, "loghub"), "OpenSSH", "OpenSSH_2k.log")
	cfg := fastConfig()
	cfg.AuthLogs, cfg.Wtmp, cfg.Btmp = []string{path}, "", ""
	deps := collector.Deps{Root: hostfs.Live(), StateDir: t.TempDir(), FromStart: true, Now: time.Now}
	evs := runCollector(t, cfg, deps, func(evs []event.Event) bool { return count(evs, "ssh_login", "") >= 533 })
	ok, failed := count(evs, "ssh_login", "success"), count(evs, "ssh_login", "failure")
	if ok != 1 || failed != 532 {
		t.Errorf("ssh_login: %d successful, %d failed; want 1 and 532", ok, failed)
	}
	ids := map[string]bool{}
	for _, e := range evs {
		if e.Event.Action == "ssh_login" && (e.Source == nil || e.Source.IP == "") {
			t.Errorf("ssh_login without source.ip: %s", e.Message)
		}
		if ids[e.Event.ID] {
			t.Errorf("duplicate event id %s", e.Event.ID)
		}
		ids[e.Event.ID] = true
	}
	// A restart with the same state reads nothing again.
	deps.FromStart = false
	start := time.Now()
	again := runCollector(t, cfg, deps, func([]event.Event) bool { return time.Since(start) > 1500*time.Millisecond })
	if n := count(again, "ssh_login", ""); n != 0 {
		t.Errorf("restart re-emitted %d ssh_login events", n)
	}
}

// TestFixtureRoot follows an auth log, wtmp and btmp under a fixture root,
// from their end on a first start, then appended lines and records.
func TestFixtureRoot(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "var/log"), 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(name string, data []byte) {
		f, err := os.OpenFile(filepath.Join(dir, "var/log", name), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if _, err := f.Write(data); err != nil {
			t.Fatal(err)
		}
	}
	at := time.Date(2024, 5, 1, 8, 0, 0, 0, time.UTC)
	write("auth.log", []byte("May  1 07:00:00 h sshd[1]: Accepted password for old from 192.0.2.1 port 1 ssh2\n"))
	write("wtmp", utmp.Record{Type: utmp.UserProcess, PID: 5, Line: "pts/0", User: "old", Time: at}.Marshal())
	write("btmp", nil)
	root, err := hostfs.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	deps := collector.Deps{Root: root, StateDir: t.TempDir(), Now: func() time.Time { return at.Add(time.Hour) }}
	appended := false
	evs := runCollector(t, fastConfig(), deps, func(evs []event.Event) bool {
		if _, err := os.Stat(filepath.Join(deps.StateDir, stateFile)); err != nil {
			return false // the first poll has not noted the files' ends yet
		}
		if !appended {
			write("auth.log", []byte("May  1 08:00:01 h sshd[2]: Failed publickey for eve from 198.51.100.2 port 2 ssh2\n"))
			write("wtmp", utmp.Record{Type: utmp.UserProcess, PID: 6, Line: "pts/1", User: "alice",
				Host: "192.0.2.9", Time: at, Addr: netip.MustParseAddr("192.0.2.9")}.Marshal())
			write("btmp", utmp.Record{Type: utmp.LoginProcess, PID: 7, Line: "ssh:notty", User: "root",
				Host: "198.51.100.3", Time: at}.Marshal())
			appended = true
		}
		// All three, not any three: the runner's health event counts too,
		// and the auth log may be polled just before the append.
		return count(evs, "ssh_login", "failure") >= 1 && count(evs, "user_login", "") >= 2
	})
	if n := count(evs, "ssh_login", "failure"); n != 1 {
		t.Errorf("ssh_login failures: %d, want 1", n)
	}
	if n := count(evs, "ssh_login", "success"); n != 0 {
		t.Errorf("the line before the first start was read")
	}
	if n := count(evs, "user_login", "success"); n != 1 {
		t.Errorf("wtmp logins: %d, want 1 (alice only)", n)
	}
	if n := count(evs, "user_login", "failure"); n != 1 {
		t.Errorf("btmp failures: %d, want 1", n)
	}
	for _, e := range evs {
		if e.Event.Action == "user_login" && e.Event.Outcome == "success" && (e.User.Name != "alice" || e.Source.IP != "192.0.2.9") {
			t.Errorf("wtmp event %+v %+v", e.User, e.Source)
		}
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	cfg := DefaultConfig()
	cfg.PollInterval = 0
	if _, err := New(cfg, collector.Deps{}); err == nil {
		t.Error("zero poll interval accepted")
	}
	if _, err := New(struct{}{}, collector.Deps{}); err == nil {
		t.Error("wrong config type accepted")
	}
}
