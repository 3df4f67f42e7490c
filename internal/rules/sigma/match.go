package sigma

import (
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/dlclark/regexp2"
)

// Value is one field of an event in the forms matchers need. A list field
// (process.args) has several strings; a matcher matches when any does.
type Value struct {
	Strs  []string // string forms; a number in decimal
	Lower []string // Strs lowercased
	Num   float64
	// HasNum is set for numeric fields and for strings that parse as numbers.
	HasNum  bool
	Time    time.Time
	HasTime bool
}

// Event gives a compiled rule the values of the fields it reads, by the ids
// of the FieldTable the rule was compiled with. Field returns nil when the
// event lacks the field. Implementations cache per event.
type Event interface {
	Field(id int) *Value
}

// FieldTable interns field names into small integer ids.
type FieldTable struct {
	ids   map[string]int
	names []string
}

// NewFieldTable returns an empty table.
func NewFieldTable() *FieldTable { return &FieldTable{ids: map[string]int{}} }

// ID returns the id of name, adding it when new.
func (t *FieldTable) ID(name string) int {
	if id, ok := t.ids[name]; ok {
		return id
	}
	t.ids[name] = len(t.names)
	t.names = append(t.names, name)
	return len(t.names) - 1
}

// Names returns the field names by id.
func (t *FieldTable) Names() []string { return t.names }

// valueMatcher matches one value of a field condition; v is nil when the
// event lacks the field.
type valueMatcher interface {
	match(v *Value, ev Event) bool
}

type strOp uint8

const (
	opEq strOp = iota
	opPrefix
	opSuffix
	opContains
	opGlob
	opAny // "*": any present value
)

type strMatcher struct {
	op    strOp
	lit   string // lowercased unless cased
	cased bool
	glob  *regexp.Regexp
}

func (m *strMatcher) match(v *Value, _ Event) bool {
	if v == nil {
		return false
	}
	ss := v.Lower
	if m.cased {
		ss = v.Strs
	}
	for _, s := range ss {
		if m.matchOne(s) {
			return true
		}
	}
	return false
}

func (m *strMatcher) matchOne(s string) bool {
	switch m.op {
	case opEq:
		return s == m.lit
	case opPrefix:
		return strings.HasPrefix(s, m.lit)
	case opSuffix:
		return strings.HasSuffix(s, m.lit)
	case opContains:
		return strings.Contains(s, m.lit)
	case opGlob:
		return m.glob.MatchString(s)
	case opAny:
		return true
	}
	return false
}

// newStrMatcher builds the matcher of a pattern.
func newStrMatcher(p pattern, cased bool) *strMatcher {
	low := func(s string) string {
		if cased {
			return s
		}
		return strings.ToLower(s)
	}
	m := &strMatcher{cased: cased}
	n := len(p)
	switch {
	case n == 0:
		m.op = opEq
	case n == 1 && p[0].wild == '*':
		m.op = opAny
	case !p.hasWild():
		m.op, m.lit = opEq, low(p.literal())
	case n == 2 && p[0].wild == '*' && p[1].wild == 0:
		m.op, m.lit = opSuffix, low(p[1].s)
	case n == 2 && p[0].wild == 0 && p[1].wild == '*':
		m.op, m.lit = opPrefix, low(p[0].s)
	case n == 3 && p[0].wild == '*' && p[1].wild == 0 && p[2].wild == '*':
		m.op, m.lit = opContains, low(p[1].s)
	default:
		var b strings.Builder
		b.WriteString(`(?s)^`)
		for _, t := range p {
			switch t.wild {
			case '*':
				b.WriteString(`.*`)
			case '?':
				b.WriteString(`.`)
			default:
				b.WriteString(regexp.QuoteMeta(low(t.s)))
			}
		}
		b.WriteString(`$`)
		m.op, m.glob = opGlob, regexp.MustCompile(b.String())
	}
	return m
}

