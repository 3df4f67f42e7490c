package wazuhcompat

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/authlog"
	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/rules"
	"github.com/vigil-sec/vigil/internal/rules/pack"
	"github.com/vigil-sec/vigil/internal/shareddata"
)

var update = flag.Bool("update", false, "rewrite the table in docs/wazuh-comparison.md")

const docPath = "../../../docs/wazuh-comparison.md"

// testFiles are the Wazuh test files of sshd, PAM, sudo and su.
var testFiles = []string{"sshd.ini", "pam.ini", "sudo.ini", "su.ini"}

// ref is the reference time for lines without a year: the date of the
// Wazuh snapshot.
var ref = time.Date(2025, 7, 8, 0, 0, 0, 0, time.UTC)

var levelRank = map[string]int{
	event.LevelInformational: 0, event.LevelLow: 1, event.LevelMedium: 2, event.LevelHigh: 3, event.LevelCritical: 4,
}

// wazuhRule is a rule of Wazuh's XML files.
type wazuhRule struct {
	Level       int
	Description string
}

var reWazuhRule = regexp.MustCompile(`(?s)<rule id="(\d+)" level="(\d+)"[^>]*>(.*?)</rule>`)
var reDescription = regexp.MustCompile(`(?s)<description>(.*?)</description>`)

func loadWazuhRules(t *testing.T, dir string) map[string]wazuhRule {
	t.Helper()
	out := map[string]wazuhRule{}
	files, err := filepath.Glob(filepath.Join(dir, "rules", "*.xml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no Wazuh rule files under %s: %v", dir, err)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range reWazuhRule.FindAllStringSubmatch(string(data), -1) {
			lvl, _ := strconv.Atoi(m[2])
			d := reDescription.FindStringSubmatch(m[3])
			if d == nil {
				continue
			}
			out[m[1]] = wazuhRule{Level: lvl, Description: strings.Join(strings.Fields(d[1]), " ")}
		}
	}
	return out
}

// loadRules compiles vigil's pack and SigmaHQ's Linux rules into one set.
func loadRules(t *testing.T) *rules.Set {
	t.Helper()
	var src rules.Source
	if err := src.AddFS(pack.FS, pack.Root); err != nil {
		t.Fatal(err)
	}
	sigmaHQ := filepath.Join(shareddata.Dir(t, "sigma_linux_rules"), "rules", "linux")
	if err := src.AddPaths(sigmaHQ); err != nil {
		t.Fatal(err)
	}
	for _, p := range src.Problems {
		t.Errorf("rule source: %s", p)
	}
	s := rules.Compile(src.Rules, rules.Options{})
	for _, p := range s.Problems {
		t.Errorf("compile: %s", p)
	}
	return s
}

// hit is a rule that fired on a case: matched, and whether it alerted.
type hit struct {
	info    rules.RuleInfo
	alerted bool
}

// outcome is what vigil did with one case.
type outcome struct {
	c        Case
	key      string
	m        meaning
	hits     []hit
	problems []string
	matched  bool
}

func (o *outcome) add(info rules.RuleInfo, alerted bool) {
	for i := range o.hits {
		if o.hits[i].info.ID == info.ID {
			o.hits[i].alerted = o.hits[i].alerted || alerted
			return
		}
	}
	o.hits = append(o.hits, hit{info, alerted})
}

// lineEvents parses one test line with the login collector's parser.
func lineEvents(t *testing.T, c Case, i int) []event.Event {
	t.Helper()
	evs, err := authlog.ParseLine([]byte(c.Lines[i].Text), int64(i), authlog.Options{Ref: ref, Loc: time.UTC, Source: c.File})
	if err != nil {
		t.Errorf("%s line %d: %v", c.Name, i+1, err)
	}
	return evs
}

// fired reports the keys (ids and Sigma names) of the rules that matched
// or alerted. An alert's rule name is the rule's title, so names are looked
// up by id.
func fired(infos []rules.RuleInfo, alerts []rules.Alert, byID map[string]rules.RuleInfo) map[string]bool {
	out := map[string]bool{}
	for _, r := range infos {
		out[r.ID], out[r.Name] = true, true
	}
	for _, a := range alerts {
		out[a.Rule.ID], out[byID[a.Rule.ID].Name] = true, true
	}
	delete(out, "")
	return out
}

func anyOf(keys map[string]bool, want []string) bool {
	return slices.ContainsFunc(want, func(k string) bool { return keys[k] })
}

