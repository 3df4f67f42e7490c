package fim

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/actors"
	"github.com/vigil-sec/vigil/internal/collector"
	"github.com/vigil-sec/vigil/internal/event"
	fimcore "github.com/vigil-sec/vigil/internal/fim"
)

// TestActorsJoined: with the agent's shared actors cache, a change whose
// path the cache knows (as the audit collector would record it) carries
// that user and process; a change it does not know carries none. New tells
// the cache which paths fim watches.
func TestActorsJoined(t *testing.T) {
	dir, state := t.TempDir(), t.TempDir()
	cache := actors.New(actors.Options{})
	a := startAgentDeps(t, dir, state, fimcore.BackendInotify, func(d *collector.Deps) { d.Actors = cache })
	if w := cache.Watched(); !slices.Equal(w, []string{dir}) {
		t.Errorf("cache.Watched() = %v, want [%s]", w, dir)
	}
	a.expectBaseline()

	known, unknown := filepath.Join(dir, "known"), filepath.Join(dir, "unknown")
	pid := int64(4242)
	cache.Record(known, actors.OpEntry, actors.Actor{
		User:    &event.User{ID: "1000", Name: "alice"},
		Process: &event.Process{PID: &pid, Executable: "/usr/bin/tee", Name: "tee"},
	}, time.Now())
	if err := os.WriteFile(known, []byte("k"), 0o644); err != nil {
		t.Fatal(err)
	}
	ev := a.expect(event.ActionCreated, known)
	if ev.User == nil || ev.User.ID != "1000" || ev.Process == nil || ev.Process.PID == nil ||
		*ev.Process.PID != pid || ev.Process.Executable != "/usr/bin/tee" {
		t.Errorf("created %s: user %+v process %+v, want alice's tee", known, ev.User, ev.Process)
	}

	// The recorded creation also names the directory; a second process
	// creating another entry there makes the directory ambiguous, so the
	// unknown file gets no actor.
	other := int64(4343)
	cache.Record(filepath.Join(dir, "third"), actors.OpEntry, actors.Actor{
		Process: &event.Process{PID: &other, Executable: "/usr/bin/cp"},
	}, time.Now())
	if err := os.WriteFile(unknown, []byte("u"), 0o644); err != nil {
		t.Fatal(err)
	}
	ev = a.expect(event.ActionCreated, unknown)
	if ev.User != nil || ev.Process != nil {
		t.Errorf("created %s: user %+v process %+v, want no actor", unknown, ev.User, ev.Process)
	}
}
