package sigma

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"strings"

	"github.com/dlclark/regexp2"
)

// Mapper translates a rule's field name into the names of the event fields
// that hold it (alternatives: the first one the event has is read). The
// empty name stands for keyword searches. An error makes the rule fail to
// compile.
type Mapper func(field string) ([]string, error)

// Options tune compilation.
type Options struct {
	// Placeholders are the values of %name% for the expand modifier.
	Placeholders map[string][]string
	// WeakFields are fields with few distinct values (a record type, an
	// action): their literals are used as atoms only when a rule offers no
	// other.
	WeakFields map[string]bool
}

// Atom is a lowercase literal that an event's field must contain (compared
// after ASCII lowercasing) for a rule to be able to match.
type Atom struct {
	Field int
	Lit   string
}

// Matcher is a compiled detection.
type Matcher struct {
	root *cnode
	// Atoms, when Prefilter is set, are alternatives: an event can match only
	// if at least one atom occurs in its field.
	Atoms     []Atom
	Prefilter bool
}

// Match evaluates the detection against one event.
func (m *Matcher) Match(ev Event) bool { return m.root.eval(ev) }

type cop uint8

const (
	cAnd cop = iota
	cOr
	cNot
	cSearch
	cField
)

type cnode struct {
	op   cop
	kids []*cnode
	fc   *fieldCond
}

func (n *cnode) eval(ev Event) bool {
	switch n.op {
	case cAnd:
		for _, k := range n.kids {
			if !k.eval(ev) {
				return false
			}
		}
		return true
	case cOr:
		for _, k := range n.kids {
			if k.eval(ev) {
				return true
			}
		}
		return false
	case cNot:
		return !n.kids[0].eval(ev)
	case cField:
		return n.fc.eval(ev)
	}
	return false
}

type fieldCond struct {
	ids  []int
	vals []valueMatcher
	all  bool
	neg  bool
	// anyField makes every field of ids be tried (keyword searches);
	// otherwise only the first one the event has is read.
	anyField bool
}

func (f *fieldCond) eval(ev Event) bool {
	if f.anyField {
		r := false
		for _, id := range f.ids {
			if v := ev.Field(id); v != nil && f.evalValue(v, ev) {
				r = true
				break
			}
		}
		return r != f.neg
	}
	var v *Value
	for _, id := range f.ids {
		if v = ev.Field(id); v != nil {
			break
		}
	}
	r := f.evalValue(v, ev)
	if f.neg {
		return !r
	}
	return r
}

func (f *fieldCond) evalValue(v *Value, ev Event) bool {
	if f.all {
		for _, m := range f.vals {
			if !m.match(v, ev) {
				return false
			}
		}
		return true
	}
	for _, m := range f.vals {
		if m.match(v, ev) {
			return true
		}
	}
	return false
}

// Compile compiles a detection rule. Field names go through m and are
// interned in tab.
func Compile(r *Rule, m Mapper, tab *FieldTable, opts Options) (*Matcher, error) {
	if r.Detection == nil {
		return nil, &Error{File: r.File, Line: r.Line, Msg: "not a detection rule"}
	}
	c := &compiler{m: m, tab: tab, opts: opts, det: r.Detection, searches: map[string]*cnode{}}
	for _, name := range r.Detection.Order {
		s := r.Detection.Searches[name]
		n, err := c.search(s)
		if err != nil {
			var se *Error
			if errors.As(err, &se) {
				se.File = r.File
				return nil, se
			}
			return nil, &Error{File: r.File, Line: s.Line, Msg: err.Error()}
		}
		c.searches[name] = n
	}
	root := &cnode{op: cOr}
	for _, e := range r.Detection.Conditions {
		root.kids = append(root.kids, c.cond(e))
	}
	if len(root.kids) == 1 {
		root = root.kids[0]
	}
	mt := &Matcher{root: root}
	weak := map[int]bool{}
	for name := range opts.WeakFields {
		weak[tab.ID(name)] = true
	}
	mt.Atoms, mt.Prefilter = atoms(root, weak)
	return mt, nil
}

type compiler struct {
	m        Mapper
	tab      *FieldTable
	opts     Options
	det      *Detection
	searches map[string]*cnode
}

