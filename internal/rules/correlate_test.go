package rules

import (
	"os"
	"path/filepath"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/authlog"
	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/rules/pack"
)

func packSet(tb testing.TB) *Set {
	tb.Helper()
	var src Source
	if err := src.AddFS(pack.FS, pack.Root); err != nil {
		tb.Fatal(err)
	}
	for _, p := range src.Problems {
		tb.Fatalf("pack: %s", p)
	}
	s := Compile(src.Rules, Options{})
	for _, p := range s.Problems {
		tb.Fatalf("pack: %s", p)
	}
	return s
}

func alertsByRule(alerts []Alert, title string) []Alert {
	var out []Alert
	for _, a := range alerts {
		if a.Rule.Name == title {
			out = append(out, a)
		}
	}
	return out
}

const bruteTitle = "SSH Brute Force From One Source"

func TestSSHBruteForce(t *testing.T) {
	tests := []struct {
		name   string
		events func() []*event.Event
		alerts int
		ids    int
	}{
		{"8 failures in 2 minutes", func() []*event.Event {
			var out []*event.Event
			for i := range 8 {
				out = append(out, sshLogin(t0.Add(time.Duration(i)*10*time.Second), "203.0.113.9", "root", event.OutcomeFailure))
			}
			return out
		}, 1, 8},
		{"7 failures is not enough", func() []*event.Event {
			var out []*event.Event
			for i := range 7 {
				out = append(out, sshLogin(t0.Add(time.Duration(i)*10*time.Second), "203.0.113.9", "root", event.OutcomeFailure))
			}
			return out
		}, 0, 0},
		{"8 failures spread over 4 minutes", func() []*event.Event {
			var out []*event.Event
			for i := range 8 {
				out = append(out, sshLogin(t0.Add(time.Duration(i)*30*time.Second), "203.0.113.9", "root", event.OutcomeFailure))
			}
			return out
		}, 0, 0},
		{"8 failures from 2 sources", func() []*event.Event {
			var out []*event.Event
			for i := range 8 {
				ip := "203.0.113.9"
				if i%2 == 1 {
					ip = "203.0.113.10"
				}
				out = append(out, sshLogin(t0.Add(time.Duration(i)*time.Second), ip, "root", event.OutcomeFailure))
			}
			return out
		}, 0, 0},
		{"successes do not count", func() []*event.Event {
			var out []*event.Event
			for i := range 10 {
				out = append(out, sshLogin(t0.Add(time.Duration(i)*time.Second), "203.0.113.9", "root", event.OutcomeSuccess))
			}
			return out
		}, 0, 0},
		{"16 failures give two alerts", func() []*event.Event {
			var out []*event.Event
			for i := range 16 {
				out = append(out, sshLogin(t0.Add(time.Duration(i)*time.Second), "203.0.113.9", "root", event.OutcomeFailure))
			}
			return out
		}, 2, 8},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := packSet(t).NewEvaluator()
			var alerts []Alert
			evs := tt.events()
			for _, e := range evs {
				alerts = append(alerts, v.Process(e)...)
			}
			got := alertsByRule(alerts, bruteTitle)
			if len(got) != tt.alerts {
				t.Fatalf("got %d brute-force alerts, want %d (all: %v)", len(got), tt.alerts, alerts)
			}
			for _, a := range got {
				if len(a.EventIDs) != tt.ids || a.Rule.Level != "high" || a.Group["source.ip"] == "" {
					t.Errorf("alert %+v: want %d event ids, level high, group source.ip", a, tt.ids)
				}
				if !slices.Contains(a.Tags, "attack.t1110.001") || !slices.Contains(a.Techniques, "T1110.001") {
					t.Errorf("tags %v techniques %v", a.Tags, a.Techniques)
				}
				if !a.LastSeen.After(a.FirstSeen) {
					t.Errorf("first_seen %v last_seen %v", a.FirstSeen, a.LastSeen)
				}
			}
			// the single failures feed the correlation and raise nothing alone
			if n := len(alertsByRule(alerts, "SSH Login Failure")); n != 0 {
				t.Errorf("%d stand-alone failure alerts", n)
			}
		})
	}
}

func TestSprayingAndFollowedBySuccess(t *testing.T) {
	v := packSet(t).NewEvaluator()
	var alerts []Alert
	users := []string{"root", "admin", "oracle", "test", "guest", "ubuntu", "pi", "git"}
	for i, u := range users {
		alerts = append(alerts, v.Process(sshLogin(t0.Add(time.Duration(i)*5*time.Second), "198.51.100.4", u, event.OutcomeFailure))...)
	}
	alerts = append(alerts, v.Process(sshLogin(t0.Add(time.Minute), "198.51.100.4", "git", event.OutcomeSuccess))...)
	if n := len(alertsByRule(alerts, "SSH Password Spraying From One Source")); n != 1 {
		t.Errorf("got %d spraying alerts, want 1", n)
	}
	follow := alertsByRule(alerts, "SSH Brute Force Followed By Success")
	if len(follow) != 1 {
		t.Fatalf("got %d followed-by-success alerts, want 1: %v", len(follow), alerts)
	}
	if len(follow[0].EventIDs) != 9 || follow[0].Rule.Level != "critical" {
		t.Errorf("followed-by-success: %d event ids (want the 8 failures and the success), level %s", len(follow[0].EventIDs), follow[0].Rule.Level)
	}
	// a success before the brute force does not count: the order matters
	v = packSet(t).NewEvaluator()
	alerts = v.Process(sshLogin(t0, "198.51.100.5", "git", event.OutcomeSuccess))
	for i := range 8 {
		alerts = append(alerts, v.Process(sshLogin(t0.Add(time.Duration(i+1)*time.Second), "198.51.100.5", "root", event.OutcomeFailure))...)
	}
	if n := len(alertsByRule(alerts, "SSH Brute Force Followed By Success")); n != 0 {
		t.Errorf("success before the brute force gave %d alerts", n)
	}
}

