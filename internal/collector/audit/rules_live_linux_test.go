//go:build linux

package audit

import (
	"context"
	"fmt"
	"os/exec"
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/event"
)

// TestLiveRulesRemovedByOthers: when another process removes the agent's
// rules while it runs (a second agent stopping, an admin's auditctl -D),
// the collector adds them again, counts them in its health
// (rules_reinstalled), and execs after that are captured.
func TestLiveRulesRemovedByOthers(t *testing.T) {
	c := liveAudit(t)
	out, stop := startCollector(t, c, func(cfg *Config) { cfg.Mode = "auto" })
	n, err := c.RemoveKeyed(context.Background(), keyPrefix)
	if err != nil || n == 0 {
		t.Fatalf("removing the collector's rules: %d removed, %v", n, err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for !hasKey(t, c, "vigil-exec") {
		if time.Now().After(deadline) {
			t.Fatal("exec rule not reinstalled within 10 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	marker := fmt.Sprintf("vigilreinstall%d", time.Now().UnixNano())
	if err := exec.Command("/bin/true", marker).Run(); err != nil {
		t.Fatal(err)
	}
	deadline = time.Now().Add(10 * time.Second)
	for len(execArgs(t, out.Events(), marker)) == 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	stop()
	evs := out.Events()
	if len(execArgs(t, evs, marker)) != 1 {
		t.Error("exec after the reinstall not captured")
	}
	var health *event.Collector
	for _, ev := range evs {
		if ev.Event.Action == event.ActionCollectorHealth && ev.Vigil != nil && ev.Vigil.Collector != nil {
			health = ev.Vigil.Collector
		}
	}
	if health == nil {
		t.Fatal("no collector_health event")
	}
	if health.Counters["rules_reinstalled"] < 1 {
		t.Errorf("health at stop: counters %v, want rules_reinstalled", health.Counters)
	}
	if hasKey(t, c, "vigil-exec") {
		t.Error("exec rule still installed after stop")
	}
}
