package pack_test

import (
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/rules"
	"github.com/vigil-sec/vigil/internal/rules/eventmix"
	"github.com/vigil-sec/vigil/internal/rules/pack"
)

// testEvent is the compact form of the test events in testdata/cases.json:
// an exec (cmd, optional exe), a file event (file, action), an outgoing
// connection (conn, ip, port, tags), a listening socket (listen, port, tags)
// or a log line (log program, action, msg, and optionally outcome, user,
// target user, attempts and the command sudo logged).
type testEvent struct {
	Cmd    string   `json:"cmd"`
	Exe    string   `json:"exe"`
	File   string   `json:"file"`
	Action string   `json:"action"`
	Conn   string   `json:"conn"`
	Listen string   `json:"listen"`
	IP     string   `json:"ip"`
	Port   int64    `json:"port"`
	Tags   []string `json:"tags"`
	Log    string   `json:"log"`
	Msg    string   `json:"msg"`
	// Outcome, User, Target, Attempts and Command set event.outcome,
	// user.name, user.effective.name, auth.attempts and
	// process.command_line of a log line.
	Outcome  string `json:"outcome"`
	Command  string `json:"command"`
	User     string `json:"user"`
	Target   string `json:"target"`
	Attempts int64  `json:"attempts"`
}

type ruleCase struct {
	ID      string      `json:"id"`
	Title   string      `json:"title"`
	Match   []testEvent `json:"match"`
	NoMatch []testEvent `json:"nomatch"`
}

var at = time.Date(2025, 3, 14, 9, 0, 0, 0, time.UTC)

// splitArgs splits a command line as a shell would for simple quoting.
func splitArgs(s string) []string {
	var out []string
	var cur strings.Builder
	in, quote := false, byte(0)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0 && c == quote:
			quote = 0
		case quote != 0:
			cur.WriteByte(c)
		case c == '\'' || c == '"':
			quote, in = c, true
		case c == ' ':
			if in {
				out = append(out, cur.String())
				cur.Reset()
				in = false
			}
		default:
			cur.WriteByte(c)
			in = true
		}
	}
	if in {
		out = append(out, cur.String())
	}
	return out
}

func (te testEvent) build() *event.Event {
	base := func(action, category, typ string) *event.Event {
		e := &event.Event{Timestamp: at, Host: &event.Host{Name: "web1"}}
		e.Event.ID = event.NewID(at)
		e.Event.Kind, e.Event.Action = event.KindEvent, action
		e.Event.Category, e.Event.Type = []string{category}, []string{typ}
		e.Tags = te.Tags
		return e
	}
	switch {
	case te.Cmd != "":
		args := splitArgs(te.Cmd)
		exe := te.Exe
		if exe == "" {
			exe = args[0]
			if !strings.HasPrefix(exe, "/") {
				exe = "/usr/bin/" + strings.TrimPrefix(exe, "./")
			}
		}
		return eventmix.Exec(at, exe, args...)
	case te.File != "":
		action := te.Action
		if action == "" {
			action = event.ActionUpdated
		}
		e := base(action, event.CategoryFile, event.TypeChange)
		e.File = &event.File{Path: te.File}
		return e
	case te.Conn != "":
		e := base(event.ActionConnectionOpened, event.CategoryNetwork, event.TypeConnection)
		e.Process = &event.Process{Executable: te.Conn}
		e.Destination = &event.Endpoint{IP: te.IP, Port: new(te.Port)}
		e.Network = &event.Network{Direction: event.DirectionEgress, Transport: "tcp"}
		return e
	case te.Listen != "":
		e := base(event.ActionListenOpened, event.CategoryNetwork, event.TypeStart)
		e.Process = &event.Process{Executable: te.Listen}
		e.Source = &event.Endpoint{IP: "0.0.0.0", Port: new(te.Port)}
		return e
	case te.Log != "":
		e := base(te.Action, event.CategoryAuthentication, event.TypeStart)
		e.Event.Dataset = "vigil.login"
		e.Process = &event.Process{Name: te.Log, CommandLine: te.Command}
		e.Message = te.Msg
		e.Event.Outcome = te.Outcome
		if te.User != "" || te.Target != "" {
			e.User = &event.User{Name: te.User}
			if te.Target != "" {
				e.User.Effective = &event.UserRef{Name: te.Target}
			}
		}
		if te.Attempts > 0 {
			e.Auth = &event.Auth{Attempts: te.Attempts}
		}
		return e
	}
	return nil
}

func loadPack(t *testing.T) *rules.Set {
	t.Helper()
	var src rules.Source
	if err := src.AddFS(pack.FS, pack.Root); err != nil {
		t.Fatal(err)
	}
	for _, p := range src.Problems {
		t.Errorf("%s", p)
	}
	s := rules.Compile(src.Rules, rules.Options{})
	for _, p := range s.Problems {
		t.Errorf("%s", p)
	}
	return s
}

func TestPackRulesAreComplete(t *testing.T) {
	s := loadPack(t)
	if n := s.Len(); n < 60 {
		t.Errorf("pack has %d rules, want at least 60", n)
	}
	ids := map[string]bool{}
	for _, r := range s.Rules() {
		if ids[r.ID] {
			t.Errorf("%s: duplicate id %s", r.Title, r.ID)
		}
		ids[r.ID] = true
		if len(r.Techniques) == 0 || r.Level == "" || len(r.FalsePositives) == 0 || r.Description == "" {
			t.Errorf("%s: needs ATT&CK technique tags, level, falsepositives and description", r.Title)
		}
		tactic := false
		for _, tag := range r.Tags {
			if strings.HasPrefix(tag, "attack.") && !strings.HasPrefix(tag, "attack.t") {
				tactic = true
			}
		}
		if !tactic {
			t.Errorf("%s: no ATT&CK tactic tag", r.Title)
		}
	}
}

func TestPackCases(t *testing.T) {
	data, err := os.ReadFile("testdata/cases.json")
	if err != nil {
		t.Fatal(err)
	}
	var cases []ruleCase
	if err := json.Unmarshal(data, &cases); err != nil {
		t.Fatal(err)
	}
	s := loadPack(t)
	v := s.NewEvaluator()
	covered := map[string]bool{}
	for _, c := range cases {
		covered[c.ID] = true
		t.Run(c.Title, func(t *testing.T) {
			if len(c.Match) == 0 || len(c.NoMatch) == 0 {
				t.Fatal("a rule needs positive and negative events")
			}
			for i, te := range c.Match {
				if !hasRule(v.Match(te.build()), c.ID) {
					t.Errorf("positive %d %+v did not match", i, te)
				}
			}
			for i, te := range c.NoMatch {
				if hasRule(v.Match(te.build()), c.ID) {
					t.Errorf("negative %d %+v matched", i, te)
				}
			}
		})
	}
	for _, r := range s.Rules() {
		if !covered[r.ID] && !strings.HasPrefix(r.Name, "vigil_ssh_") && !r.Correlation {
			t.Errorf("%s has no test events", r.Title)
		}
	}
}

func hasRule(rs []rules.RuleInfo, id string) bool {
	return slices.ContainsFunc(rs, func(r rules.RuleInfo) bool { return r.ID == id })
}
