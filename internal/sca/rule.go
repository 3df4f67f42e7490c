package sca

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// RuleType is the kind of subject a rule looks at.
type RuleType byte

// Rule types. Registry rules are parsed so that Windows policies load, but they
// are never applicable on the hosts vigil audits.
const (
	RuleFile      RuleType = 'f'
	RuleDirectory RuleType = 'd'
	RuleCommand   RuleType = 'c'
	RuleProcess   RuleType = 'p'
	RuleRegistry  RuleType = 'r'
	RuleProbe     RuleType = 'v'
)

// maxRuleLen bounds a rule string; real rules are far below it.
const maxRuleLen = 16 << 10

// Rule is one parsed rule of a check: `[not ]TYPE:target[ -> expr[ -> expr]]`.
type Rule struct {
	Raw     string   // as written in the policy, before variable substitution
	Negated bool     // leading "not "
	Type    RuleType // f, d, c, p, r or v
	Target  string   // after variable substitution: file list, directory list, command line, process, key, probe call
	// Targets is Target split on commas for file and directory rules (a
	// variable may stand for several files); otherwise it holds Target alone.
	Targets []string
	// Name tests the names of files below a directory rule's directories, or
	// the value name of a registry rule. Nil when absent.
	Name *Expr
	// Content tests lines of the subject: file contents, command or probe
	// output. Nil for existence rules.
	Content *Expr
	// Probe and Args are the probe name and its arguments of a "v:" rule.
	Probe string
	Args  []string
	Line  int // line in the policy file, 0 when unknown
}

// TermKind is the kind of one content test.
type TermKind byte

// Kinds of content tests.
const (
	TermLiteral TermKind = iota // whole line equals the text
	TermRegex                   // r:REGEX
	TermNumeric                 // n:REGEX compare OP VALUE
)

// Term is one test of a content expression.
type Term struct {
	Negated bool // leading "!"
	Kind    TermKind
	Text    string // literal text, or the regex source
	Op      string // numeric comparison operator
	Value   int64  // numeric comparison value
	re      matcher
}

// Expr is a content expression: terms joined by " && ", all of which must hold
// on the same line.
type Expr struct {
	Raw   string
	Terms []Term
}

// ParseRule parses one rule string with the PCRE2 regex engine and no
// variables. It is what the loader uses for each rule, exposed for tools and
// tests.
func ParseRule(s string) (*Rule, error) {
	return parseRule(s, nil, RegexPCRE2, regexCache{})
}

// ParseExpr parses a content expression such as `!r:^# && r:Port\s+22`.
func ParseExpr(s string) (*Expr, error) {
	return parseExpr(s, RegexPCRE2, regexCache{})
}

func parseRule(raw string, vars []variable, engine string, cache regexCache) (*Rule, error) {
	if len(raw) > maxRuleLen {
		return nil, fmt.Errorf("rule longer than %d bytes", maxRuleLen)
	}
	r := &Rule{Raw: raw}
	s := strings.TrimSpace(raw)
	if rest, ok := cutPrefixFold(s, "not "); ok {
		r.Negated = true
		s = strings.TrimSpace(rest)
	}
	typ, rest, ok := strings.Cut(s, ":")
	if !ok || len(typ) != 1 {
		return nil, fmt.Errorf("rule %q: expected TYPE:target with TYPE one of f, d, c, p, r, v", raw)
	}
	r.Type = RuleType(typ[0])
	switch r.Type {
	case RuleFile, RuleDirectory, RuleCommand, RuleProcess, RuleRegistry, RuleProbe:
	default:
		return nil, fmt.Errorf("rule %q: unknown rule type %q", raw, typ)
	}
	target, pattern, hasPattern := strings.Cut(rest, " -> ")
	target = strings.TrimSpace(substitute(target, vars))
	if target == "" {
		return nil, fmt.Errorf("rule %q: empty target", raw)
	}
	r.Target = target
	r.Targets = []string{target}
	if err := r.parseParts(pattern, hasPattern, engine, cache); err != nil {
		return nil, fmt.Errorf("rule %q: %w", raw, err)
	}
	return r, nil
}

