package audit

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/actors"
	"github.com/vigil-sec/vigil/internal/audit"
	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/hostfs"
)

func fileEvent(action, outcome, path, key string, pid int64) event.Event {
	return event.Event{
		Timestamp: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC),
		Event:     event.Meta{Category: []string{event.CategoryFile}, Action: action, Outcome: outcome},
		File:      &event.File{Path: path},
		User:      &event.User{ID: "0"},
		Process:   &event.Process{PID: &pid, Executable: "/usr/bin/dash"},
		Auditd:    &event.Auditd{Data: map[string]string{"key": key}},
	}
}

// TestRecordActor: which mapped events feed the actors cache, under which
// paths, and which are for the join only.
func TestRecordActor(t *testing.T) {
	moved := fileEvent(event.ActionMoved, event.OutcomeSuccess, "/d/new", "vigil-test", 7)
	moved.Vigil = &event.Vigil{File: &event.VigilFile{Previous: &event.File{Path: "/e/old"}}}
	exec := fileEvent(event.ActionExec, event.OutcomeSuccess, "/d/f", "vigil-exec", 7)
	exec.Event.Category = []string{event.CategoryProcess}
	noActor := fileEvent(event.ActionUpdated, event.OutcomeSuccess, "/d/f", "vigil-test", 7)
	noActor.User, noActor.Process = nil, nil
	tests := []struct {
		name    string
		ev      event.Event
		fimOnly bool
		known   []string // paths with an actor afterwards
		unknown []string
	}{
		{"update", fileEvent(event.ActionUpdated, event.OutcomeSuccess, "/d/f", "vigil-test", 7), false,
			[]string{"/d/f"}, []string{"/d/g", "/d"}},
		{"creation names the directory", fileEvent(event.ActionCreated, event.OutcomeSuccess, "/d/f", "vigil-test", 7), false,
			[]string{"/d/f", "/d", "/d/g"}, []string{"/e"}},
		{"move records both names", moved, false, []string{"/d/new", "/e/old", "/d", "/e"}, nil},
		{"failure changed nothing", fileEvent(event.ActionUpdated, event.OutcomeFailure, "/d/f", fimKey, 7), false,
			nil, []string{"/d/f"}},
		{"read changed nothing", fileEvent(audit.ActionFileAccessed, event.OutcomeSuccess, "/d/f", fimKey, 7), true,
			nil, []string{"/d/f"}},
		{"fim watch record", fileEvent(event.ActionUpdated, event.OutcomeSuccess, "/d/f", fimKey, 7), true,
			[]string{"/d/f"}, nil},
		{"not a file event", exec, false, nil, []string{"/d/f"}},
		{"no actor", noActor, false, nil, []string{"/d/f"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := actors.New(actors.Options{})
			if got := recordActor(c, &tc.ev); got != tc.fimOnly {
				t.Errorf("recordActor = %v, want %v", got, tc.fimOnly)
			}
			at := tc.ev.Timestamp.Add(time.Second)
			for _, p := range tc.known {
				if a, ok := c.Actor(p, at); !ok || a.Process == nil || *a.Process.PID != 7 || a.User.ID != "0" {
					t.Errorf("Actor(%s) = %+v %v, want pid 7 uid 0", p, a, ok)
				}
			}
			for _, p := range tc.unknown {
				if a, ok := c.Actor(p, at); ok {
					t.Errorf("Actor(%s) = %+v, want none", p, a)
				}
			}
		})
	}
	ev := fileEvent(event.ActionUpdated, event.OutcomeSuccess, "/d/f", fimKey, 7)
	if !recordActor(nil, &ev) {
		t.Error("without a cache a fim watch record is still for the join only")
	}
}

// TestFIMWatches: fim paths become vigil-fim watches, after the other rules,
// a symlinked path (merged /usr) at its target, duplicates, "/" and paths
// the rule syntax cannot hold dropped, absent paths skipped like any watch.
func TestFIMWatches(t *testing.T) {
	dir := t.TempDir()
	for _, d := range []string{"etc", "usr/bin", "srv/my app"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("usr/bin", filepath.Join(dir, "bin")); err != nil {
		t.Fatal(err)
	}
	root, err := hostfs.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	paths := []string{"/etc", "/bin", "/usr/bin", "/", "/srv/my app", "/nowhere/x"}
	got := fimWatches(context.Background(), root, paths)
	want := []string{"-w /etc -p wa -k vigil-fim", "-w /usr/bin -p wa -k vigil-fim", "-w /nowhere/x -p wa -k vigil-fim"}
	if !slices.Equal(got, want) {
		t.Errorf("fimWatches = %q, want %q", got, want)
	}

	cfg := *DefaultConfig()
	cfg.WatchAuthorizedKeys = false
	rules, skipped, err := buildRules(context.Background(), cfg, root, 1, paths)
	if err != nil {
		t.Fatal(err)
	}
	var texts []string
	for _, r := range rules {
		texts = append(texts, r.String())
	}
	n := len(texts)
	if n < 2 || texts[n-2] != "-w /etc -p wa -k vigil-fim" || texts[n-1] != "-w /usr/bin -p wa -k vigil-fim" {
		t.Errorf("fim watches are not the last rules: %q", texts)
	}
	if !slices.Contains(skipped, "/nowhere/x") {
		t.Errorf("absent fim path not skipped: %q", skipped)
	}
	cfg.WatchFIMPaths = false
	rules, _, err = buildRules(context.Background(), cfg, root, 1, paths)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rules {
		if slices.Contains(r.Keys(), fimKey) {
			t.Errorf("watch_fim_paths off, still %s", r)
		}
	}
}
