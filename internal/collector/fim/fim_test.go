package fim

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/collector"
	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/hostfs"
)

// chanOutput hands the runner's events to the test.
type chanOutput struct{ ch chan event.Event }

func (o chanOutput) Write(_ context.Context, evs []event.Event) error {
	for _, ev := range evs {
		o.ch <- ev
	}
	return nil
}

func (o chanOutput) Flush() error { return nil }

// agent runs the fim collector through the registry and the runner.
type agent struct {
	t      *testing.T
	events chan event.Event
	stop   func()
}

func startAgent(t *testing.T, dir, state, realtime string) *agent {
	t.Helper()
	return startAgentDeps(t, dir, state, realtime, nil)
}

// startAgentDeps is startAgent with a hook that changes the collector's
// dependencies.
func startAgentDeps(t *testing.T, dir, state, realtime string, mutate func(*collector.Deps)) *agent {
	t.Helper()
	reg, ok := collector.Lookup(Name)
	if !ok {
		t.Fatal("fim not registered")
	}
	cfg := reg.DefaultConfig().(*Config)
	cfg.Paths = []string{dir}
	cfg.Realtime = realtime
	deps := collector.Deps{Root: hostfs.Live(), StateDir: state, Now: time.Now}
	if mutate != nil {
		mutate(&deps)
	}
	c, err := reg.New(cfg, deps)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	a := &agent{t: t, events: make(chan event.Event, 1024)}
	var wg sync.WaitGroup
	wg.Go(func() {
		r := collector.NewRunner(collector.RunnerOptions{HealthInterval: time.Hour})
		if err := r.Run(ctx, []collector.Instance{{Name: Name, Collector: c, Deps: deps}}, chanOutput{a.events}); err != nil {
			t.Error(err)
		}
	})
	a.stop = func() {
		cancel()
		go func() {
			for range a.events { // drain so the runner can finish
			}
		}()
		wg.Wait()
		close(a.events)
	}
	t.Cleanup(func() {
		if a.stop != nil {
			a.stop()
		}
	})
	return a
}

func (a *agent) halt() {
	a.stop()
	a.stop = nil
}

// expect waits up to 2 s for an event with the action on path.
func (a *agent) expect(action, path string) event.Event {
	a.t.Helper()
	deadline := time.After(2 * time.Second)
	for {
		select {
		case ev := <-a.events:
			if err := ev.Validate(); err != nil {
				a.t.Errorf("invalid event %s: %v", ev.Event.Action, err)
			}
			if ev.Event.Action == action && (path == "" || ev.File != nil && ev.File.Path == path) {
				return ev
			}
		case <-deadline:
			a.t.Fatalf("no %s event for %s within 2s", action, path)
		}
	}
}

// expectBaseline waits for the health event of the initial baseline.
func (a *agent) expectBaseline() {
	a.t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		select {
		case ev := <-a.events:
			if ev.Event.Action == event.ActionCollectorHealth && strings.Contains(ev.Message, "initial baseline") {
				if err := ev.Validate(); err != nil {
					a.t.Errorf("baseline event: %v", err)
				}
				return
			}
			if ev.Event.Category[0] == event.CategoryFile {
				a.t.Errorf("file event during the initial baseline: %s %s", ev.Event.Action, ev.File.Path)
			}
		case <-deadline:
			a.t.Fatal("no initial baseline event")
		}
	}
}

func sum(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

func TestRealtime(t *testing.T) {
	for _, backend := range []string{"fanotify", "inotify"} {
		t.Run(backend, func(t *testing.T) {
			if backend == "fanotify" && os.Geteuid() != 0 {
				t.Skip("fanotify filesystem marks need root (CAP_SYS_ADMIN)")
			}
			dir, state := t.TempDir(), t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "old"), []byte("old"), 0o644); err != nil {
				t.Fatal(err)
			}
			a := startAgent(t, dir, state, backend)
			a.expectBaseline()
			realtimeSteps(t, a, dir)
		})
	}
}

