package sca

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestParseRule(t *testing.T) {
	tests := []struct {
		in      string
		typ     RuleType
		negated bool
		targets []string
		name    string // Name.Raw
		content string // Content.Raw
		terms   int
		err     string
	}{
		{in: "f:/etc/passwd", typ: RuleFile, targets: []string{"/etc/passwd"}},
		{in: "not f:/etc/passwd", typ: RuleFile, negated: true, targets: []string{"/etc/passwd"}},
		{in: "NOT f:/a,/b , /c -> r:x", typ: RuleFile, negated: true, targets: []string{"/a", "/b", "/c"}, content: "r:x", terms: 1},
		{in: `f:/etc/ssh/sshd_config -> !r:^# && r:Port && !r:\s22$`, typ: RuleFile, targets: []string{"/etc/ssh/sshd_config"}, content: `!r:^# && r:Port && !r:\s22$`, terms: 3},
		{in: `f:/etc/login.defs -> n:^PASS_MAX_DAYS\s+(\d+) compare <= 365`, typ: RuleFile, targets: []string{"/etc/login.defs"}, terms: 1, content: `n:^PASS_MAX_DAYS\s+(\d+) compare <= 365`},
		{in: `d:/etc/audit/rules.d -> r:\.rules$ -> r:-k scope`, typ: RuleDirectory, targets: []string{"/etc/audit/rules.d"}, name: `r:\.rules$`, content: "r:-k scope", terms: 1},
		{in: `d:/etc/audit/rules.d -> r:\.rules$`, typ: RuleDirectory, targets: []string{"/etc/audit/rules.d"}, name: `r:\.rules$`},
		{in: "d:/etc/audit", typ: RuleDirectory, targets: []string{"/etc/audit"}},
		{in: `c:sshd -T -> r:^permitrootlogin\s+no`, typ: RuleCommand, targets: []string{"sshd -T"}, content: `r:^permitrootlogin\s+no`, terms: 1},
		{in: `c:stat -Lc "%n %a" /etc/motd -> r:644`, typ: RuleCommand, targets: []string{`stat -Lc "%n %a" /etc/motd`}, content: "r:644", terms: 1},
		{in: "p:auditd", typ: RuleProcess, targets: []string{"auditd"}},
		{in: `r:HKLM\Software -> Value -> 1`, typ: RuleRegistry, targets: []string{`HKLM\Software`}, name: "Value", content: "1", terms: 1},
		{in: `v:file.perms /etc/shadow 0640 -> r:.`, typ: RuleProbe, targets: []string{"file.perms /etc/shadow 0640"}, content: "r:.", terms: 1},
		{in: `f:/proc/sys/kernel/ostype -> Linux`, typ: RuleFile, targets: []string{"/proc/sys/kernel/ostype"}, content: "Linux", terms: 1},
		{in: `f:/x -> r:(?<=a)b`, typ: RuleFile, targets: []string{"/x"}, content: "r:(?<=a)b", terms: 1},

		{in: "", err: "expected TYPE:target"},
		{in: "x:/etc/passwd", err: "unknown rule type"},
		{in: "ff:/etc/passwd", err: "expected TYPE:target"},
		{in: "f: -> r:x", err: "empty target"},
		{in: "f:/x -> r:(", err: "bad regex"},
		{in: "f:/x -> r:", err: "empty regex"},
		{in: `f:/x -> n:^a(\d+) compare =< 3`, err: "bad compare operator"},
		{in: `f:/x -> n:^a(\d+) compare <= three`, err: "bad compare value"},
		{in: `f:/x -> n:^a(\d+)`, err: "missing"},
		{in: `f:/x -> n:^a\d+ compare <= 3`, err: "no capture group"},
		{in: "p:sshd -> r:x", err: "existence only"},
		{in: "f:/x -> r:a &&  && r:b", err: "empty content test"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			r, err := ParseRule(tt.in)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if r.Type != tt.typ || r.Negated != tt.negated || !slices.Equal(r.Targets, tt.targets) {
				t.Errorf("got type %c negated %v targets %q", r.Type, r.Negated, r.Targets)
			}
			if got := exprRaw(r.Name); got != tt.name {
				t.Errorf("name test %q, want %q", got, tt.name)
			}
			if got := exprRaw(r.Content); got != tt.content {
				t.Errorf("content %q, want %q", got, tt.content)
			}
			if r.Content != nil && len(r.Content.Terms) != tt.terms {
				t.Errorf("%d terms, want %d", len(r.Content.Terms), tt.terms)
			}
		})
	}
}

