package network

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/collector"
	"github.com/vigil-sec/vigil/internal/collector/collectortest"
	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/hostfs"
)

func fixtureDir(t *testing.T, name string) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "..", "testdata", "rootfs", name)
}

// clock is a settable clock for the collector.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

// build makes the collector through the registry, as the agent does.
func build(t *testing.T, root hostfs.Root, stateDir string, clk *clock, edit func(*Config)) *Collector {
	t.Helper()
	reg, ok := collector.Lookup("network")
	if !ok {
		t.Fatal("network not registered")
	}
	cfg := reg.DefaultConfig()
	if edit != nil {
		edit(cfg.(*Config))
	}
	c, err := reg.New(cfg, collector.Deps{Root: root, StateDir: stateDir, Now: clk.now})
	if err != nil {
		t.Fatal(err)
	}
	return c.(*Collector)
}

// sink collects emitted events, filling what the runner fills and checking
// each against the schema.
type sink struct {
	t  *testing.T
	ev []event.Event
}

func (s *sink) emit(ev event.Event) bool {
	s.t.Helper()
	if ev.Event.ID == "" {
		ev.Event.ID = event.NewID(ev.Timestamp)
	}
	if ev.Event.Kind == "" {
		ev.Event.Kind = event.KindEvent
	}
	ev.Event.Dataset = "vigil.network"
	if err := ev.Validate(); err != nil {
		s.t.Errorf("invalid %s event: %v\n%+v", ev.Event.Action, err, ev)
	}
	s.ev = append(s.ev, ev)
	return true
}

func (s *sink) take() []event.Event {
	ev := s.ev
	s.ev = nil
	return ev
}

func ep(e *event.Endpoint) string {
	if e == nil {
		return "-"
	}
	if e.Bytes != nil {
		return fmt.Sprintf("%dB/%dp", *e.Bytes, *e.Packets)
	}
	return fmt.Sprintf("%s:%d", e.IP, *e.Port)
}

// line renders the fields the tests check.
func line(ev event.Event) string {
	s := ev.Event.Action
	if ev.Network != nil {
		s += " " + ev.Network.Transport + "/" + ev.Network.Direction
	}
	s += " " + ep(ev.Source) + " " + ep(ev.Destination)
	if ev.Process != nil {
		s += fmt.Sprintf(" pid=%d exe=%s name=%s", *ev.Process.PID, ev.Process.Executable, ev.Process.Name)
	}
	if ev.User != nil {
		s += " uid=" + ev.User.ID + " user=" + ev.User.Name
	}
	if ev.Observer != nil {
		s += fmt.Sprintf(" if=%s bytes=%d packets=%d", ev.Observer.Ingress.Interface.Name, *ev.Network.Bytes, *ev.Network.Packets)
	}
	if len(ev.Tags) > 0 {
		s += " tags=" + strings.Join(ev.Tags, ",")
	}
	return s
}

func lines(evs []event.Event) []string {
	out := make([]string, 0, len(evs))
	for _, ev := range evs {
		out = append(out, line(ev))
	}
	return out
}

func expect(t *testing.T, what string, got []event.Event, want []string) {
	t.Helper()
	g := lines(got)
	if !slices.Equal(g, want) {
		t.Errorf("%s:\n%s\nwant:\n%s", what, strings.Join(g, "\n"), strings.Join(want, "\n"))
	}
}

