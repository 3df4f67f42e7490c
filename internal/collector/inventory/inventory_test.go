package inventory

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/collector"
	"github.com/vigil-sec/vigil/internal/collector/collectortest"
	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/hostfs"
)

// fixtureDir returns the repository's testdata/rootfs/<name>.
func fixtureDir(t *testing.T, name string) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "..", "testdata", "rootfs", name)
}

// build makes the collector through the registry, as the agent does.
func build(t *testing.T, dir string, edit func(*Config)) *Collector {
	t.Helper()
	reg, ok := collector.Lookup("inventory")
	if !ok {
		t.Fatal("inventory not registered")
	}
	cfg := reg.DefaultConfig()
	if edit != nil {
		edit(cfg.(*Config))
	}
	root, err := hostfs.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	c, err := reg.New(cfg, collector.Deps{Root: root, StateDir: t.TempDir(), Now: time.Now})
	if err != nil {
		t.Fatal(err)
	}
	return c.(*Collector)
}

// collect is an Emit that keeps what it is given after filling the fields the
// runner fills, and checks each event against the schema.
type collect struct {
	t  *testing.T
	mu sync.Mutex
	ev []event.Event
}

func (c *collect) emit(ev event.Event) bool {
	c.t.Helper()
	if ev.Event.ID == "" {
		ev.Event.ID = event.NewID(ev.Timestamp)
	}
	if ev.Event.Dataset == "" {
		ev.Event.Dataset = "vigil.inventory"
	}
	if err := ev.Validate(); err != nil {
		c.t.Errorf("invalid %s event: %v\n%+v", ev.Event.Action, err, ev)
	}
	c.mu.Lock()
	c.ev = append(c.ev, ev)
	c.mu.Unlock()
	return true
}