func (c *compiler) cond(e Expr) *cnode {
	switch x := e.(type) {
	case *AndExpr:
		return &cnode{op: cAnd, kids: []*cnode{c.cond(x.L), c.cond(x.R)}}
	case *OrExpr:
		return &cnode{op: cOr, kids: []*cnode{c.cond(x.L), c.cond(x.R)}}
	case *NotExpr:
		return &cnode{op: cNot, kids: []*cnode{c.cond(x.X)}}
	case *IdentExpr:
		return c.searches[x.Name]
	case *OfExpr:
		n := &cnode{op: cOr}
		if x.All {
			n.op = cAnd
		}
		for _, name := range c.det.Order {
			if matchPattern(x.Pattern, name) {
				n.kids = append(n.kids, c.searches[name])
			}
		}
		return n
	}
	return &cnode{op: cOr} // unreachable: the parser makes only the above
}

func (c *compiler) search(s *Search) (*cnode, error) {
	or := &cnode{op: cOr}
	for _, fm := range s.Maps {
		and := &cnode{op: cAnd}
		for _, fc := range fm {
			f, err := c.fieldCond(fc)
			if err != nil {
				return nil, &Error{Line: fc.Line, Msg: err.Error()}
			}
			and.kids = append(and.kids, &cnode{op: cField, fc: f})
		}
		or.kids = append(or.kids, and)
	}
	if len(or.kids) == 1 {
		return or.kids[0], nil
	}
	return or, nil
}

var knownModifiers = map[string]bool{
	"contains": true, "startswith": true, "endswith": true, "all": true, "re": true,
	"i": true, "m": true, "s": true, "base64": true, "base64offset": true,
	"utf16le": true, "utf16be": true, "utf16": true, "wide": true, "windash": true,
	"cidr": true, "exists": true, "lt": true, "lte": true, "gt": true, "gte": true,
	"fieldref": true, "cased": true, "expand": true, "neq": true,
	"minute": true, "hour": true, "day": true, "week": true, "month": true, "year": true,
}

func (c *compiler) fieldCond(fc *FieldCond) (*fieldCond, error) {
	mods := map[string]bool{}
	for _, m := range fc.Modifiers {
		if !knownModifiers[m] {
			return nil, fmt.Errorf("field %q: unknown modifier %q", fc.Field, m)
		}
		mods[m] = true
	}
	names, err := c.m(fc.Field)
	if err != nil {
		return nil, err
	}
	f := &fieldCond{all: mods["all"], neg: mods["neq"], anyField: fc.Field == ""}
	for _, n := range names {
		f.ids = append(f.ids, c.tab.ID(n))
	}
	if f.all && len(fc.Values) < 2 {
		// the specification forbids all on one value; it means the same as without
		f.all = false
	}
	for _, v := range fc.Values {
		ms, err := c.values(fc, mods, v)
		if err != nil {
			return nil, fmt.Errorf("field %q: %w", fc.Field, err)
		}
		if f.all && len(ms) > 1 {
			// one written value that expands to several (windash, base64offset):
			// any of its forms satisfies that value
			f.vals = append(f.vals, &anyOf{ms})
			continue
		}
		f.vals = append(f.vals, ms...)
	}
	return f, nil
}

// anyOf groups the forms of one written value under the all modifier.
type anyOf struct{ ms []valueMatcher }

func (a *anyOf) match(v *Value, ev Event) bool {
	for _, m := range a.ms {
		if m.match(v, ev) {
			return true
		}
	}
	return false
}

func numericOp(mods map[string]bool) string {
	for _, op := range []string{"lt", "lte", "gt", "gte"} {
		if mods[op] {
			return op
		}
	}
	return ""
}