func exprRaw(e *Expr) string {
	if e == nil {
		return ""
	}
	return e.Raw
}

func TestParseRuleProbeArgs(t *testing.T) {
	r, err := parseRule("not v:file.perms $f 0640 root root,shadow -> r:.", []variable{{"$f", "/etc/shadow"}}, RegexPCRE2, regexCache{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Probe != "file.perms" || !slices.Equal(r.Args, []string{"/etc/shadow", "0640", "root", "root,shadow"}) {
		t.Errorf("probe %q args %q", r.Probe, r.Args)
	}
}

func TestMatchLines(t *testing.T) {
	tests := []struct {
		expr, text string
		want       bool
	}{
		{`r:^Port`, "a\nPort 22\n", true},
		{`r:^port`, "PORT 22", true}, // case-insensitive like PCRE2_CASELESS
		{`!r:^# && r:Port`, "# Port 22\n", false},
		{`!r:^# && r:Port`, "# Port 22\nPort 2", true},
		{`!r:^Port`, "a\nb\n", true},
		{`!r:^Port`, "a\nPort 1\n", false},
		{`!r:x`, "", false},
		{`r:.`, "", false},
		{`r:^$`, "\n", true},
		{`n:^max\s+(\d+) compare <= 4`, "max 4", true},
		{`n:^max\s+(\d+) compare <= 4`, "max 5", false},
		{`n:^max\s+(\d+) compare != 4 && r:max`, "max 5", true},
		{`n:^m=(\S+) compare > -2`, "m=-1", true},
		{`n:^a(\d+) compare >= 1 && n:^a(\d+) compare <= 3`, "a2\r\n", true},
		{`Linux`, "Linux\n", true},
		{`Linux`, "linux\n", false},
		{`Linux`, "GNU/Linux\n", false},
	}
	for _, tt := range tests {
		t.Run(tt.expr+"|"+tt.text, func(t *testing.T) {
			e, err := ParseExpr(tt.expr)
			if err != nil {
				t.Fatal(err)
			}
			m, err := e.matchLines(tt.text)
			if err != nil {
				t.Fatal(err)
			}
			if m.ok != tt.want {
				t.Errorf("got %v, want %v", m.ok, tt.want)
			}
		})
	}
}

func TestNumericCaptureNotANumber(t *testing.T) {
	e, err := ParseExpr(`n:^a=(\S+) compare > 1`)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.matchLines("a=yes"); err == nil {
		t.Error("want an error for a capture that is not a number")
	}
}

func TestOSRegex(t *testing.T) {
	tests := []struct {
		re, s string
		want  bool
	}{
		{`^Port\s22`, "port 22", true},
		{`^Port\s22`, "Port\t22", false},
		{`a\.c`, "abc", true},
		{`a.c`, "abc", false},
		{`a.c`, "a.c", true},
		{`\d+$`, "x 123", true},
		{`^\w+:\w+:0:`, "root:x:0:0", true},
		{`yes|no`, "NO", true},
		{`\$HOME`, "$HOME", true},
	}
	for _, tt := range tests {
		t.Run(tt.re, func(t *testing.T) {
			m, err := compileRegex(RegexOSRegex, tt.re)
			if err != nil {
				t.Fatal(err)
			}
			if got, _ := m.match(tt.s); got != tt.want {
				t.Errorf("%q on %q = %v, want %v (as %s)", tt.re, tt.s, got, tt.want, translateOSRegex(tt.re))
			}
		})
	}
}

func FuzzParseRule(f *testing.F) {
	for _, p := range []string{"testdata/fixture_policy.yml", "testdata/unmet_policy.yml"} {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		for line := range strings.SplitSeq(string(data), "\n") {
			line = strings.TrimSpace(line)
			if s, ok := strings.CutPrefix(line, "- "); ok {
				f.Add(strings.Trim(s, `'"`))
			}
		}
	}
	matches, _ := filepath.Glob("testdata/fuzz_seed_rules.txt")
	for _, m := range matches {
		data, _ := os.ReadFile(m)
		for line := range strings.SplitSeq(string(data), "\n") {
			f.Add(line)
		}
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseRule(s)
		if err != nil {
			return
		}
		if len(r.Targets) == 0 || r.Target == "" {
			t.Fatalf("rule %q parsed with no target", s)
		}
		if r.Content != nil {
			_, _ = r.Content.matchLines(s)
		}
		if r.Name != nil {
			_, _ = r.Name.matchLine(s)
		}
	})
}
