//go:build linux

package audit

import (
	"github.com/vigil-sec/vigil/internal/livetest"

	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/vigil-sec/vigil/internal/audit/netlink"
	"github.com/vigil-sec/vigil/internal/collector"
	"github.com/vigil-sec/vigil/internal/collector/collectortest"
	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/hostfs"
)

// liveAudit skips unless root with a usable audit subsystem, takes the
// machine-wide audit test lock and returns a control connection.
func liveAudit(t *testing.T) *netlink.Conn {
	t.Helper()
	livetest.LockAudit(t)
	c, err := netlink.Dial()
	if err != nil {
		t.Skipf("no audit netlink: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	st, err := c.Status(context.Background())
	if err != nil || st.Enabled == 2 {
		t.Skipf("audit unusable: status %+v, %v", st, err)
	}
	before := st
	t.Cleanup(func() {
		c.RemoveKeyed(context.Background(), keyPrefix)
		after, err := c.Status(context.Background())
		if err == nil && (after.Enabled != before.Enabled || after.BacklogLimit != before.BacklogLimit) {
			t.Errorf("audit status not restored: %+v, was %+v", after, before)
		}
	})
	return c
}

// startCollector runs the audit collector through the registry and the
// runner until the returned stop is called; it waits until the exec rule is
// installed.
func startCollector(t *testing.T, c *netlink.Conn, mutate func(*Config)) (*collectortest.MemOutput, func()) {
	t.Helper()
	reg, ok := collector.Lookup("audit")
	if !ok {
		t.Fatal("audit collector not registered")
	}
	cfg := reg.DefaultConfig().(*Config)
	if mutate != nil {
		mutate(cfg)
	}
	deps := collector.Deps{Root: hostfs.Live(), StateDir: t.TempDir(), Logger: slog.New(slog.DiscardHandler), Now: time.Now}
	col, err := reg.New(cfg, deps)
	if err != nil {
		t.Fatal(err)
	}
	out := &collectortest.MemOutput{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	r := collector.NewRunner(collector.RunnerOptions{HealthInterval: time.Hour})
	go func() { done <- r.Run(ctx, []collector.Instance{{Name: "audit", Collector: col, Deps: deps}}, out) }()
	deadline := time.Now().Add(10 * time.Second)
	for !hasKey(t, c, "vigil-exec") {
		if time.Now().After(deadline) {
			cancel()
			t.Fatal("exec rule never installed")
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond) // stream registered after the rules
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("runner: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("collector did not stop within 10 s")
		}
	}
	t.Cleanup(stop)
	return out, stop
}

func hasKey(t *testing.T, c *netlink.Conn, key string) bool {
	rules, err := c.ListRules(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rules {
		for _, k := range r.Keys() {
			if k == key {
				return true
			}
		}
	}
	return false
}

// execArgs collects, for every exec event whose args[1] starts with prefix,
// the args, and validates every event.
func execArgs(t *testing.T, evs []event.Event, prefix string) map[string][]string {
	t.Helper()
	got := map[string][]string{}
	for _, ev := range evs {
		if err := ev.Validate(); err != nil {
			t.Errorf("invalid %s event: %v", ev.Event.Action, err)
		}
		if ev.Event.Action == event.ActionExec && ev.Process != nil && len(ev.Process.Args) > 1 &&
			strings.HasPrefix(ev.Process.Args[1], prefix) {
			got[ev.Process.Args[1]] = ev.Process.Args
		}
	}
	return got
}

// TestLiveExecLoop: 2,000 execs of a shell loop, every one with its exact
// argv; no loss reported; rules removed at stop.
func TestLiveExecLoop(t *testing.T) {
	c := liveAudit(t)
	out, stop := startCollector(t, c, func(cfg *Config) { cfg.Mode = "auto" })
	prefix := fmt.Sprintf("vigiltest%d-", time.Now().UnixNano())
	cmd := exec.Command("/bin/sh", "-c", "for i in $(seq 2000); do /bin/true "+prefix+"$i; done")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("loop: %v %s", err, b)
	}
	deadline := time.Now().Add(10 * time.Second)
	for len(execArgs(t, out.Events(), prefix)) < 2000 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	stop()
	evs := out.Events()
	got := execArgs(t, evs, prefix)
	missing := 0
	for i := 1; i <= 2000; i++ {
		a := prefix + fmt.Sprint(i)
		args, ok := got[a]
		if !ok {
			missing++
			continue
		}
		if len(args) != 2 || args[0] != "/bin/true" {
			t.Errorf("exec %d args = %q", i, args)
		}
	}
	if missing > 0 {
		t.Errorf("%d of 2000 execs missing", missing)
	}
	for _, ev := range evs {
		if ev.Event.Action == event.ActionAuditEventsLost {
			t.Errorf("loss reported: %s", ev.Message)
		}
	}
	if hasKey(t, c, "vigil-exec") {
		t.Error("exec rule still installed after stop")
	}
	// one exec checked in detail
	for _, ev := range evs {
		if ev.Process != nil && len(ev.Process.Args) == 2 && ev.Process.Args[1] == prefix+"7" {
			p := ev.Process
			if p.Executable != "/usr/bin/true" && p.Executable != "/bin/true" || p.Parent == nil ||
				!strings.HasSuffix(p.Parent.Executable, "sh") || p.WorkingDirectory == "" || ev.User == nil || ev.User.ID != "0" {
				t.Errorf("exec event details: process %+v parent %+v user %+v", p, p.Parent, ev.User)
			}
		}
	}
}

// TestLiveStaleRules: rules left by a killed agent (same keys) do not stop a
// new start, and are all removed at its stop.
func TestLiveStaleRules(t *testing.T) {
	c := liveAudit(t)
	ctx := context.Background()
	stale := []string{
		"-a always,exit -F arch=b64 -S execve,execveat -F pid!=1 -k vigil-exec",                            // other pid: not ours now
		fmt.Sprintf("-a always,exit -F arch=b64 -S execve,execveat -F pid!=%d -k vigil-exec", os.Getpid()), // equal to ours
		"-w /etc/passwd -p wa -k vigil-identity",
	}
	for _, s := range stale {
		r, err := netlink.ParseRule(s)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.AddRule(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	out, stop := startCollector(t, c, nil)
	marker := fmt.Sprintf("vigilstale%d", time.Now().UnixNano())
	if err := exec.Command("/bin/true", marker).Run(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for len(execArgs(t, out.Events(), marker)) == 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	stop()
	if len(execArgs(t, out.Events(), marker)) != 1 {
		t.Error("exec not seen after a start over stale rules")
	}
	rules, err := c.ListRules(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rules {
		if r.HasKeyPrefix(keyPrefix) {
			t.Errorf("rule left after stop: %s", r)
		}
	}
}

// TestLiveFileWatch: a write in a watched directory becomes a file event
// with the acting process.
func TestLiveFileWatch(t *testing.T) {
	c := liveAudit(t)
	dir := t.TempDir()
	out, stop := startCollector(t, c, func(cfg *Config) {
		cfg.ExtraRules = []string{"-w " + dir + " -p wa -k vigil-test"}
	})
	target := dir + "/sudoers"
	if b, err := exec.Command("/bin/sh", "-c", "echo x > "+target).CombinedOutput(); err != nil {
		t.Fatalf("%v %s", err, b)
	}
	deadline := time.Now().Add(5 * time.Second)
	var found *event.Event
	for found == nil && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
		for _, ev := range out.Events() {
			if ev.File != nil && ev.File.Path == target {
				found = &ev
				break
			}
		}
	}
	stop()
	if found == nil {
		t.Fatal("no file event for the write")
	}
	if err := found.Validate(); err != nil {
		t.Error(err)
	}
	if !contains(found.Event.Category, event.CategoryFile) || found.Process == nil || found.Process.PID == nil ||
		!strings.HasSuffix(found.Process.Executable, "sh") || found.User == nil {
		t.Errorf("file event: %+v process %+v user %+v", found.Event, found.Process, found.User)
	}
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// TestLiveObserverWithAuditd: with Debian's auditd owning audit, the
// collector observes, still sees execs through its own rule, and leaves
// auditd's settings alone.
func TestLiveObserverWithAuditd(t *testing.T) {
	c := liveAudit(t)
	auditd, err := exec.LookPath("auditd")
	if err != nil {
		t.Skip("auditd not installed")
	}
	st, _ := c.Status(context.Background())
	if st.PID != 0 {
		t.Skipf("audit already owned by pid %d", st.PID)
	}
	cmd := exec.Command(auditd, "-n") // enables audit, disables it again at exit
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(unix.SIGTERM)
		cmd.Wait()
		// auditd leaves audit enabled; put back the state before it.
		c.SetStatus(context.Background(), netlink.Status{Mask: netlink.StatusEnabled | netlink.StatusPID, Enabled: st.Enabled})
	})
	deadline := time.Now().Add(5 * time.Second)
	for {
		s, err := c.Status(context.Background())
		if err == nil && int(s.PID) == cmd.Process.Pid {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("auditd did not register: %s", stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	out, stop := startCollector(t, c, nil)
	marker := fmt.Sprintf("vigilobs%d", time.Now().UnixNano())
	if err := exec.Command("/bin/true", marker).Run(); err != nil {
		t.Fatal(err)
	}
	deadline = time.Now().Add(5 * time.Second)
	for len(execArgs(t, out.Events(), marker)) == 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	stop()
	if len(execArgs(t, out.Events(), marker)) != 1 {
		t.Errorf("observer did not see the exec; health: %s", lastHealth(out.Events()))
	}
	s, err := c.Status(context.Background())
	if err != nil || int(s.PID) != cmd.Process.Pid {
		t.Errorf("auditd lost its registration: %+v %v", s, err)
	}
}

// lastHealth describes the last collector_health event, for failure messages.
func lastHealth(evs []event.Event) string {
	for i := len(evs) - 1; i >= 0; i-- {
		if v := evs[i].Vigil; v != nil && v.Collector != nil {
			return fmt.Sprintf("%s %s %v", v.Collector.State, v.Collector.Reason, v.Collector.Counters)
		}
	}
	return "none"
}