func appendFile(t *testing.T, name, s string) {
	t.Helper()
	f, err := os.OpenFile(name, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(s); err != nil {
		t.Fatal(err)
	}
}

func replaceIn(t *testing.T, name, old, new string) {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), old) {
		t.Fatalf("%s has no %q", name, old)
	}
	if err := os.WriteFile(name, []byte(strings.Replace(string(b), old, new, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
}

func link(t *testing.T, target, name string) {
	t.Helper()
	if err := os.Symlink(target, name); err != nil {
		t.Fatal(err)
	}
}

// tcpRow is a /proc/net/tcp row (addresses in the kernel's hex form).
func tcpRow(sl int, local, remote, state string, uid, inode int) string {
	return fmt.Sprintf("%4d: %s %s %s 00000000:00000000 00:00000000 00000000 %5d        0 %d 1 0000000000000000 20 4 30 10 -1\n",
		sl, local, remote, state, uid, inode)
}

func TestFixturePolls(t *testing.T) {
	dir := collectortest.CopyTree(t, fixtureDir(t, "debian12"))
	root, err := hostfs.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	state := t.TempDir()
	clk := &clock{time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)}
	c := build(t, root, state, clk, nil)
	ctx := context.Background()
	h := collector.NewHealth()
	out := &sink{t: t}

	c.pollSockets(ctx, out.emit, h)
	c.sampleTraffic(out.emit, h)
	expect(t, "baseline", out.take(), nil)

	// Between the polls: the 127.0.0.1:5432 listener goes away; kworkerd
	// (pid 2231, uid 33) listens on 8080 and connects out again to
	// 203.0.113.7:4444; sshd (612) accepts a connection from 198.51.100.9;
	// chronyd (655) connects a UDP socket to 192.0.2.1:123.
	tcp := filepath.Join(dir, "proc/net/tcp")
	replaceIn(t, tcp, "   2: 0100007F:1538 00000000:0000 0A", "   2: 0100007F:1538 0100007F:A000 06")
	appendFile(t, tcp, tcpRow(5, "00000000:1F90", "00000000:0000", "0A", 33, 30001)+
		tcpRow(6, "0F02000A:A8C0", "077100CB:115C", "01", 33, 30002)+
		tcpRow(7, "0F02000A:0016", "096433C6:9C40", "01", 0, 30003))
	appendFile(t, filepath.Join(dir, "proc/net/udp"),
		"    2: 0F02000A:007B 010200C0:007B 01 00000000:00000000 00:00000000 00000000   102        0 30004 2 0000000000000000 0\n")
	link(t, "socket:[30001]", filepath.Join(dir, "proc/2231/fd/4"))
	link(t, "socket:[30002]", filepath.Join(dir, "proc/2231/fd/5"))
	link(t, "socket:[30003]", filepath.Join(dir, "proc/612/fd/5"))
	link(t, "socket:[30004]", filepath.Join(dir, "proc/655/fd/7"))
	// Traffic: eth0 grows, lo was reset, wg0 appeared.
	dev := filepath.Join(dir, "proc/net/dev")
	replaceIn(t, dev, "  eth0: 91233411   80213    0    0    0     0          0         0 12034471   40122",
		"  eth0: 91243411   80233    0    0    0     0          0         0 12039471   40132")
	replaceIn(t, dev, "    lo:   48213     612    0    0    0     0          0         0    48213     612",
		"    lo:    1000      10    0    0    0     0          0         0     1000      10")
	appendFile(t, dev, "   wg0:     300       3    0    0    0     0          0         0      200       2    0    0    0     0       0          0\n")

	clk.t = clk.t.Add(time.Minute)
	c.pollSockets(ctx, out.emit, h)
	const kw = "pid=2231 exe=/tmp/.cache/kworkerd (deleted) name=kworkerd uid=33 user=www-data"
	expect(t, "second poll", out.take(), []string{
		"listen_opened tcp/ 0.0.0.0:8080 - " + kw + " tags=first_seen",
		"listen_closed tcp/ 127.0.0.1:5432 - uid=0 user=root",
		"connection_opened tcp/inbound 198.51.100.9:40000 10.0.2.15:22 pid=612 exe=/usr/sbin/sshd name=sshd uid=0 user=root tags=first_seen",
		"connection_opened tcp/outbound 10.0.2.15:43200 203.0.113.7:4444 " + kw + " tags=first_seen",
		"connection_opened udp/outbound 10.0.2.15:123 192.0.2.1:123 pid=655 exe=/usr/sbin/chronyd name=chronyd uid=102 user=_chrony tags=first_seen",
	})
	c.sampleTraffic(out.emit, h)
	expect(t, "traffic", out.take(), []string{
		"traffic / 5000B/10p 10000B/20p if=eth0 bytes=15000 packets=30",
		"traffic / 1000B/10p 1000B/10p if=lo bytes=2000 packets=20",
		"traffic / 200B/2p 300B/3p if=wg0 bytes=500 packets=5",
	})

	// Third poll: kworkerd opens a second connection to the same peer (not
	// first_seen any more) and listens on a second port, 9090 (it listened
	// before: not first_seen); nginx, a listener of the baseline, listens on
	// 8443 (not first_seen either). The earlier ones stay (no new event).
	appendFile(t, tcp, tcpRow(8, "0F02000A:A8C2", "077100CB:115C", "02", 33, 30005)+
		tcpRow(11, "00000000:2382", "00000000:0000", "0A", 33, 30008)+
		tcpRow(12, "00000000:20FB", "00000000:0000", "0A", 0, 30009))
	link(t, "socket:[30005]", filepath.Join(dir, "proc/2231/fd/6"))
	link(t, "socket:[30008]", filepath.Join(dir, "proc/2231/fd/9"))
	link(t, "socket:[30009]", filepath.Join(dir, "proc/803/fd/8"))
	clk.t = clk.t.Add(time.Minute)
	c.pollSockets(ctx, out.emit, h)
	expect(t, "third poll", out.take(), []string{
		"listen_opened tcp/ 0.0.0.0:8443 - pid=803 exe=/usr/sbin/nginx name=nginx uid=0 user=root",
		"listen_opened tcp/ 0.0.0.0:9090 - " + kw,
		"connection_opened tcp/outbound 10.0.2.15:43202 203.0.113.7:4444 " + kw,
	})
	if err := c.seen.save(state); err != nil {
		t.Fatal(err)
	}

	// A restart with the same state: the 8080 and 9090 listeners closed
	// while the agent was stopped are reported at the first poll; the
	// first-seen store remembers kworkerd's peer and that it listened.
	replaceIn(t, tcp, "00000000:1F90 00000000:0000 0A", "00000000:1F90 00000000:0000 07")
	replaceIn(t, tcp, "00000000:2382 00000000:0000 0A", "00000000:2382 00000000:0000 07")
	c2 := build(t, root, state, clk, nil)
	c2.pollSockets(ctx, out.emit, h)
	expect(t, "restart", out.take(), []string{
		"listen_closed tcp/ 0.0.0.0:8080 - " + kw,
		"listen_closed tcp/ 0.0.0.0:9090 - " + kw,
	})
	// After it, kworkerd listens on 8080 again (known: no tag) and cron
	// (pid 540), which never listened, on 2323 (first_seen).
	appendFile(t, tcp, tcpRow(9, "0F02000A:A8C4", "077100CB:115C", "01", 33, 30006)+
		tcpRow(10, "0F02000A:A8C6", "087100CB:115C", "01", 33, 30007)+
		tcpRow(13, "00000000:1F90", "00000000:0000", "0A", 33, 30010)+
		tcpRow(14, "00000000:0913", "00000000:0000", "0A", 0, 30011))
	link(t, "socket:[30006]", filepath.Join(dir, "proc/2231/fd/7"))
	link(t, "socket:[30007]", filepath.Join(dir, "proc/2231/fd/8"))
	link(t, "socket:[30010]", filepath.Join(dir, "proc/2231/fd/10"))
	link(t, "socket:[30011]", filepath.Join(dir, "proc/540/fd/4"))
	c2.pollSockets(ctx, out.emit, h)
	expect(t, "after restart", out.take(), []string{
		"listen_opened tcp/ 0.0.0.0:2323 - pid=540 exe=/usr/sbin/cron name=cron uid=0 user=root tags=first_seen",
		"listen_opened tcp/ 0.0.0.0:8080 - " + kw,
		"connection_opened tcp/outbound 10.0.2.15:43204 203.0.113.7:4444 " + kw,
		"connection_opened tcp/outbound 10.0.2.15:43206 203.0.113.8:4444 " + kw + " tags=first_seen",
	})
	if got := h.Counters()["first_seen"]; got != 6 {
		t.Errorf("first_seen counter %d, want 6", got)
	}
}

func TestFailedTableKeepsState(t *testing.T) {
	dir := collectortest.CopyTree(t, fixtureDir(t, "debian12"))
	root, _ := hostfs.New(dir)
	clk := &clock{time.Now()}
	c := build(t, root, t.TempDir(), clk, nil)
	h := collector.NewHealth()
	out := &sink{t: t}
	c.pollSockets(context.Background(), out.emit, h)
	// /proc/net/tcp unreadable: no listener is reported closed.
	tcp := filepath.Join(dir, "proc/net/tcp")
	if err := os.Remove(tcp); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(tcp, 0o755); err != nil {
		t.Fatal(err)
	}
	c.pollSockets(context.Background(), out.emit, h)
	expect(t, "unreadable table", out.take(), nil)
	if st, _ := h.State(); st != event.CollectorStateDegraded {
		t.Errorf("state %q, want degraded", st)
	}
	if h.Counters()["poll_errors"] != 1 {
		t.Errorf("poll_errors %d", h.Counters()["poll_errors"])
	}
}

func TestFirstSeenCap(t *testing.T) {
	s := newFirstSeen(3)
	t0 := time.Unix(0, 0)
	for i, k := range []string{"a", "b", "c"} {
		if !s.Seen(k, t0.Add(time.Duration(i)*time.Second)) {
			t.Errorf("%s not new", k)
		}
	}
	if s.Seen("a", t0) { // a is now the most recent
		t.Error("a new twice")
	}
	if !s.Seen("d", t0) { // evicts b, the least recently seen
		t.Error("d not new")
	}
	if s.Evicted != 1 || s.Len() != 3 {
		t.Errorf("evicted %d, len %d", s.Evicted, s.Len())
	}
	dir := t.TempDir()
	if err := s.save(dir); err != nil {
		t.Fatal(err)
	}
	r := newFirstSeen(3)
	if err := r.load(dir); err != nil {
		t.Fatal(err)
	}
	// The saved order is kept: c is the least recently seen, so a new pair
	// evicts it, and a and d are still known.
	if !r.Seen("b", t0) {
		t.Error("evicted b remembered")
	}
	if r.Seen("a", t0) || r.Seen("d", t0) {
		t.Error("recent entries lost after reload")
	}
	if !r.Seen("c", t0) {
		t.Error("c, the least recently seen, was not evicted")
	}
}

func TestConfigErrors(t *testing.T) {
	bad := []Config{
		{PollInterval: 0, Listeners: true, FirstSeenMax: 1},
		{PollInterval: time.Second, TrafficInterval: -1, FirstSeenMax: 1},
		{PollInterval: time.Second, FirstSeenMax: 0},
	}
	for i, cfg := range bad {
		if _, err := New(cfg, collector.Deps{}); err == nil {
			t.Errorf("config %d accepted: %+v", i, cfg)
		}
	}
}

// With connections off, the listening executables are still saved while
// polling (not only at stop), so a crash does not lose them.
func TestListenersOnlySavesFirstSeen(t *testing.T) {
	dir := collectortest.CopyTree(t, fixtureDir(t, "debian12"))
	root, err := hostfs.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	state := t.TempDir()
	clk := &clock{time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)}
	noConns := func(cfg *Config) { cfg.Connections = false }
	c := build(t, root, state, clk, noConns)
	h := collector.NewHealth()
	out := &sink{t: t}
	c.pollSockets(context.Background(), out.emit, h)
	tcp := filepath.Join(dir, "proc/net/tcp")
	appendFile(t, tcp, tcpRow(5, "00000000:1F90", "00000000:0000", "0A", 33, 30001))
	link(t, "socket:[30001]", filepath.Join(dir, "proc/2231/fd/4"))
	clk.t = clk.t.Add(2 * time.Minute)
	c.pollSockets(context.Background(), out.emit, h)
	const kw = "pid=2231 exe=/tmp/.cache/kworkerd (deleted) name=kworkerd uid=33 user=www-data"
	expect(t, "listeners only", out.take(), []string{"listen_opened tcp/ 0.0.0.0:8080 - " + kw + " tags=first_seen"})

	// No Run, so no save at stop: what the next collector knows was saved
	// by the polls. kworkerd's next listener is not first_seen.
	replaceIn(t, tcp, "00000000:1F90 00000000:0000 0A", "00000000:1F90 00000000:0000 07")
	c2 := build(t, root, state, clk, noConns)
	c2.pollSockets(context.Background(), out.emit, h)
	appendFile(t, tcp, tcpRow(6, "00000000:2382", "00000000:0000", "0A", 33, 30002))
	link(t, "socket:[30002]", filepath.Join(dir, "proc/2231/fd/5"))
	c2.pollSockets(context.Background(), out.emit, h)
	expect(t, "after restart", out.take(), []string{
		"listen_closed tcp/ 0.0.0.0:8080 - " + kw,
		"listen_opened tcp/ 0.0.0.0:9090 - " + kw,
	})
}
