package actors

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/event"
)

var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

func actor(pid int64, exe string) Actor {
	return Actor{
		User:    &event.User{ID: "0", Name: "root", Audit: &event.UserRef{ID: "1000"}},
		Process: &event.Process{PID: &pid, Executable: exe, Args: []string{exe, "-c", "x"}},
	}
}

func pidOf(a Actor) int64 {
	if a.Process == nil || a.Process.PID == nil {
		return -1
	}
	return *a.Process.PID
}

func TestActor(t *testing.T) {
	type rec struct {
		path string
		op   Op
		pid  int64
		at   time.Duration // after t0
	}
	tests := []struct {
		name    string
		recs    []rec
		lookup  string
		at      time.Duration
		wantPID int64 // -1: no actor
	}{
		{"exact within window", []rec{{"/d/f", OpChange, 10, 0}}, "/d/f", 4 * time.Second, 10},
		{"exact at window edge", []rec{{"/d/f", OpChange, 10, 0}}, "/d/f", DefaultWindow, 10},
		{"too old", []rec{{"/d/f", OpChange, 10, 0}}, "/d/f", DefaultWindow + time.Millisecond, -1},
		{"recorded slightly after the lookup", []rec{{"/d/f", OpChange, 10, 500 * time.Millisecond}}, "/d/f", 0, 10},
		{"recorded long after the lookup", []rec{{"/d/f", OpChange, 10, 3 * time.Second}}, "/d/f", 0, -1},
		{"most recent wins", []rec{{"/d/f", OpChange, 10, 0}, {"/d/f", OpChange, 11, time.Second}}, "/d/f", 2 * time.Second, 11},
		{"late older record does not replace", []rec{{"/d/f", OpChange, 11, time.Second}, {"/d/f", OpChange, 10, 0}}, "/d/f", 2 * time.Second, 11},
		{"unclean path", []rec{{"/d//x/../f", OpChange, 10, 0}}, "/d/f/", time.Second, 10},
		{"other file, no entry op", []rec{{"/d/f", OpChange, 10, 0}}, "/d/g", time.Second, -1},
		{"parent dir of a creation", []rec{{"/d/f", OpEntry, 10, 0}}, "/d", time.Second, 10},
		{"sibling via the parent of a creation", []rec{{"/d/f", OpEntry, 10, 0}}, "/d/g", time.Second, 10},
		{"grandparent not joined", []rec{{"/d/f", OpEntry, 10, 0}}, "/d/x/g", time.Second, -1},
		{"parent changed by two processes", []rec{{"/d/f", OpEntry, 10, 0}, {"/d/g", OpEntry, 12, time.Second}}, "/d/h", 2 * time.Second, -1},
		{"exact still answers when the parent is mixed", []rec{{"/d/f", OpEntry, 10, 0}, {"/d/g", OpEntry, 12, time.Second}}, "/d/f", 2 * time.Second, 10},
		{"parent by one process twice", []rec{{"/d/f", OpEntry, 10, 0}, {"/d/g", OpEntry, 10, time.Second}}, "/d/h", 2 * time.Second, 10},
		{"mixed forgotten after the window", []rec{{"/d/f", OpEntry, 10, 0}, {"/d/g", OpEntry, 12, 7 * time.Second}}, "/d/h", 8 * time.Second, 12},
		{"parent changed by chmod only", []rec{{"/d", OpChange, 10, 0}}, "/d/g", time.Second, -1},
		{"relative path ignored", []rec{{"d/f", OpChange, 10, 0}}, "d/f", time.Second, -1},
		{"root entry", []rec{{"/f", OpEntry, 10, 0}}, "/", time.Second, 10},
		{"root lookup without entry", nil, "/", time.Second, -1},
		{"empty lookup", []rec{{"/d/f", OpChange, 10, 0}}, "", time.Second, -1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := New(Options{})
			for _, r := range tc.recs {
				c.Record(r.path, r.op, actor(r.pid, "/usr/bin/dash"), t0.Add(r.at))
			}
			a, ok := c.Actor(tc.lookup, t0.Add(tc.at))
			if got := pidOf(a); ok != (tc.wantPID >= 0) || got != tc.wantPID {
				t.Errorf("Actor(%q) = pid %d, %v; want pid %d", tc.lookup, got, ok, tc.wantPID)
			}
		})
	}
}

func TestRecordIgnoresEmptyActor(t *testing.T) {
	c := New(Options{})
	c.Record("/d/f", OpEntry, Actor{}, t0)
	if c.Len() != 0 {
		t.Errorf("Len = %d after an empty actor", c.Len())
	}
}

