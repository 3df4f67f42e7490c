//go:build linux

package audit

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/collector"
	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/hostfs"
)

// procRun is the collector run in mode proc (the proc connector fallback)
// with its own Health, and what it emitted.
type procRun struct {
	mu     sync.Mutex
	evs    []event.Event
	health *collector.Health
}

func (p *procRun) events() []event.Event {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]event.Event(nil), p.evs...)
}

// argvOf returns the events whose last arg is marker.
func argvOf(evs []event.Event, marker string) []event.Event {
	var out []event.Event
	for _, ev := range evs {
		if ev.Event.Action == event.ActionExec && ev.Process != nil && len(ev.Process.Args) > 0 &&
			ev.Process.Args[len(ev.Process.Args)-1] == marker {
			out = append(out, ev)
		}
	}
	return out
}

// startProc starts the collector in mode proc and returns once it reports
// execs; stop may be called more than once.
func startProc(t *testing.T) (*procRun, func()) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root (proc connector)")
	}
	cfg := DefaultConfig()
	cfg.Mode = "proc"
	deps := collector.Deps{Root: hostfs.Live(), StateDir: t.TempDir(), Now: time.Now}
	c, err := New(*cfg, deps)
	if err != nil {
		t.Fatal(err)
	}
	run := &procRun{health: collector.NewHealth()}
	emit := func(ev event.Event) bool {
		run.mu.Lock()
		run.evs = append(run.evs, ev)
		run.mu.Unlock()
		return true
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx, emit, run.health) }()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("collector: %v", err)
				}
			case <-time.After(10 * time.Second):
				t.Error("collector did not stop within 10 s")
			}
		})
	}
	// Listening once an exec shows up: a process that lives long enough for
	// /proc to be read.
	ready := fmt.Sprintf("vigilproc%d-ready", time.Now().UnixNano())
	deadline := time.Now().Add(10 * time.Second)
	for len(argvOf(run.events(), ready)) == 0 {
		if time.Now().After(deadline) {
			stop()
			t.Fatalf("no exec event from the proc connector; health %v", run.health.Counters())
		}
		exec.Command("/bin/sh", "-c", "sleep 0.2; :", ready).Run()
	}
	return run, stop
}

// TestLiveProcConnector: with mode proc, audit is left alone and execs come
// from the proc connector. Processes that live a while are reported with
// their exact argv, cwd and user; a loop of short-lived /bin/true execs
// races with the /proc reads, and every exec is either reported with its
// argv or counted in exec_proc_raced.
func TestLiveProcConnector(t *testing.T) {
	run, stop := startProc(t)
	defer stop()
	if state, reason := run.health.State(); state != event.CollectorStateRunning {
		t.Errorf("health %s (%s), want running", state, reason)
	}
	prefix := fmt.Sprintf("vigilproc%d", time.Now().UnixNano())

	// Long-lived: 20 shells that sleep 2 s each, in parallel.
	var cmds []*exec.Cmd
	for i := range 20 {
		c := exec.Command("/bin/sh", "-c", "sleep 2; :", fmt.Sprintf("%s-long-%d", prefix, i))
		c.Dir = "/tmp"
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		cmds = append(cmds, c)
	}
	for _, c := range cmds {
		c.Wait()
	}
	// Short-lived: a loop of /bin/true.
	const n = 1000
	raced0 := run.health.Counter("exec_proc_raced").Load()
	loop := fmt.Sprintf("i=0; while [ $i -lt %d ]; do i=$((i+1)); /bin/true %s-short-$i; done", n, prefix)
	if b, err := exec.Command("/bin/sh", "-c", loop).CombinedOutput(); err != nil {
		t.Fatalf("loop: %v %s", err, b)
	}
	settle := time.Now().Add(3 * time.Second)
	for time.Now().Before(settle) && len(argvOf(run.events(), fmt.Sprintf("%s-short-%d", prefix, n))) == 0 {
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(500 * time.Millisecond)
	stop()
	evs := run.events()

	for i := range 20 {
		marker := fmt.Sprintf("%s-long-%d", prefix, i)
		got := argvOf(evs, marker)
		if len(got) != 1 {
			t.Errorf("%s: %d events, want 1", marker, len(got))
			continue
		}
		p, u := got[0].Process, got[0].User
		if want := []string{"/bin/sh", "-c", "sleep 2; :", marker}; fmt.Sprint(p.Args) != fmt.Sprint(want) {
			t.Errorf("%s: args %q, want %q", marker, p.Args, want)
		}
		if p.WorkingDirectory != "/tmp" || p.Executable == "" || p.PPID == nil || u == nil || u.ID != "0" {
			t.Errorf("%s: process %+v user %+v", marker, p, u)
		}
		if got[0].Event.Module != "proc_connector" {
			t.Errorf("%s: module %q", marker, got[0].Event.Module)
		}
		if err := got[0].Validate(); err != nil {
			t.Errorf("%s: %v", marker, err)
		}
	}

	withArgv, badArgv := 0, 0
	for i := 1; i <= n; i++ {
		marker := fmt.Sprintf("%s-short-%d", prefix, i)
		for _, ev := range argvOf(evs, marker) {
			if len(ev.Process.Args) == 2 && ev.Process.Args[0] == "/bin/true" {
				withArgv++
			} else {
				badArgv++
			}
		}
	}
	raced := run.health.Counter("exec_proc_raced").Load() - raced0
	var lost int64
	for _, ev := range evs {
		if ev.Event.Action == event.ActionAuditEventsLost && ev.Vigil != nil && ev.Vigil.Loss != nil {
			lost += ev.Vigil.Loss.Count
		}
	}
	t.Logf("short-lived loop of %d execs: %d with argv, %d raced (exec_proc_raced, any process on the host), %d lost",
		n, withArgv, raced, lost)
	if badArgv > 0 {
		t.Errorf("%d short execs with a wrong argv", badArgv)
	}
	if int64(withArgv)+raced+lost < n {
		t.Errorf("%d with argv + %d raced + %d lost < %d execs: execs vanished without a count", withArgv, raced, lost, n)
	}
}