// values compiles one written value into its matchers (several when a
// modifier expands it).
func (c *compiler) values(fc *FieldCond, mods map[string]bool, v *node) ([]valueMatcher, error) {
	if v.kind == kindNull {
		if mods["exists"] {
			return nil, errors.New("exists needs true or false")
		}
		return []valueMatcher{nullMatcher{}}, nil
	}
	s := v.scalar
	switch {
	case mods["exists"]:
		if !v.isBool && s != "true" && s != "false" {
			return nil, errors.New("exists needs true or false")
		}
		return []valueMatcher{existsMatcher{want: s == "true"}}, nil
	case mods["fieldref"]:
		names, err := c.m(s)
		if err != nil || len(names) == 0 {
			return nil, fmt.Errorf("fieldref %q: %v", s, err)
		}
		op := opEq
		switch {
		case mods["contains"]:
			op = opContains
		case mods["startswith"]:
			op = opPrefix
		case mods["endswith"]:
			op = opSuffix
		}
		return []valueMatcher{&refMatcher{ref: c.tab.ID(names[0]), op: op, cased: mods["cased"]}}, nil
	case mods["re"]:
		m, err := compileRegexp(s, mods)
		if err != nil {
			return nil, err
		}
		return []valueMatcher{m}, nil
	case mods["cidr"]:
		p, err := netip.ParsePrefix(strings.TrimSpace(s))
		if err != nil {
			return nil, fmt.Errorf("cidr: %w", err)
		}
		return []valueMatcher{&cidrMatcher{prefix: p.Masked()}}, nil
	}
	for _, part := range []string{"minute", "hour", "day", "week", "month", "year"} {
		if mods[part] {
			if !v.isNum {
				return nil, fmt.Errorf("%s needs a number", part)
			}
			op := numericOp(mods)
			if op == "" {
				op = "eq"
			}
			return []valueMatcher{&timePartMatcher{part: part, op: op, n: v.num}}, nil
		}
	}
	if op := numericOp(mods); op != "" {
		if !v.isNum {
			return nil, fmt.Errorf("%s needs a number, not %q", op, s)
		}
		return []valueMatcher{&numMatcher{op: op, n: v.num}}, nil
	}
	return c.stringValues(fc, mods, v)
}

func compileRegexp(s string, mods map[string]bool) (valueMatcher, error) {
	flags := ""
	for _, f := range []string{"i", "m", "s"} {
		if mods[f] {
			flags += f
		}
	}
	src := s
	if flags != "" {
		src = "(?" + flags + ")" + s
	}
	if re, err := regexp.Compile(src); err == nil {
		return &reMatcher{re: re}, nil
	}
	var o regexp2.RegexOptions
	if mods["i"] {
		o |= regexp2.IgnoreCase
	}
	if mods["m"] {
		o |= regexp2.Multiline
	}
	if mods["s"] {
		o |= regexp2.Singleline
	}
	re2, err := regexp2.Compile(s, o)
	if err != nil {
		return nil, fmt.Errorf("re: %w", err)
	}
	re2.MatchTimeout = maxRegexTime
	return &reMatcher{re2: re2}, nil
}

// stringValues applies the transforming modifiers in the order written, then
// contains/startswith/endswith, and builds string matchers.
func (c *compiler) stringValues(fc *FieldCond, mods map[string]bool, v *node) ([]valueMatcher, error) {
	strs := []string{v.scalar}
	var err error
	if mods["expand"] {
		if strs, err = expand(v.scalar, c.opts.Placeholders); err != nil {
			return nil, err
		}
	}
	if mods["windash"] {
		var all []string
		for _, s := range strs {
			w, err := windash(s)
			if err != nil {
				return nil, err
			}
			all = append(all, w...)
		}
		strs = all
	}
	var ps []pattern
	for _, s := range strs {
		if v.quoted || !v.isNum && !v.isBool {
			ps = append(ps, parseWildcards(s))
		} else {
			ps = append(ps, literalPattern(s))
		}
	}
	for _, m := range fc.Modifiers {
		switch m {
		case "utf16le", "wide":
			ps, err = mapLiteral(ps, m, func(s string) []string { return []string{encodeUTF16(s, false, false)} })
		case "utf16be":
			ps, err = mapLiteral(ps, m, func(s string) []string { return []string{encodeUTF16(s, true, false)} })
		case "utf16":
			ps, err = mapLiteral(ps, m, func(s string) []string { return []string{encodeUTF16(s, false, true)} })
		case "base64":
			ps, err = mapLiteral(ps, m, func(s string) []string { return []string{base64.StdEncoding.EncodeToString([]byte(s))} })
		case "base64offset":
			ps, err = mapLiteral(ps, m, base64Offsets)
		}
		if err != nil {
			return nil, err
		}
	}
	keyword := fc.Field == ""
	lead := mods["contains"] || mods["endswith"] || keyword
	trail := mods["contains"] || mods["startswith"] || keyword
	out := make([]valueMatcher, 0, len(ps))
	for _, p := range ps {
		out = append(out, newStrMatcher(p.wrap(lead, trail), mods["cased"]))
	}
	return out, nil
}
