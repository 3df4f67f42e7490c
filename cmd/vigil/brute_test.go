package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/livetest"
	"github.com/vigil-sec/vigil/internal/rules/pack"
)

// bruteRuleID is the pack's SSH brute-force correlation (≥ 8 failed
// ssh_login from one source.ip within 2 minutes).
const (
	bruteRuleFile = "auth_ssh_bruteforce.yml"
	bruteRuleID   = "0c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e01"
)

// TestUpBruteForceEndToEnd is the acceptance test for brute force:
// with vigil up running as root, its login collector following the auth log
// of an rsyslogd started here and its audit collector receiving sshd's
// USER_AUTH records, 5 wrong passwords against a real sshd on loopback
// raise no brute-force alert (each attempt is reported by both collectors
// and must count once: the rule wants 8), then 5 more raise one open
// brute-force alert within 10 s, whose events all come from 127.0.0.1 and
// are found by vigil search.
func TestUpBruteForceEndToEnd(t *testing.T) {
	livetest.NeedRoot(t, "runs vigil up with the audit collector, starts sshd and rsyslogd, creates a user",
		"/usr/sbin/sshd", "/usr/sbin/rsyslogd", "ssh", "ssh-keygen", "useradd", "usermod", "userdel", "chpasswd")
	if data, err := pack.FS.ReadFile(pack.Root + "/" + bruteRuleFile); err != nil || !strings.Contains(string(data), "id: "+bruteRuleID) {
		t.Fatalf("the pack's brute-force rule %s is no longer in %s (%v)", bruteRuleID, bruteRuleFile, err)
	}
	livetest.LockAudit(t)
	dir := livetest.Dir(t)
	authLog := livetest.StartRsyslog(t, dir)

	data := filepath.Join(t.TempDir(), "data")
	stdout, _ := startCommand(t, data, "up", "--data", data, "--listen", "127.0.0.1:0",
		"--set", "collectors.login.auth_logs="+yamlList([]string{authLog}),
		"--set", "collectors.login.from_start=true")
	withAudit := waitAgentCollectors(t, data, stdout)

	user := livetest.UserName("vigilbrute")
	livetest.AddUser(t, user, dir, fmt.Sprintf("right-%d", time.Now().UnixNano()))
	port := livetest.StartSSHD(t, dir, "UsePAM yes", "PasswordAuthentication yes",
		"KbdInteractiveAuthentication no", "PubkeyAuthentication no", "MaxStartups 50")
	askpass := filepath.Join(dir, "askpass")
	livetest.WriteFile(t, askpass, "#!/bin/sh\necho wrong-password\n", 0o755)

	// Below the rule's 8: once both collectors reported the 5 attempts
	// (10 events with the audit collector), there must be no alert.
	const first, attempts = 5, 10
	start := time.Now()
	failWrongPasswords(t, askpass, user, port, first)
	perDataset := waitFailures(t, data, first, withAudit)
	// Detection runs after the store: give the queue 2 s to raise what it
	// would (a failure here is a real double count, never a slow machine).
	for settle := time.Now(); time.Since(settle) < 2*time.Second; time.Sleep(200 * time.Millisecond) {
		if _, n := bruteAlert(t, data); n != 0 {
			t.Fatalf("%d brute-force alerts after %d wrong passwords (events per dataset %v): each attempt counted more than once",
				n, first, perDataset)
		}
	}
	t.Logf("no alert after %d wrong passwords; failed ssh_login events per dataset: %v", first, perDataset)
	logPairGaps(t, data)

	failWrongPasswords(t, askpass, user, port, attempts-first)
	last := time.Now()

	var brute alertLine
	for {
		var n int
		brute, n = bruteAlert(t, data)
		if n > 0 {
			break
		}
		if time.Since(last) > 10*time.Second { // the bound
			auth, _ := os.ReadFile(authLog)
			t.Fatalf("no open brute-force alert within 10 s of the last attempt; alerts %+v\nauth log:\n%s", readAlerts(t, "--data", data), auth)
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Logf("brute-force alert %s open %.1f s after the last of %d wrong passwords was refused (%.1f s after they started)",
		brute.ID, time.Since(last).Seconds(), attempts, time.Since(start).Seconds())

	// Both paths report each attempt: wait until they have (the auth log
	// has one "Failed password" line per attempt, the audit stream one
	// USER_AUTH), then the alert must still be one, its count grown.
	perDataset = waitFailures(t, data, attempts, withAudit)
	t.Logf("failed ssh_login events per dataset: %v", perDataset)
	brute, n := bruteAlert(t, data)
	if n != 1 {
		t.Fatalf("%d open brute-force alerts, want one (repeats fold into its count): %+v", n, readAlerts(t, "--data", data))
	}
	if brute.Count < 1 || len(brute.EventIDs) < 8 {
		t.Errorf("alert count %d with %d event ids, want ≥ 1 and ≥ 8", brute.Count, len(brute.EventIDs))
	}
	// Only the first observation of each attempt is evaluated: at most one
	// event ID per attempt.
	if len(brute.EventIDs) > attempts {
		t.Errorf("alert has %d event ids for %d attempts: an attempt counted twice", len(brute.EventIDs), attempts)
	}
	if brute.Rule.Level != "high" || !hasAttack(brute.Tags) || brute.Host.Name == "" {
		t.Errorf("alert level %q, tags %v, host %q", brute.Rule.Level, brute.Tags, brute.Host.Name)
	}
	t.Logf("alert count %d, %d event ids", brute.Count, len(brute.EventIDs))
	pids := map[int64]string{} // each connection makes one attempt
	for _, id := range brute.EventIDs {
		out, errs, code := runT(t, "search", "--data", data, "event.id:"+id, "--format", "json")
		if code != 0 || strings.Count(out, "\n") != 1 {
			t.Fatalf("search event.id:%s: exit %d, %q %s", id, code, out, errs)
		}
		e, err := event.Decode([]byte(strings.TrimSpace(out)))
		if err != nil {
			t.Fatal(err)
		}
		if e.Event.Action != event.ActionSSHLogin || e.Event.Outcome != "failure" || e.Source == nil || e.Source.IP != "127.0.0.1" {
			t.Errorf("alert event %s is not a failed ssh_login from 127.0.0.1: %s", id, out)
		}
		if e.Process != nil && e.Process.PID != nil {
			if other, ok := pids[*e.Process.PID]; ok {
				t.Errorf("alert events %s and %s are the same attempt (sshd pid %d): counted twice", other, id, *e.Process.PID)
			}
			pids[*e.Process.PID] = id
		}
	}
}

// waitAgentCollectors waits until the local agent of vigil up runs, with the
// login collector, and its host is online; it reports whether the audit
// collector runs too, and if so waits until it ships exec events.
func waitAgentCollectors(t *testing.T, data string, stdout *upBuffer) (withAudit bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !strings.Contains(stdout.String(), "local agent collectors:") {
		if time.Now().After(deadline) {
			t.Fatalf("agent did not start: %s", stdout.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	var running string
	for _, l := range strings.Split(stdout.String(), "\n") {
		if s, ok := strings.CutPrefix(strings.TrimSpace(l), "local agent collectors:"); ok {
			running = s
		}
	}
	names := strings.Split(strings.ReplaceAll(running, " ", ""), ",")
	has := func(n string) bool { return strings.Contains(","+strings.Join(names, ",")+",", ","+n+",") }
	if !has("login") {
		t.Fatalf("the login collector does not run:\n%s", stdout.String())
	}
	if !has("audit") {
		t.Logf("the audit collector cannot run here, only the auth log reports logins:\n%s", stdout.String())
		return false
	}
	for {
		marker := "vigil-brute-ready-" + strconv.FormatInt(time.Now().UnixNano(), 10)
		_ = exec.Command("/bin/echo", marker).Run()
		time.Sleep(300 * time.Millisecond)
		if out, _, _ := runT(t, "search", "--data", data, "process.args:"+marker, "--format", "json"); out != "" {
			return true
		}
		if time.Now().After(deadline) {
			t.Fatal("agent ships no exec events")
		}
	}
}

// failWrongPasswords makes n password logins at once, each offering the
// wrong password askpass prints, and checks each was refused.
func failWrongPasswords(t *testing.T, askpass, user string, port, n int) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			cmd := exec.Command("ssh", "-F", "/dev/null", "-o", "PreferredAuthentications=password",
				"-o", "NumberOfPasswordPrompts=1", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
				"-o", "LogLevel=ERROR", "-p", strconv.Itoa(port), user+"@127.0.0.1", "true")
			cmd.Env = append(os.Environ(), "SSH_ASKPASS="+askpass, "SSH_ASKPASS_REQUIRE=force", "DISPLAY=:0")
			out, err := cmd.CombinedOutput()
			switch {
			case err == nil:
				errs[i] = fmt.Errorf("login %d with a wrong password succeeded", i)
			case !strings.Contains(string(out), "Permission denied"):
				errs[i] = fmt.Errorf("login %d: %v: %s", i, err, strings.TrimSpace(string(out)))
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if t.Failed() {
		t.FailNow()
	}
}

// bruteAlert returns the open brute-force alert and how many there are.
func bruteAlert(t *testing.T, data string) (alertLine, int) {
	t.Helper()
	var found alertLine
	n := 0
	for _, a := range readAlerts(t, "--data", data, "--status", "open") {
		if a.Rule.ID == bruteRuleID {
			found = a
			n++
		}
	}
	return found, n
}

// waitFailures waits (up to 20 s) until the store holds n failed ssh_login
// events from the auth log and, withAudit, n from the audit stream, and
// returns the counts per event.dataset.
func waitFailures(t *testing.T, data string, n int, withAudit bool) map[string]int {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		out, errs, code := runT(t, "search", "--data", data, "event.action:ssh_login and event.outcome:failure", "--format", "json", "--limit", "1000")
		if code != 0 {
			t.Fatalf("search: exit %d %s", code, errs)
		}
		per := map[string]int{}
		for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
			var e struct {
				Event struct{ Dataset string } `json:"event"`
			}
			if l != "" && json.Unmarshal([]byte(l), &e) == nil {
				per[e.Event.Dataset]++
			}
		}
		if per["vigil.login"] >= n && (!withAudit || per["vigil.audit"] >= n) {
			return per
		}
		if time.Now().After(deadline) {
			t.Fatalf("want %d failed ssh_login events from each path, have %v", n, per)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// logPairGaps logs, for each sshd process, the time between the audit and
// the auth-log observation of its failed attempt (the gap detect's pairing
// window must cover).
func logPairGaps(t *testing.T, data string) {
	t.Helper()
	out, _, _ := runT(t, "search", "--data", data, "event.action:ssh_login and event.outcome:failure", "--format", "json", "--limit", "1000")
	seen := map[int64]map[string]time.Time{}
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		e, err := event.Decode([]byte(l))
		if err != nil || e.Process == nil || e.Process.PID == nil {
			continue
		}
		if seen[*e.Process.PID] == nil {
			seen[*e.Process.PID] = map[string]time.Time{}
		}
		seen[*e.Process.PID][e.Event.Dataset] = e.Timestamp
	}
	var gaps []string
	for pid, ts := range seen {
		a, okA := ts["vigil.audit"]
		l, okL := ts["vigil.login"]
		if okA && okL {
			gaps = append(gaps, fmt.Sprintf("pid %d: %+.3fs", pid, l.Sub(a).Seconds()))
		}
	}
	t.Logf("auth-log minus audit @timestamp per attempt: %v", gaps)
}

// TestRulesTestPairsObservations: vigil rules test leaves out the second
// observation of an attempt as the server does: 4 SSH attempts reported by
// both collectors give no brute-force alert, 8 give one whose event IDs are
// the first observation of each attempt.
func TestRulesTestPairsObservations(t *testing.T) {
	at := time.Date(2025, 3, 14, 9, 0, 0, 0, time.UTC)
	attempt := func(ds string, i int, off time.Duration) *event.Event {
		ts := at.Add(time.Duration(i)*3*time.Second + off)
		e := &event.Event{
			Timestamp: ts,
			Event: event.Meta{ID: event.DeterministicID(ts, ds, strconv.Itoa(i)), Kind: event.KindEvent,
				Category: []string{event.CategoryAuthentication}, Type: []string{event.TypeStart},
				Action: event.ActionSSHLogin, Outcome: event.OutcomeFailure, Dataset: ds},
			Host:    &event.Host{Name: "web1"},
			Process: &event.Process{PID: new(int64(4000 + i)), Name: "sshd"},
			User:    &event.User{Name: "root"},
			Source:  &event.Endpoint{IP: "203.0.113.5"},
		}
		if ds == "vigil.login" {
			e.Source.Port = new(int64(50000 + i))
		}
		return e
	}
	for _, c := range []struct {
		attempts, alerts int
	}{{4, 0}, {8, 1}} {
		t.Run(strconv.Itoa(c.attempts), func(t *testing.T) {
			var b strings.Builder
			var want []string
			for i := range c.attempts {
				a := attempt("vigil.audit", i, 0)
				want = append(want, a.Event.ID)
				for _, e := range []*event.Event{a, attempt("vigil.login", i, 700*time.Millisecond)} {
					j, _ := json.Marshal(e)
					b.Write(j)
					b.WriteByte('\n')
				}
			}
			path := filepath.Join(t.TempDir(), "events.ndjson")
			livetest.WriteFile(t, path, b.String(), 0o644)
			out, errOut, code := runT(t, "rules", "test", "--pack", "--events", path, "--format", "json")
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			var brute []alertLine
			for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
				var a alertLine
				if l != "" && json.Unmarshal([]byte(l), &a) == nil && a.Rule.ID == bruteRuleID {
					brute = append(brute, a)
				}
			}
			if len(brute) != c.alerts {
				t.Fatalf("%d attempts seen twice: %d brute-force alerts, want %d: %s", c.attempts, len(brute), c.alerts, out)
			}
			if c.alerts == 1 && (brute[0].Count != 1 || !slices.Equal(brute[0].EventIDs, want)) {
				t.Errorf("alert count %d, event ids %v; want 1 and the audit observations %v", brute[0].Count, brute[0].EventIDs, want)
			}
		})
	}
}
