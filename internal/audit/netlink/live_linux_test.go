//go:build linux

package netlink

import (
	"github.com/vigil-sec/vigil/internal/livetest"

	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// liveConn skips unless the test runs as root with a kernel that answers
// AUDIT_GET, takes the machine-wide audit test lock (tests of several
// packages must not fight over the audit daemon slot) and returns a Conn.
func liveConn(t *testing.T) *Conn {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root (CAP_AUDIT_CONTROL)")
	}
	lockAudit(t)
	c, err := Dial()
	if err != nil {
		t.Skipf("no audit netlink: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	st, err := c.Status(context.Background())
	if err != nil {
		t.Skipf("kernel without audit: %v", err)
	}
	if st.Enabled == 2 {
		t.Skip("audit is locked (enabled=2)")
	}
	return c
}

func lockAudit(t *testing.T) {
	t.Helper()
	livetest.LockAudit(t)
}

// TestLiveRulesMatchAuditctl installs rules through Conn and compares them
// with what auditctl lists: the same text, and auditctl's text parsed back
// encodes to the same bytes.
func TestLiveRulesMatchAuditctl(t *testing.T) {
	c := liveConn(t)
	if _, err := exec.LookPath("auditctl"); err != nil {
		t.Skip("auditctl not installed")
	}
	ctx := context.Background()
	key := fmt.Sprintf("vigiltest-%d", os.Getpid())
	dir := t.TempDir()
	if err := os.WriteFile(dir+"/f", nil, 0o600); err != nil {
		t.Fatal(err)
	}
	specs := []string{
		"-a always,exit -F arch=b64 -S execve,execveat -F pid!=" + fmt.Sprint(os.Getpid()) + " -F auid>=1000 -F auid!=-1 -F key=" + key,
		"-a always,exit -F arch=b32 -S execve,execveat -F exit=-EPERM -F success=0 -F key=" + key,
		"-a always,exit -F arch=b64 -S init_module,delete_module,finit_module -F key=" + key,
		"-a always,exit -F arch=b64 -S connect -F a0&0x10 -F key=" + key,
		"-w " + dir + "/f -p wa -k " + key,
		"-w " + dir + " -p wa -k " + key,
	}
	t.Cleanup(func() { c.RemoveKeyed(context.Background(), key) })
	var added []*Rule
	for _, s := range specs {
		r, err := ParseRule(s)
		if err != nil {
			t.Fatal(err)
		}
		r.WatchDirs(func(p string) bool { fi, err := os.Stat(p); return err == nil && fi.IsDir() })
		if err := c.AddRule(ctx, r); err != nil {
			t.Fatalf("AddRule(%s): %v", s, err)
		}
		added = append(added, r)
	}
	if err := c.AddRule(ctx, added[0]); !errors.Is(err, unix.EEXIST) {
		t.Errorf("adding a rule twice: %v, want EEXIST", err)
	}
	out, err := exec.Command("auditctl", "-l").CombinedOutput()
	if err != nil {
		t.Fatalf("auditctl -l: %v\n%s", err, out)
	}
	var lines []string
	for _, l := range strings.Split(string(out), "\n") {
		if strings.Contains(l, key) {
			lines = append(lines, l)
		}
	}
	if len(lines) != len(specs) {
		t.Fatalf("auditctl lists %d of our rules, want %d:\n%s", len(lines), len(specs), out)
	}
	for i, l := range lines {
		if l != specs[i] {
			t.Errorf("auditctl -l line %d = %q, want %q", i, l, specs[i])
		}
		r, err := ParseRule(l)
		if err != nil {
			t.Fatalf("parse auditctl line: %v", err)
		}
		r.WatchDirs(func(p string) bool { return p == dir })
		if !r.Equal(added[i]) {
			t.Errorf("auditctl line %q encodes differently from the rule we added", l)
		}
	}
	listed, err := c.ListRules(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ours := 0
	for _, r := range listed {
		if r.HasKeyPrefix(key) {
			if !r.Equal(added[ours]) {
				t.Errorf("listed rule %d = %q, added %q", ours, r, added[ours])
			}
			ours++
		}
	}
	if ours != len(specs) {
		t.Errorf("ListRules has %d of our rules, want %d", ours, len(specs))
	}
	n, err := c.RemoveKeyed(ctx, key)
	if err != nil || n != len(specs) {
		t.Errorf("RemoveKeyed = %d, %v; want %d", n, err, len(specs))
	}
	out, _ = exec.Command("auditctl", "-l").CombinedOutput()
	if bytes.Contains(out, []byte(key)) {
		t.Errorf("rules left after RemoveKeyed:\n%s", out)
	}
}

// TestLiveOwnerStream registers as the audit daemon, sees an exec with its
// arguments, and restores the previous settings on Close.
func TestLiveOwnerStream(t *testing.T) {
	c := liveConn(t)
	ctx := context.Background()
	before, err := c.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if before.PID != 0 && processAlive(int(before.PID)) {
		t.Skipf("audit is owned by pid %d", before.PID)
	}
	key := fmt.Sprintf("vigiltest-%d", os.Getpid())
	t.Cleanup(func() { c.RemoveKeyed(context.Background(), key) })
	r, err := ParseRule("-a always,exit -F arch=b64 -S execve -F pid!=" + fmt.Sprint(os.Getpid()) + " -k " + key)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.AddRule(ctx, r); err != nil {
		t.Fatal(err)
	}
	s, err := Listen(ctx, c, StreamOptions{Mode: ModeOwner, BacklogLimit: 8192, BacklogWaitTime: 60000})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	st, err := c.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.PID != uint32(os.Getpid()) || st.Enabled != 1 || st.BacklogLimit != 8192 || st.BacklogWaitTime != 60000 {
		t.Errorf("status while owner = %+v", st)
	}
	marker := fmt.Sprintf("vigilmark%d", time.Now().UnixNano())
	if err := exec.Command("/bin/true", marker).Run(); err != nil {
		t.Fatal(err)
	}
	if !waitFor(s.Messages(), marker, 1309, 5*time.Second) {
		t.Errorf("no EXECVE record with %s; stats %+v", marker, s.Stats())
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	after, err := c.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if after.PID != 0 || after.Enabled != before.Enabled || after.BacklogLimit != before.BacklogLimit ||
		after.BacklogWaitTime != before.BacklogWaitTime || after.RateLimit != before.RateLimit {
		t.Errorf("status after Close = %+v, before %+v", after, before)
	}
}

// waitFor reads messages until one of type typ contains text.
func waitFor(ch <-chan Message, text string, typ uint16, d time.Duration) bool {
	timeout := time.After(d)
	for {
		select {
		case m, ok := <-ch:
			if !ok {
				return false
			}
			if m.Type == typ && bytes.Contains(m.Data, []byte(text)) {
				return true
			}
		case <-timeout:
			return false
		}
	}
}