func evaluate(t *testing.T, set *rules.Set, c Case, m meaning, override bool, wazuhLevel int) outcome {
	t.Helper()
	byID := map[string]rules.RuleInfo{}
	for _, r := range set.Rules() {
		byID[r.ID] = r
	}
	o := outcome{c: c, key: c.File + "/" + c.Name, m: m}
	var multi *rules.Evaluator
	var multiAlerts []rules.Alert
	if m.multi {
		multi = set.NewEvaluator()
	}
	for i, l := range c.Lines {
		v := multi
		if v == nil {
			v = set.NewEvaluator()
		}
		var infos []rules.RuleInfo
		var alerts []rules.Alert
		for _, ev := range lineEvents(t, c, i) {
			infos = append(infos, v.Match(&ev)...)
			alerts = append(alerts, v.Process(&ev)...)
		}
		for _, r := range infos {
			o.add(r, slices.ContainsFunc(alerts, func(a rules.Alert) bool { return a.Rule.ID == r.ID }))
		}
		for _, a := range alerts {
			if a.Group != nil || !slices.ContainsFunc(infos, func(r rules.RuleInfo) bool { return r.ID == a.Rule.ID }) {
				o.add(byID[a.Rule.ID], true)
			}
		}
		multiAlerts = append(multiAlerts, alerts...)
		keys := fired(infos, alerts, byID)
		switch {
		case m.multi || len(m.vigil) == 0:
		case l.Pass || override:
			if !anyOf(keys, m.vigil) {
				o.problems = append(o.problems, fmt.Sprintf("line %d: none of %v fired", i+1, m.vigil))
			}
		default:
			if anyOf(keys, m.vigil) {
				o.problems = append(o.problems, fmt.Sprintf("line %d (a fail line): %v fired", i+1, m.vigil))
			}
		}
		if wazuhLevel < 3 && !m.differs {
			for _, a := range alerts {
				if levelRank[a.Rule.Level] > 0 {
					o.problems = append(o.problems, fmt.Sprintf("line %d: %s alert %q where Wazuh has level %d", i+1, a.Rule.Level, a.Rule.Name, wazuhLevel))
				}
			}
		}
	}
	if m.multi && !anyOf(fired(nil, multiAlerts, byID), m.vigil) {
		o.problems = append(o.problems, fmt.Sprintf("no %v alert after %d lines", m.vigil, len(c.Lines)))
	}
	o.matched = !m.differs && len(o.problems) == 0
	return o
}

func TestWazuhAuthCases(t *testing.T) {
	dir := shareddata.Dir(t, "wazuh_ruleset_tests")
	wazuh := loadWazuhRules(t, dir)
	set := loadRules(t)
	var all []outcome
	for _, fn := range testFiles {
		f, err := os.Open(filepath.Join(dir, "tests", fn))
		if err != nil {
			t.Fatal(err)
		}
		cases, skip := Parse(f, fn)
		f.Close()
		if len(skip) > 0 {
			t.Errorf("%s: skipped %v", fn, skip)
		}
		for _, c := range cases {
			key := c.File + "/" + c.Name
			m, ok := meanings[c.Rule]
			override := false
			if cm, ok2 := caseMeanings[key]; ok2 {
				m, ok, override = cm, true, true
			}
			t.Run(key, func(t *testing.T) {
				if !ok {
					t.Fatalf("Wazuh rule %s has no entry in meanings", c.Rule)
				}
				if _, known := wazuh[c.Rule]; !known {
					t.Errorf("Wazuh rule %s not in the rule files", c.Rule)
				}
				o := evaluate(t, set, c, m, override, c.Level)
				all = append(all, o)
				miss, expectMiss := expectedMisses[key]
				switch {
				case m.differs:
				case expectMiss && o.matched:
					t.Errorf("now matches; remove it from expectedMisses (%s)", miss)
				case !expectMiss && !o.matched:
					t.Errorf("%s", strings.Join(o.problems, "; "))
				}
			})
		}
	}
	if len(all) != 47 {
		t.Errorf("%d cases, want the 47 sshd, PAM, sudo and su cases", len(all))
	}
	checkDoc(t, renderTable(all, wazuh))
}

// TestDeniedUserRepeat shows the denied-user correlation firing on what its
// Wazuh case means: 8 refusals from one source within 2 minutes (and not 7).
func TestDeniedUserRepeat(t *testing.T) {
	set := loadRules(t)
	for _, n := range []int{7, 8} {
		v := set.NewEvaluator()
		var got int
		for i := range n {
			line := fmt.Sprintf("Mar 14 09:00:%02d web1 sshd[%d]: User root from 203.0.113.9 not allowed because listed in DenyUsers", i*5, 100+i)
			evs, err := authlog.ParseLine([]byte(line), int64(i), authlog.Options{Ref: ref, Loc: time.UTC, Source: "t"})
			if err != nil {
				t.Fatal(err)
			}
			for _, ev := range evs {
				for _, a := range v.Process(&ev) {
					if a.Rule.ID == sshNotAllowedRepeat {
						got++
					}
				}
			}
		}
		if want := n / 8; got != want {
			t.Errorf("%d refusals: %d alerts, want %d", n, got, want)
		}
	}
}