func realtimeSteps(t *testing.T, a *agent, dir string) {
	f := filepath.Join(dir, "a.txt")
	if err := os.WriteFile(f, []byte("one"), 0o644); err != nil {
		t.Fatal(err)
	}
	ev := a.expect(event.ActionCreated, f)
	if ev.File.Hash == nil || ev.File.Hash.SHA256 != sum("one") || *ev.File.Size != 3 || ev.File.Mode != "0644" {
		t.Errorf("created: %+v", ev.File)
	}
	if err := os.WriteFile(f, []byte("two!"), 0o644); err != nil {
		t.Fatal(err)
	}
	ev = a.expect(event.ActionUpdated, f)
	if ev.File.Hash.SHA256 != sum("two!") || ev.Vigil.File.Previous.Hash.SHA256 != sum("one") {
		t.Errorf("updated: hash %s, previous %s", ev.File.Hash.SHA256, ev.Vigil.File.Previous.Hash.SHA256)
	}
	if err := os.Chmod(f, 0o600); err != nil {
		t.Fatal(err)
	}
	ev = a.expect(event.ActionAttributesModified, f)
	if ev.File.Mode != "0600" || ev.Vigil.File.Previous.Mode != "0644" {
		t.Errorf("chmod: mode %s, previous %s", ev.File.Mode, ev.Vigil.File.Previous.Mode)
	}
	g := filepath.Join(dir, "b.txt")
	if err := os.Rename(f, g); err != nil {
		t.Fatal(err)
	}
	ev = a.expect(event.ActionMoved, g)
	if ev.Vigil.File.Previous.Path != f || ev.File.Hash.SHA256 != sum("two!") {
		t.Errorf("moved: previous %s", ev.Vigil.File.Previous.Path)
	}
	if err := os.Remove(g); err != nil {
		t.Fatal(err)
	}
	a.expect(event.ActionDeleted, g)
	sub := filepath.Join(dir, "sub")
	if err := os.MkdirAll(filepath.Join(sub, "deep"), 0o755); err != nil {
		t.Fatal(err)
	}
	a.expect(event.ActionCreated, sub)
	h := filepath.Join(sub, "deep", "c")
	if err := os.WriteFile(h, []byte("c"), 0o644); err != nil {
		t.Fatal(err)
	}
	a.expect(event.ActionCreated, h)
	// A renamed directory: its files move with it, and new files below the
	// new name are seen (the watchers' directory paths follow the rename).
	sub2 := filepath.Join(dir, "sub2")
	if err := os.Rename(sub, sub2); err != nil {
		t.Fatal(err)
	}
	ev = a.expect(event.ActionMoved, filepath.Join(sub2, "deep", "c"))
	if ev.Vigil.File.Previous.Path != h {
		t.Errorf("moved with its directory: previous %s", ev.Vigil.File.Previous.Path)
	}
	c2 := filepath.Join(sub2, "deep", "c2")
	if err := os.WriteFile(c2, []byte("c2"), 0o644); err != nil {
		t.Fatal(err)
	}
	a.expect(event.ActionCreated, c2)
}

func TestRestartReportsOfflineChanges(t *testing.T) {
	dir, state := t.TempDir(), t.TempDir()
	f := filepath.Join(dir, "conf")
	if err := os.WriteFile(f, []byte("v1"), 0o644); err != nil {
		t.Fatal(err)
	}
	a := startAgent(t, dir, state, "off")
	a.expectBaseline()
	a.halt()
	if err := os.WriteFile(f, []byte("v2"), 0o644); err != nil {
		t.Fatal(err)
	}
	b := startAgent(t, dir, state, "off")
	ev := b.expect(event.ActionUpdated, f)
	if ev.File.Hash.SHA256 != sum("v2") || ev.Vigil.File.Previous.Hash.SHA256 != sum("v1") {
		t.Errorf("offline update: %s <- %s", ev.File.Hash.SHA256, ev.Vigil.File.Previous.Hash.SHA256)
	}
}

func TestBurstDebounced(t *testing.T) {
	dir, state := t.TempDir(), t.TempDir()
	a := startAgent(t, dir, state, "inotify")
	a.expectBaseline()
	f := filepath.Join(dir, "log")
	if err := os.WriteFile(f, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	a.expect(event.ActionCreated, f)
	w, err := os.OpenFile(f, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 200 { // a burst of writes well inside one debounce window
		if _, err := w.WriteString(strings.Repeat("x", i%7+1)); err != nil {
			t.Fatal(err)
		}
	}
	w.Close()
	ev := a.expect(event.ActionUpdated, f)
	if ev.File.Size == nil || *ev.File.Size != 794 {
		t.Errorf("size after the burst: %v", ev.File.Size)
	}
	// No further update may follow for the same burst.
	deadline := time.After(time.Second)
	for {
		select {
		case ev := <-a.events:
			if ev.Event.Action == event.ActionUpdated {
				t.Errorf("second update for one burst (size %d)", *ev.File.Size)
			}
		case <-deadline:
			return
		}
	}
}