func TestActorIsACopy(t *testing.T) {
	c := New(Options{})
	in := actor(10, "/usr/bin/dash")
	c.Record("/d/f", OpChange, in, t0)
	*in.Process.PID = 99
	in.User.ID = "99"
	in.Process.Args[0] = "changed"
	a, ok := c.Actor("/d/f", t0)
	if !ok || pidOf(a) != 10 || a.User.ID != "0" || a.Process.Args[0] != "/usr/bin/dash" {
		t.Fatalf("stored actor changed through the caller's pointers: %+v %+v", a.Process, a.User)
	}
	*a.Process.PID = 77
	a.User.Audit.ID = "77"
	b, _ := c.Actor("/d/f", t0)
	if pidOf(b) != 10 || b.User.Audit.ID != "1000" {
		t.Errorf("stored actor changed through a returned one: %+v %+v", b.Process, b.User)
	}
}

func TestEviction(t *testing.T) {
	c := New(Options{MaxEntries: 100, Window: time.Hour})
	for i := range 250 {
		c.Record(fmt.Sprintf("/d/%d", i), OpChange, actor(int64(i), "/bin/x"), t0.Add(time.Duration(i)*time.Millisecond))
	}
	if c.Len() != 100 {
		t.Errorf("Len = %d, want 100", c.Len())
	}
	if c.Evicted() != 150 {
		t.Errorf("Evicted = %d, want 150", c.Evicted())
	}
	at := t0.Add(time.Second)
	if _, ok := c.Actor("/d/149", at); ok {
		t.Error("/d/149 should have been evicted")
	}
	if a, ok := c.Actor("/d/150", at); !ok || pidOf(a) != 150 {
		t.Errorf("/d/150 = %v %v, want kept", pidOf(a), ok)
	}
	// Recording a kept path again makes it the newest: it survives the
	// next evictions.
	c.Record("/d/150", OpChange, actor(150, "/bin/x"), t0.Add(300*time.Millisecond))
	for i := 250; i < 349; i++ {
		c.Record(fmt.Sprintf("/d/%d", i), OpChange, actor(int64(i), "/bin/x"), t0.Add(time.Duration(i)*time.Millisecond+time.Second))
	}
	if _, ok := c.Actor("/d/150", t0.Add(2*time.Second)); !ok {
		t.Error("/d/150 recorded again was evicted")
	}
	if _, ok := c.Actor("/d/151", t0.Add(2*time.Second)); ok {
		t.Error("/d/151 should have been evicted")
	}
}

func TestExpiry(t *testing.T) {
	c := New(Options{Window: time.Second})
	for i := range 50 {
		c.Record(fmt.Sprintf("/old/%d", i), OpEntry, actor(1, "/bin/x"), t0)
	}
	c.Record("/new/f", OpChange, actor(2, "/bin/y"), t0.Add(3*time.Second))
	if c.Len() != 1 {
		t.Errorf("Len = %d after the window passed, want 1 (only /new/f)", c.Len())
	}
	if c.Evicted() != 0 {
		t.Errorf("Evicted = %d: expiry counted as eviction", c.Evicted())
	}
}

func TestWatch(t *testing.T) {
	c := New(Options{})
	c.Watch("/etc", "/usr/bin/", "relative", "/etc", "")
	c.Watch("/boot")
	got := fmt.Sprint(c.Watched())
	if got != "[/boot /etc /usr/bin]" {
		t.Errorf("Watched = %s", got)
	}
	for i := range 2000 {
		c.Watch(fmt.Sprintf("/w/%d", i))
	}
	if n := len(c.Watched()); n != maxWatched {
		t.Errorf("Watched holds %d paths, want the bound %d", n, maxWatched)
	}
}

// TestConcurrent records and looks up from many goroutines (run with -race):
// every lookup of a path a goroutine just recorded finds its own actor or a
// newer one of the same path, never another path's.
func TestConcurrent(t *testing.T) {
	c := New(Options{MaxEntries: 64, Window: time.Hour})
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for g := range 8 {
		wg.Go(func() {
			for i := range 2000 {
				p := fmt.Sprintf("/g%d/%d", g, i%100)
				pid := int64(g*100000 + i%100)
				c.Record(p, OpEntry, actor(pid, "/bin/x"), t0)
				if a, ok := c.Actor(p, t0); ok && pidOf(a) != pid {
					select {
					case errs <- fmt.Sprintf("%s: pid %d, want %d", p, pidOf(a), pid):
					default:
					}
					return
				}
				c.Actor(fmt.Sprintf("/g%d/missing", (g+1)%8), t0)
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	if n := c.Len(); n > 64 {
		t.Errorf("Len = %d beyond the bound", n)
	}
}

func BenchmarkRecordActor(b *testing.B) {
	c := New(Options{})
	a := actor(10, "/bin/x")
	paths := make([]string, 1024)
	for i := range paths {
		paths[i] = fmt.Sprintf("/etc/dir%d/file", i)
	}
	b.ReportAllocs()
	for i := range b.N {
		p := paths[i%len(paths)]
		c.Record(p, OpEntry, a, t0)
		c.Actor(p, t0)
	}
}
