//go:build linux

package agent

import (
	"context"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/audit/netlink"
	"github.com/vigil-sec/vigil/internal/collector/audit"
	"github.com/vigil-sec/vigil/internal/collector/collectortest"
	"github.com/vigil-sec/vigil/internal/collector/fim"
	"github.com/vigil-sec/vigil/internal/event"
	fimcore "github.com/vigil-sec/vigil/internal/fim"
	"github.com/vigil-sec/vigil/internal/hostfs"
	"github.com/vigil-sec/vigil/internal/livetest"
)

// TestLiveFIMActor runs the agent with the audit and fim collectors on a
// directory: the fim collector's path is watched by audit (watch_fim_paths),
// and a shell writing a file there gives fim created and updated events
// whose process is that shell and whose user is root, while the audit
// records of that watch are not emitted on their own.
func TestLiveFIMActor(t *testing.T) {
	livetest.LockAudit(t)
	conn, err := netlink.Dial()
	if err != nil {
		t.Skipf("no audit netlink: %v", err)
	}
	defer conn.Close()
	if st, err := conn.Status(context.Background()); err != nil || st.Enabled == 2 {
		t.Skipf("audit unusable: status %+v, %v", st, err)
	}

	dir := t.TempDir()
	cfg := Default()
	cfg.StateDir = t.TempDir()
	cfg.Enabled = []string{"audit", "fim"}
	fc := cfg.Collectors["fim"].(*fim.Config)
	fc.Paths = []string{dir}
	if !cfg.Collectors["audit"].(*audit.Config).WatchFIMPaths {
		t.Fatal("watch_fim_paths is off by default")
	}
	out := &collectortest.MemOutput{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, cfg, Options{Version: "test", Root: hostfs.Live(), Logger: discard(), Output: out})
	}()
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
				t.Errorf("agent: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("agent did not stop within 10 s")
		}
	}
	defer stop()

	t.Cleanup(func() {
		if t.Failed() {
			for _, ev := range out.Events() {
				b, _ := json.Marshal(ev)
				t.Logf("%s", b)
			}
		}
	})
	waitFor(t, 20*time.Second, "the fim baseline and the vigil-fim watch", func() bool {
		return hasRuleKey(t, conn, "vigil-fim") && slices.ContainsFunc(out.Events(), func(ev event.Event) bool {
			return ev.Event.Action == event.ActionCollectorHealth && strings.Contains(ev.Message, "initial baseline")
		})
	})
	time.Sleep(300 * time.Millisecond) // the audit stream registers after its rules

	f := filepath.Join(dir, "f")
	// One change at a time: fim coalesces changes within its debounce into
	// one event, which then names the last actor.
	for _, want := range []struct {
		action, script string
	}{{event.ActionCreated, "echo x > " + f}, {event.ActionUpdated, "echo y >> " + f}} {
		pid := shellWrite(t, want.script)
		var ev event.Event
		waitFor(t, 5*time.Second, "fim "+want.action+" event of "+f, func() bool {
			i := slices.IndexFunc(out.Events(), func(ev event.Event) bool {
				return ev.Event.Dataset == fimcore.Dataset && ev.Event.Action == want.action && ev.File != nil && ev.File.Path == f &&
					ev.Process != nil && ev.Process.PID != nil && *ev.Process.PID == int64(pid)
			})
			if i >= 0 {
				ev = out.Events()[i]
			}
			return i >= 0
		})
		if err := ev.Validate(); err != nil {
			t.Errorf("%s event: %v", want.action, err)
		}
		if ev.User == nil || ev.User.ID != "0" {
			t.Errorf("%s event: user %+v, want id 0", want.action, ev.User)
		}
		if !strings.HasSuffix(ev.Process.Executable, "sh") && !strings.HasSuffix(ev.Process.Executable, "dash") {
			t.Errorf("%s event: process.executable %q, want the shell", want.action, ev.Process.Executable)
		}
	}
	stop()
	for _, ev := range out.Events() {
		if ev.Auditd != nil && ev.Auditd.Data["key"] == "vigil-fim" && ev.Event.Outcome != event.OutcomeFailure {
			t.Errorf("a successful vigil-fim audit record was emitted: %s %v", ev.Event.Action, ev.File)
		}
	}
	if hasRuleKey(t, conn, "vigil-fim") {
		t.Error("vigil-fim watch left installed after the agent stopped")
	}
}

// shellWrite runs sh -c script and returns the shell's pid.
func shellWrite(t *testing.T, script string) int {
	t.Helper()
	cmd := exec.Command("/bin/sh", "-c", script)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("sh -c %q: %v %s", script, err, b)
	}
	return cmd.Process.Pid
}

func waitFor(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("no %s within %s", what, limit)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func hasRuleKey(t *testing.T, c *netlink.Conn, key string) bool {
	t.Helper()
	rules, err := c.ListRules(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rules {
		if slices.Contains(r.Keys(), key) {
			return true
		}
	}
	return false
}