// atom returns the longest lowercase ASCII literal every match contains.
func (m *strMatcher) atom() (string, bool) {
	var lit string
	switch m.op {
	case opEq, opPrefix, opSuffix, opContains:
		lit = m.lit
	case opGlob:
		// the longest quoted literal between wildcards
		src := m.glob.String()
		for _, part := range splitGlob(src) {
			if len(part) > len(lit) {
				lit = part
			}
		}
	}
	if lit == "" {
		return "", false
	}
	for i := 0; i < len(lit); i++ {
		if lit[i] >= 0x80 {
			return "", false
		}
	}
	return strings.ToLower(lit), true
}

// splitGlob returns the literal runs of a glob regexp built by newStrMatcher.
func splitGlob(src string) []string {
	src = strings.TrimSuffix(strings.TrimPrefix(src, `(?s)^`), `$`)
	var out []string
	var cur strings.Builder
	for i := 0; i < len(src); i++ {
		c := src[i]
		switch {
		case c == '\\' && i+1 < len(src):
			cur.WriteByte(src[i+1])
			i++
		case c == '.':
			if i+1 < len(src) && src[i+1] == '*' {
				i++
			}
			out = append(out, cur.String())
			cur.Reset()
		default:
			cur.WriteByte(c)
		}
	}
	return append(out, cur.String())
}

type nullMatcher struct{}

func (nullMatcher) match(v *Value, _ Event) bool {
	if v == nil {
		return true
	}
	for _, s := range v.Strs {
		if s != "" {
			return false
		}
	}
	return true
}

type existsMatcher struct{ want bool }

func (m existsMatcher) match(v *Value, _ Event) bool { return (v != nil) == m.want }

// maxRegexTime bounds one backtracking regexp match.
const maxRegexTime = 100 * time.Millisecond

type reMatcher struct {
	re  *regexp.Regexp
	re2 *regexp2.Regexp // when RE2 cannot compile the expression
}

func (m *reMatcher) match(v *Value, _ Event) bool {
	if v == nil {
		return false
	}
	for _, s := range v.Strs {
		if m.re != nil {
			if m.re.MatchString(s) {
				return true
			}
			continue
		}
		if ok, err := m.re2.MatchString(s); err == nil && ok {
			return true
		}
	}
	return false
}

type cidrMatcher struct{ prefix netip.Prefix }

func (m *cidrMatcher) match(v *Value, _ Event) bool {
	if v == nil {
		return false
	}
	for _, s := range v.Strs {
		if a, err := netip.ParseAddr(s); err == nil && m.prefix.Contains(a.Unmap()) {
			return true
		}
	}
	return false
}

type numMatcher struct {
	op string
	n  float64
}

func (m *numMatcher) match(v *Value, _ Event) bool {
	if v == nil {
		return false
	}
	if v.HasNum {
		return compare(m.op, v.Num, m.n)
	}
	for _, s := range v.Strs {
		if f, err := strconv.ParseFloat(strings.TrimSpace(s), 64); err == nil && compare(m.op, f, m.n) {
			return true
		}
	}
	return false
}

type timePartMatcher struct {
	part string
	op   string // eq unless a numeric modifier was given
	n    float64
}

func (m *timePartMatcher) match(v *Value, _ Event) bool {
	if v == nil {
		return false
	}
	t := v.Time
	if !v.HasTime {
		if len(v.Strs) == 0 {
			return false
		}
		var err error
		if t, err = time.Parse(time.RFC3339Nano, v.Strs[0]); err != nil {
			return false
		}
	}
	var x int
	switch m.part {
	case "minute":
		x = t.Minute()
	case "hour":
		x = t.Hour()
	case "day":
		x = t.Day()
	case "week":
		_, x = t.ISOWeek()
	case "month":
		x = int(t.Month())
	case "year":
		x = t.Year()
	}
	return compare(m.op, float64(x), m.n)
}

// refMatcher compares a field with another field of the same event.
type refMatcher struct {
	ref   int
	op    strOp
	cased bool
}

func (m *refMatcher) match(v *Value, ev Event) bool {
	o := ev.Field(m.ref)
	if v == nil || o == nil {
		return false
	}
	a, b := v.Lower, o.Lower
	if m.cased {
		a, b = v.Strs, o.Strs
	}
	for _, x := range a {
		for _, y := range b {
			sm := strMatcher{op: m.op, lit: y}
			if sm.matchOne(x) {
				return true
			}
		}
	}
	return false
}
