package network

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/collector"
	"github.com/vigil-sec/vigil/internal/collector/collectortest"
	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/hostfs"
)

func liveRoot(t *testing.T) hostfs.Root {
	t.Helper()
	if _, err := os.Stat("/proc/net/tcp"); err != nil {
		t.Skipf("no /proc/net/tcp: %v", err)
	}
	return hostfs.Live()
}

func port(a net.Addr) int64 { return int64(a.(*net.TCPAddr).Port) }

// find returns the events with action whose source or destination port is p.
func find(evs []event.Event, action string, p int64) []event.Event {
	var out []event.Event
	for _, ev := range evs {
		if ev.Event.Action != action {
			continue
		}
		if (ev.Source != nil && ev.Source.Port != nil && *ev.Source.Port == p) ||
			(ev.Destination != nil && ev.Destination.Port != nil && *ev.Destination.Port == p) {
			out = append(out, ev)
		}
	}
	return out
}

// TestLiveLoopback polls the live host around a listener and a connection
// this test opens on loopback. Reading its own descriptors needs no root.
func TestLiveLoopback(t *testing.T) {
	root := liveRoot(t)
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	exe, _ = filepath.EvalSymlinks(exe)
	c := build(t, root, t.TempDir(), &clock{time.Now()}, nil)
	ctx := context.Background()
	h := collector.NewHealth()
	out := &sink{t: t}
	c.pollSockets(ctx, out.emit, h)
	out.take()

	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	lport := port(ln.Addr())
	c.pollSockets(ctx, out.emit, h)
	opened := find(out.take(), event.ActionListenOpened, lport)
	if len(opened) != 1 {
		t.Fatalf("%d listen_opened for port %d, want 1", len(opened), lport)
	}
	if p := opened[0].Process; p == nil || *p.PID != int64(os.Getpid()) || p.Executable != exe {
		t.Errorf("listen_opened process %+v, want pid %d exe %s", p, os.Getpid(), exe)
	}
	if opened[0].Source.IP != "127.0.0.1" || opened[0].Network.Transport != "tcp" || opened[0].User.ID != strconv.Itoa(os.Getuid()) {
		t.Errorf("listen_opened fields: %s", line(opened[0]))
	}

	var wg sync.WaitGroup
	wg.Add(1)
	var server net.Conn
	go func() {
		defer wg.Done()
		server, _ = ln.Accept()
	}()
	client, err := net.Dial("tcp4", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	wg.Wait()
	if server == nil {
		t.Fatal("accept failed")
	}
	t.Cleanup(func() { server.Close() })
	c.pollSockets(ctx, out.emit, h)
	conns := find(out.take(), event.ActionConnectionOpened, lport)
	var dirs []string
	for _, ev := range conns {
		dirs = append(dirs, ev.Network.Direction)
		if !slices.Contains(ev.Tags, event.TagFirstSeen) {
			t.Errorf("no first_seen: %s", line(ev))
		}
		if ev.Process == nil || ev.Process.Executable != exe {
			t.Errorf("connection process: %s", line(ev))
		}
		if ev.Network.Direction == event.DirectionOutbound && (*ev.Destination.Port != lport || *ev.Source.Port != port(client.LocalAddr())) {
			t.Errorf("outbound ends: %s", line(ev))
		}
		if ev.Network.Direction == event.DirectionInbound && (*ev.Destination.Port != lport || *ev.Source.Port != port(client.LocalAddr())) {
			t.Errorf("inbound ends: %s", line(ev))
		}
	}
	slices.Sort(dirs)
	if !slices.Equal(dirs, []string{event.DirectionInbound, event.DirectionOutbound}) {
		t.Errorf("connection directions %v, want both ends (inbound, outbound)", dirs)
	}

	client.Close()
	server.Close()
	ln.Close()
	c.pollSockets(ctx, out.emit, h)
	if closed := find(out.take(), event.ActionListenClosed, lport); len(closed) != 1 || closed[0].Process == nil || *closed[0].Process.PID != int64(os.Getpid()) {
		t.Errorf("listen_closed for port %d: %v", lport, lines(closed))
	}
}

// TestLiveRunner runs the collector in the agent's runner on the live host:
// a saved empty listener set makes the first poll report the test's
// listener, and closing it is reported by a later poll.
func TestLiveRunner(t *testing.T) {
	root := liveRoot(t)
	state := t.TempDir()
	if err := os.WriteFile(filepath.Join(state, listenersFile), []byte("{}"), 0o600); err != nil {
		t.Fatal(err)
	}
	c := build(t, root, state, &clock{}, func(cfg *Config) {
		cfg.PollInterval = 50 * time.Millisecond
		cfg.TrafficInterval = 50 * time.Millisecond
	})
	c.now = time.Now
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	lport := port(ln.Addr())

	out := &collectortest.MemOutput{}
	r := collector.NewRunner(collector.RunnerOptions{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- r.Run(ctx, []collector.Instance{{Name: "network", Collector: c, Deps: collector.Deps{StateDir: state}}}, out)
	}()
	t.Cleanup(func() { cancel(); <-done })
	wait := func(what string, ok func([]event.Event) bool) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for !ok(out.Events()) {
			if time.Now().After(deadline) {
				t.Fatalf("no %s after 10 s: %v", what, lines(out.Events()))
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	wait("listen_opened", func(evs []event.Event) bool { return len(find(evs, event.ActionListenOpened, lport)) == 1 })
	ln.Close()
	wait("listen_closed", func(evs []event.Event) bool { return len(find(evs, event.ActionListenClosed, lport)) == 1 })
	wait("traffic on lo", func(evs []event.Event) bool {
		for _, ev := range evs {
			if ev.Event.Action == event.ActionTraffic && ev.Observer.Ingress.Interface.Name == "lo" {
				return true
			}
		}
		return false
	})
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	done <- nil
	for _, ev := range out.Events() {
		if err := ev.Validate(); err != nil {
			t.Errorf("%s: %v", ev.Event.Action, err)
		}
	}
}