func (r *Rule) parseParts(pattern string, hasPattern bool, engine string, cache regexCache) error {
	var err error
	switch r.Type {
	case RuleFile, RuleDirectory:
		r.Targets = splitList(r.Target)
		if len(r.Targets) == 0 {
			return errors.New("empty target list")
		}
		if !hasPattern {
			return nil
		}
		if r.Type == RuleDirectory {
			name, content, hasContent := strings.Cut(pattern, " -> ")
			if r.Name, err = parseExpr(name, engine, cache); err != nil {
				return fmt.Errorf("file name test: %w", err)
			}
			if !hasContent {
				return nil
			}
			pattern = content
		}
		r.Content, err = parseExpr(pattern, engine, cache)
		return err
	case RuleRegistry:
		if !hasPattern {
			return nil
		}
		name, content, hasContent := strings.Cut(pattern, " -> ")
		if r.Name, err = parseExpr(name, engine, cache); err != nil {
			return err
		}
		if hasContent {
			r.Content, err = parseExpr(content, engine, cache)
		}
		return err
	case RuleProcess:
		if hasPattern {
			return errors.New("process rules test existence only and take no content test")
		}
		return nil
	case RuleProbe:
		f := strings.Fields(r.Target)
		r.Probe, r.Args = f[0], f[1:]
	}
	if hasPattern {
		r.Content, err = parseExpr(pattern, engine, cache)
	}
	return err
}

func parseExpr(s string, engine string, cache regexCache) (*Expr, error) {
	e := &Expr{Raw: s}
	for part := range strings.SplitSeq(s, " && ") {
		t, err := parseTerm(part, engine, cache)
		if err != nil {
			return nil, err
		}
		e.Terms = append(e.Terms, t)
	}
	return e, nil
}

func parseTerm(s string, engine string, cache regexCache) (Term, error) {
	var t Term
	if strings.HasPrefix(s, "!") {
		t.Negated = true
		s = s[1:]
	}
	var err error
	switch {
	case strings.HasPrefix(s, "r:"):
		t.Kind, t.Text = TermRegex, s[2:]
		if t.Text == "" {
			return t, errors.New("empty regex after r:")
		}
		t.re, err = cache.compile(engine, t.Text)
	case strings.HasPrefix(s, "n:"):
		t.Kind = TermNumeric
		err = t.parseNumeric(s[2:], engine, cache)
	default:
		if s == "" {
			return t, errors.New("empty content test")
		}
		t.Kind, t.Text = TermLiteral, s
	}
	return t, err
}

func (t *Term) parseNumeric(s string, engine string, cache regexCache) error {
	re, cmp, ok := strings.Cut(s, " compare ")
	if !ok {
		return fmt.Errorf("numeric test %q: missing \" compare OP VALUE\"", s)
	}
	f := strings.Fields(cmp)
	if len(f) != 2 {
		return fmt.Errorf("numeric test %q: expected \"compare OP VALUE\"", s)
	}
	switch f[0] {
	case "<", "<=", "==", "!=", ">=", ">":
	default:
		return fmt.Errorf("numeric test %q: bad compare operator %q (want <, <=, ==, !=, >=, >)", s, f[0])
	}
	v, err := strconv.ParseInt(f[1], 10, 64)
	if err != nil {
		return fmt.Errorf("numeric test %q: bad compare value %q", s, f[1])
	}
	if re == "" {
		return fmt.Errorf("numeric test %q: empty regex", s)
	}
	t.Text, t.Op, t.Value = re, f[0], v
	if t.re, err = cache.compile(engine, re); err != nil {
		return err
	}
	if t.re.groups() < 1 {
		return fmt.Errorf("numeric test %q: regex has no capture group for the number", s)
	}
	return nil
}

func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix) {
		return s[len(prefix):], true
	}
	return s, false
}

func splitList(s string) []string {
	var out []string
	for p := range strings.SplitSeq(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// variable is one entry of a policy's variables section.
type variable struct{ name, value string }

// substitute replaces policy variables in s, longest names first so that
// $sshd_file is not clobbered by a $sshd variable.
func substitute(s string, vars []variable) string {
	if !strings.Contains(s, "$") {
		return s
	}
	for _, v := range vars {
		s = strings.ReplaceAll(s, v.name, v.value)
	}
	return s
}

// String returns the rule as written.
func (r *Rule) String() string { return r.Raw }