func writeFile(t *testing.T, name, content string) {
	t.Helper()
	if err := os.WriteFile(name, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func readFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// summary renders the events as "action key-field" lines, sorted.
func summary(evs []event.Event) []string {
	var out []string
	for _, ev := range evs {
		s := ev.Event.Action
		switch {
		case ev.Package != nil:
			s += " " + ev.Package.Name + " " + ev.Package.Version
			if ev.Vigil != nil && ev.Vigil.Package != nil {
				s += " from " + ev.Vigil.Package.PreviousVersion
			}
		case ev.Group != nil:
			s += " " + ev.Group.Name + " " + ev.Group.ID
		case ev.Event.Action == event.ActionSSHKeyAdded || ev.Event.Action == event.ActionSSHKeyRemoved:
			s += " " + ev.User.Name + " " + ev.Related.Hash[0]
		case ev.User != nil && ev.Event.Category[0] == event.CategoryIAM:
			s += " " + ev.User.Name + " " + ev.User.ID
		case ev.Vigil != nil && ev.Vigil.Module != nil:
			s += " " + ev.Vigil.Module.Name
		case ev.File != nil:
			s += " " + ev.File.Path + " " + ev.File.Name
		}
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

func TestSnapshotDiffFixture(t *testing.T) {
	dir := collectortest.CopyTree(t, fixtureDir(t, "debian12"))
	c := build(t, dir, nil)
	ctx := context.Background()
	items, err := c.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	keys := map[string]bool{}
	for _, it := range items {
		counts[it.Kind]++
		if keys[it.Key] {
			t.Errorf("duplicate key %q", it.Key)
		}
		keys[it.Key] = true
	}
	// The fixture as `vigil inventory` lists it: 34 installed packages (of 35
	// dpkg stanzas, one is deinstalled), 27 users, 5 enabled services, 16 cron
	// jobs, 8 distinct user+fingerprint pairs.
	want := map[string]int{KindPackage: 34, KindUser: 27, KindService: 5, KindCron: 16, KindSSHKey: 8}
	for k, n := range want {
		if counts[k] != n {
			t.Errorf("%d %s items, want %d", counts[k], k, n)
		}
	}
	if counts[KindGroup] == 0 || counts[KindModule] == 0 {
		t.Errorf("no groups or modules: %v", counts)
	}

	state := &collect{t: t}
	now := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	collector.EmitState(items, now, state.emit)
	if len(state.ev) != len(items) {
		t.Fatalf("%d state events for %d items", len(state.ev), len(items))
	}
	prev := collector.Diff(nil, items, now, state.emit)

	// Upgrade apt, remove adduser, install netcat-openbsd.
	status := filepath.Join(dir, "var/lib/dpkg/status")
	s := readFile(t, status)
	s = strings.Replace(s, "Package: apt\nStatus: install ok installed\nPriority: required\nSection: admin\nInstalled-Size: 4232\nMaintainer: APT Development Team <deity@lists.debian.org>\nArchitecture: amd64\nVersion: 2.6.1\n",
		"Package: apt\nStatus: install ok installed\nPriority: required\nSection: admin\nInstalled-Size: 4232\nMaintainer: APT Development Team <deity@lists.debian.org>\nArchitecture: amd64\nVersion: 2.6.1+deb12u1\n", 1)
	start := strings.Index(s, "Package: adduser\n")
	end := strings.Index(s, "Package: apt\n")
	if start < 0 || end < start || !strings.Contains(s, "Version: 2.6.1+deb12u1\n") {
		t.Fatal("fixture dpkg status is not as this test expects")
	}
	s = s[:start] + s[end:]
	s += "\nPackage: netcat-openbsd\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1.219-1\nDescription: TCP/IP swiss army knife\n"
	writeFile(t, status, s)
	// A new user, and a service enabled by its symbolic link.
	passwd := filepath.Join(dir, "etc/passwd")
	writeFile(t, passwd, readFile(t, passwd)+"mallory:x:1003:1003::/home/mallory:/bin/bash\n")
	if err := os.Symlink("/usr/lib/systemd/system/auditd.service", filepath.Join(dir, "etc/systemd/system/multi-user.target.wants/auditd.service")); err != nil {
		t.Fatal(err)
	}

	items2, err := c.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	diff := &collect{t: t}
	collector.Diff(prev, items2, now.Add(10*time.Minute), diff.emit)
	got := summary(diff.ev)
	wantEvents := []string{
		"package_installed netcat-openbsd 1.219-1",
		"package_removed adduser 3.134",
		"package_updated apt 2.6.1+deb12u1 from 2.6.1",
		"service_enabled /usr/lib/systemd/system/auditd.service auditd.service",
		"user_added mallory 1003",
	}
	if !slices.Equal(got, wantEvents) {
		t.Errorf("diff events:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(wantEvents, "\n"))
	}
	for _, ev := range diff.ev {
		if ev.Event.Kind != event.KindEvent {
			t.Errorf("%s: kind %q", ev.Event.Action, ev.Event.Kind)
		}
		if ev.Event.Action == event.ActionPackageInstalled && (ev.Package.Architecture != "amd64" || ev.Package.Type != "deb") {
			t.Errorf("installed package fields: %+v", ev.Package)
		}
	}
}

func TestSnapshotOtherChanges(t *testing.T) {
	dir := collectortest.CopyTree(t, fixtureDir(t, "debian12"))
	c := build(t, dir, nil)
	ctx := context.Background()
	items, err := c.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	prev := collector.Diff(nil, items, time.Now(), func(event.Event) bool { return true })

	// Bob joins adm: group adm changes, and bob (his group list) changes.
	group := filepath.Join(dir, "etc/group")
	g := readFile(t, group)
	i := strings.Index(g, "\nadm:")
	j := strings.Index(g[i+1:], "\n") + i + 1
	writeFile(t, group, g[:j]+",bob"+g[j:])
	// A cron line inserted at the top of alice's crontab: one cron_changed,
	// not one per job below it.
	tab := filepath.Join(dir, "var/spool/cron/crontabs/alice")
	writeFile(t, tab, "* * * * * /tmp/x\n"+readFile(t, tab))
	// A key removed from bob.
	keys := filepath.Join(dir, "home/bob/.ssh/authorized_keys")
	writeFile(t, keys, "")
	// A module unloaded: drop the first line of /proc/modules.
	mods := filepath.Join(dir, "proc/modules")
	m := readFile(t, mods)
	first := strings.Fields(m)[0]
	writeFile(t, mods, m[strings.Index(m, "\n")+1:])

	items2, err := c.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	diff := &collect{t: t}
	collector.Diff(prev, items2, time.Now(), diff.emit)
	got := summary(diff.ev)
	want := []string{
		"cron_changed /var/spool/cron/crontabs/alice alice",
		"group_changed adm 4",
		"module_unloaded " + first,
		"ssh_key_removed bob SHA256:sH0N4Lmjo87yaSh4fL5qRerWHopk4PrR7pdW8H1UC5s",
		"user_changed bob 1001",
	}
	if !slices.Equal(got, want) {
		t.Errorf("diff events:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestPartFailureKeepsLastItems(t *testing.T) {
	dir := collectortest.CopyTree(t, fixtureDir(t, "debian12"))
	c := build(t, dir, nil)
	ctx := context.Background()
	items, err := c.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// /etc/passwd unreadable (a directory): users keep their last items.
	passwd := filepath.Join(dir, "etc/passwd")
	if err := os.Remove(passwd); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(passwd, 0o755); err != nil {
		t.Fatal(err)
	}
	items2, err := c.Snapshot(ctx)
	if err != nil {
		t.Fatalf("snapshot with a failed part: %v", err)
	}
	if len(items2) != len(items) {
		t.Errorf("%d items after a failed part, want the %d of before", len(items2), len(items))
	}
	// A new collector that never read passwd fails the whole snapshot.
	if _, err := build(t, dir, nil).Snapshot(ctx); err == nil {
		t.Error("first snapshot with an unreadable passwd succeeded")
	}
}

func TestConfig(t *testing.T) {
	if _, err := New(Config{Interval: time.Minute, Parts: []string{"packages", "bogus"}}, collector.Deps{}); err == nil {
		t.Error("unknown part accepted")
	}
	if _, err := New(Config{Interval: 0}, collector.Deps{}); err == nil {
		t.Error("zero interval accepted")
	}
	dir := fixtureDir(t, "debian12")
	c := build(t, dir, func(c *Config) { c.Parts = []string{PartSockets} })
	items, err := c.Snapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	st := &collect{t: t}
	collector.EmitState(items, time.Now(), st.emit)
	var ssh bool
	for _, ev := range st.ev {
		if ev.Event.Action != event.ActionExistingSocket {
			t.Errorf("action %s", ev.Event.Action)
		}
		if ev.Source != nil && *ev.Source.Port == 22 && ev.Network.Transport == "tcp" && ev.Process != nil && ev.Process.Executable == "/usr/sbin/sshd" {
			ssh = true
		}
	}
	if !ssh {
		t.Error("no existing_socket for sshd on tcp/22")
	}
}

// TestRunner runs the collector in the agent's runner: the first snapshot is
// reported as existing_* state events.
func TestRunner(t *testing.T) {
	dir := fixtureDir(t, "debian12")
	c := build(t, dir, nil)
	out := &output{}
	r := collector.NewRunner(collector.RunnerOptions{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- r.Run(ctx, []collector.Instance{{Name: "inventory", Collector: c, Deps: collector.Deps{StateDir: t.TempDir()}}}, out)
	}()
	deadline := time.Now().Add(20 * time.Second)
	for out.count(event.ActionExistingPackage) < 34 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if n := out.count(event.ActionExistingPackage); n != 34 {
		t.Errorf("%d existing_package events, want 34", n)
	}
	for _, ev := range out.Events() {
		if err := ev.Validate(); err != nil {
			t.Errorf("%s: %v", ev.Event.Action, err)
		}
		if ev.Event.Dataset != "vigil.inventory" {
			t.Errorf("dataset %q", ev.Event.Dataset)
		}
	}
}

// output collects the runner's events.
type output struct{ collectortest.MemOutput }

func (o *output) count(action string) int {
	n := 0
	for _, ev := range o.Events() {
		if ev.Event.Action == action {
			n++
		}
	}
	return n
}