func TestCorrelationTypes(t *testing.T) {
	base := `title: a
name: rule_a
logsource: {product: linux, category: process_creation}
detection:
  sel:
    Image|endswith: /a
  condition: sel
---
title: b
name: rule_b
logsource: {product: linux, category: process_creation}
detection:
  sel:
    Image|endswith: /b
  condition: sel
---
`
	tests := []struct {
		name  string
		corr  string
		seq   []string // executables, one second apart
		fires int
	}{
		{"temporal any order", "type: temporal\n  rules: [rule_a, rule_b]\n  group-by: [User]\n  timespan: 1m", []string{"/b", "/a"}, 1},
		{"temporal needs both", "type: temporal\n  rules: [rule_a, rule_b]\n  group-by: [User]\n  timespan: 1m", []string{"/a", "/a"}, 0},
		{"temporal_ordered in order", "type: temporal_ordered\n  rules: [rule_a, rule_b]\n  group-by: [User]\n  timespan: 1m", []string{"/a", "/b"}, 1},
		{"temporal_ordered out of order", "type: temporal_ordered\n  rules: [rule_a, rule_b]\n  group-by: [User]\n  timespan: 1m", []string{"/b", "/a"}, 0},
		{"event_count eq", "type: event_count\n  rules: [rule_a]\n  group-by: [User]\n  timespan: 1m\n  condition:\n    eq: 3", []string{"/a", "/a", "/a"}, 1},
		{"event_count range", "type: event_count\n  rules: [rule_a, rule_b]\n  group-by: [User]\n  timespan: 1m\n  condition:\n    gt: 2\n    lte: 4", []string{"/a", "/b", "/a"}, 1},
		{"value_count", "type: value_count\n  rules: [rule_a]\n  group-by: [User]\n  timespan: 1m\n  condition:\n    field: CommandLine\n    gte: 2", []string{"/a", "/a"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := mustCompileText(t, base+"title: c\ncorrelation:\n  "+tt.corr+"\nlevel: high\n")
			v := s.NewEvaluator()
			n := 0
			for i, exe := range tt.seq {
				e := execEvent(exe, exe, "same")
				e.Timestamp = t0.Add(time.Duration(i) * time.Second)
				n += len(alertsByRule(v.Process(e), "c"))
			}
			if n != tt.fires {
				t.Errorf("fired %d times, want %d", n, tt.fires)
			}
		})
	}
}

func TestCorrelationBounds(t *testing.T) {
	s := mustCompileText(t, `title: f
name: f
logsource: {product: linux, service: sshd}
detection:
  sel:
    event.outcome: failure
  condition: sel
---
title: many
correlation:
  type: event_count
  rules: [f]
  group-by: [source.ip]
  timespan: 1h
  condition:
    gte: 3
`)
	s.opts.MaxGroups = 2
	v := s.NewEvaluator()
	// three sources, two failures each: the first source's group is evicted
	// when the third arrives, so its third failure starts again from one
	for i, ip := range []string{"10.0.0.1", "10.0.0.1", "10.0.0.2", "10.0.0.2", "10.0.0.3", "10.0.0.3", "10.0.0.1"} {
		if a := v.Process(sshLogin(t0.Add(time.Duration(i)*time.Second), ip, "root", event.OutcomeFailure)); len(a) != 0 {
			t.Errorf("event %d: unexpected alert %v", i, a)
		}
	}
	if v.corr.Evicted == 0 {
		t.Error("no group was evicted at the bound")
	}
	if got := len(v.corr.groups[0]); got > 2 {
		t.Errorf("%d groups kept, bound is 2", got)
	}
	// a threshold above the events kept per group cannot be evaluated
	var src Source
	src.Add("x.yml", []byte("title: f\nname: f\nlogsource: {product: linux}\ndetection:\n  s:\n    message: x\n  condition: s\n---\ntitle: c\ncorrelation:\n  type: event_count\n  rules: [f]\n  group-by: [host.name]\n  timespan: 1h\n  condition:\n    gte: 5000\n"))
	if p := Compile(src.Rules, Options{}).Problems; len(p) != 1 {
		t.Errorf("threshold over the bound: problems %v", p)
	}
}

// TestOpenSSHReplay replays loghub's OpenSSH_2k.log through the login
// collector's parser and the pack: exactly the six sources with at least 8
// failures within 2 minutes raise the brute-force alert.
func TestOpenSSHReplay(t *testing.T) {
	path := filepath.Join(sharedRules(t), "..", "loghub", "OpenSSH", "OpenSSH_2k.log")
	f, err := os.Open(path)
	if err != nil {
		t.Skip("loghub OpenSSH data not present")
	}
	defer f.Close()
	evs, _, err := authlog.ParseAll(f, authlog.Options{Ref: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), Loc: time.UTC, Source: "OpenSSH_2k.log"})
	if err != nil {
		t.Fatal(err)
	}
	v := packSet(t).NewEvaluator()
	found := map[string]bool{}
	for i := range evs {
		for _, a := range alertsByRule(v.Process(&evs[i]), bruteTitle) {
			found[a.Group["source.ip"]] = true
		}
	}
	var got []string
	for ip := range found {
		got = append(got, ip)
	}
	sort.Strings(got)
	want := []string{"103.99.0.122", "112.95.230.3", "183.62.140.253", "185.190.58.151", "187.141.143.180", "5.188.10.180"}
	if !slices.Equal(got, want) {
		t.Errorf("brute-force sources %v, want %v", got, want)
	}
}
