package sigma

import (
	"fmt"
	"path"
	"strings"
)

// Expr is a parsed condition expression.
type Expr interface {
	String() string
}

// AndExpr is "L and R".
type AndExpr struct{ L, R Expr }

// OrExpr is "L or R".
type OrExpr struct{ L, R Expr }

// NotExpr is "not X".
type NotExpr struct{ X Expr }

// IdentExpr names one search identifier of the detection.
type IdentExpr struct {
	Name string
	Pos  int
}

// OfExpr is "1 of pattern", "all of pattern", "1 of them" or "all of them".
// Pattern is "them" or a search identifier with * and ? wildcards.
type OfExpr struct {
	All     bool
	Pattern string
	Pos     int
}

func (e *AndExpr) String() string   { return "(" + e.L.String() + " and " + e.R.String() + ")" }
func (e *OrExpr) String() string    { return "(" + e.L.String() + " or " + e.R.String() + ")" }
func (e *NotExpr) String() string   { return "not " + e.X.String() }
func (e *IdentExpr) String() string { return e.Name }
func (e *OfExpr) String() string {
	if e.All {
		return "all of " + e.Pattern
	}
	return "1 of " + e.Pattern
}

// maxConditionLen bounds a condition string; maxConditionDepth its nesting.
const (
	maxConditionLen   = 8192
	maxConditionDepth = 100
)

// ConditionError is a syntax error in a condition, at a 1-based column.
type ConditionError struct {
	Col int
	Msg string
}

func (e *ConditionError) Error() string {
	return fmt.Sprintf("condition: column %d: %s", e.Col, e.Msg)
}

type ctoken struct {
	text string
	pos  int // 1-based column
}

func lexCondition(s string) []ctoken {
	var out []ctoken
	i := 0
	for i < len(s) {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '(' || c == ')':
			out = append(out, ctoken{string(c), i + 1})
			i++
		default:
			j := i
			for j < len(s) && !strings.ContainsRune(" \t\n\r()", rune(s[j])) {
				j++
			}
			out = append(out, ctoken{s[i:j], i + 1})
			i = j
		}
	}
	return out
}

type condParser struct {
	toks  []ctoken
	i     int
	end   int
	depth int
}

// ParseCondition parses a Sigma condition: search identifiers combined with
// and, or, not and parentheses (precedence not > and > or, left to right),
// and the quantifiers "1 of X", "any of X", "all of X" where X is "them" or
// an identifier pattern with wildcards. Errors are *ConditionError.
func ParseCondition(s string) (Expr, error) {
	if len(s) > maxConditionLen {
		return nil, &ConditionError{1, fmt.Sprintf("longer than %d bytes", maxConditionLen)}
	}
	p := &condParser{toks: lexCondition(s), end: len(s) + 1}
	if len(p.toks) == 0 {
		return nil, &ConditionError{1, "empty condition"}
	}
	e, err := p.parseOr()
	if err != nil {
		return nil, err
	}
	if p.i < len(p.toks) {
		t := p.toks[p.i]
		if strings.HasPrefix(t.text, "|") {
			return nil, &ConditionError{t.pos, "aggregations ('|') are not supported; use a correlation rule"}
		}
		return nil, &ConditionError{t.pos, fmt.Sprintf("unexpected %q", t.text)}
	}
	return e, nil
}

func (p *condParser) peek() (ctoken, bool) {
	if p.i >= len(p.toks) {
		return ctoken{pos: p.end}, false
	}
	return p.toks[p.i], true
}

func (p *condParser) isWord(w string) bool {
	t, ok := p.peek()
	return ok && strings.EqualFold(t.text, w)
}

func (p *condParser) parseOr() (Expr, error) {
	l, err := p.parseAnd()
	if err != nil {
		return nil, err
	}
	for p.isWord("or") {
		p.i++
		r, err := p.parseAnd()
		if err != nil {
			return nil, err
		}
		l = &OrExpr{l, r}
	}
	return l, nil
}

func (p *condParser) parseAnd() (Expr, error) {
	l, err := p.parseNot()
	if err != nil {
		return nil, err
	}
	for p.isWord("and") {
		p.i++
		r, err := p.parseNot()
		if err != nil {
			return nil, err
		}
		l = &AndExpr{l, r}
	}
	return l, nil
}

func (p *condParser) parseNot() (Expr, error) {
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > maxConditionDepth {
		t, _ := p.peek()
		return nil, &ConditionError{t.pos, "nested too deeply"}
	}
	if p.isWord("not") {
		p.i++
		x, err := p.parseNot()
		if err != nil {
			return nil, err
		}
		return &NotExpr{x}, nil
	}
	return p.parsePrimary()
}

func (p *condParser) parsePrimary() (Expr, error) {
	t, ok := p.peek()
	if !ok {
		return nil, &ConditionError{t.pos, "unexpected end of condition"}
	}
	switch lt := strings.ToLower(t.text); {
	case lt == "(":
		p.i++
		e, err := p.parseOr()
		if err != nil {
			return nil, err
		}
		c, ok := p.peek()
		if !ok || c.text != ")" {
			return nil, &ConditionError{c.pos, fmt.Sprintf("missing ')' for '(' at column %d", t.pos)}
		}
		p.i++
		return e, nil
	case lt == ")":
		return nil, &ConditionError{t.pos, "unexpected ')'"}
	case lt == "and" || lt == "or" || lt == "of" || lt == "them":
		return nil, &ConditionError{t.pos, fmt.Sprintf("unexpected %q", t.text)}
	case lt == "1" || lt == "all" || lt == "any":
		if p.i+1 < len(p.toks) && strings.EqualFold(p.toks[p.i+1].text, "of") {
			p.i += 2
			target, ok := p.peek()
			if !ok || target.text == "(" || target.text == ")" {
				return nil, &ConditionError{target.pos, "expected an identifier pattern or 'them' after 'of'"}
			}
			p.i++
			pat := target.text
			if strings.EqualFold(pat, "them") {
				pat = "them"
			}
			return &OfExpr{All: lt == "all", Pattern: pat, Pos: t.pos}, nil
		}
	}
	if p.i+1 < len(p.toks) && strings.EqualFold(p.toks[p.i+1].text, "of") {
		return nil, &ConditionError{t.pos, fmt.Sprintf("unsupported quantifier %q (only 1, any and all)", t.text)}
	}
	if strings.ContainsAny(t.text, "|") {
		return nil, &ConditionError{t.pos, "aggregations ('|') are not supported; use a correlation rule"}
	}
	p.i++
	return &IdentExpr{Name: t.text, Pos: t.pos}, nil
}

// matchPattern reports whether a search identifier matches an "of" pattern.
func matchPattern(pattern, name string) bool {
	if pattern == "them" {
		return !strings.HasPrefix(name, "_")
	}
	ok, err := path.Match(pattern, name)
	return err == nil && ok
}
