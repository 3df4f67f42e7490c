package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
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
// USER_AUTH records, 10 wrong passwords against a real sshd on loopback
// raise one open brute-force alert within 10 s, whose events all come from
// 127.0.0.1 and are found by vigil search.
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

	const attempts = 10
	start := time.Now()
	failWrongPasswords(t, askpass, user, port, attempts)
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
	perDataset := waitFailures(t, data, attempts, withAudit)
	t.Logf("failed ssh_login events per dataset: %v", perDataset)
	brute, n := bruteAlert(t, data)
	if n != 1 {
		t.Fatalf("%d open brute-force alerts, want one (repeats fold into its count): %+v", n, readAlerts(t, "--data", data))
	}
	if brute.Count < 1 || len(brute.EventIDs) < 8 {
		t.Errorf("alert count %d with %d event ids, want ≥ 1 and ≥ 8", brute.Count, len(brute.EventIDs))
	}
	if brute.Rule.Level != "high" || !hasAttack(brute.Tags) || brute.Host.Name == "" {
		t.Errorf("alert level %q, tags %v, host %q", brute.Rule.Level, brute.Tags, brute.Host.Name)
	}
	t.Logf("alert count %d, %d event ids", brute.Count, len(brute.EventIDs))
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
