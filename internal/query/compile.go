package query

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-sec/vigil/internal/event"
)

// Dialect maps fields to SQL for one store. Field names reaching a Dialect
// have been checked against the event schema; a Dialect must still never
// paste anything but its own column names and fixed JSON paths built from
// those field names into SQL.
type Dialect interface {
	// Param returns the placeholder of the n-th bound argument (1-based).
	Param(n int) string
	// Scalar returns the SQL expression of a single-valued field, yielding
	// NULL when the event lacks it. Strings compare as text, numbers as
	// integers, times as the dialect's stored time (see TimeArg).
	Scalar(field string, kind event.FieldKind) string
	// AnyElement returns a condition that holds when some element of an
	// array field satisfies cond(elem), elem being the element's expression.
	AnyElement(field string, cond func(elem string) string) string
	// TimeArg converts a time to the bound argument compared with Scalar of
	// a FieldTime field.
	TimeArg(t time.Time) any
	// Like returns a LIKE condition (ESCAPE '\'), case-insensitive when fold.
	Like(expr, param string, fold bool) string
}

// TextFields are searched by substring, case-insensitively, and are the
// targets of bare words.
var TextFields = map[string]bool{
	"message": true, "process.command_line": true, "process.title": true,
	"process.parent.command_line": true, "rule.description": true, "event.original": true,
}

// bareTargets are the fields a bare word or phrase searches.
var bareTargets = []string{"message", "process.command_line"}

// Compiled is a WHERE clause with its arguments.
type Compiled struct {
	Where string
	Args  []any
}

type compiler struct {
	d    Dialect
	args []any
}

// Compile turns a parsed query into a WHERE clause for d. Values that do not
// fit their field (a word for a number field) are errors.
func Compile(n Node, d Dialect) (Compiled, error) {
	c := &compiler{d: d}
	where, err := c.node(n)
	if err != nil {
		return Compiled{}, err
	}
	return Compiled{Where: where, Args: c.args}, nil
}

func (c *compiler) bind(v any) string {
	c.args = append(c.args, v)
	return c.d.Param(len(c.args))
}

func (c *compiler) node(n Node) (string, error) {
	switch n := n.(type) {
	case All:
		return "1=1", nil
	case And:
		return c.binary(n.Left, n.Right, "AND")
	case Or:
		return c.binary(n.Left, n.Right, "OR")
	case Not:
		inner, err := c.node(n.Node)
		if err != nil {
			return "", err
		}
		// An event without the field is "not" matched, as in Kibana.
		return "NOT COALESCE((" + inner + "), FALSE)", nil
	case Match:
		if err := validField(n.Field); err != nil {
			return "", err
		}
		return c.match(n)
	case Exists:
		if err := validField(n.Field); err != nil {
			return "", err
		}
		kind, _ := event.KindOf(n.Field)
		if kind == event.FieldStrings {
			return c.d.AnyElement(n.Field, func(string) string { return "1=1" }), nil
		}
		return c.d.Scalar(n.Field, kind) + " IS NOT NULL", nil
	case Range:
		if err := validField(n.Field); err != nil {
			return "", err
		}
		if !rangeOps[n.Op] {
			return "", fmt.Errorf("query: %q is not a range operator", n.Op)
		}
		return c.rangeCond(n)
	case Text:
		parts := make([]string, len(bareTargets))
		p := c.bind(substringPattern(n.Value))
		for i, f := range bareTargets {
			parts[i] = c.d.Like(c.d.Scalar(f, event.FieldString), p, true)
		}
		return "(" + strings.Join(parts, " OR ") + ")", nil
	}
	return "", fmt.Errorf("query: unknown node %T", n)
}

func (c *compiler) binary(l, r Node, op string) (string, error) {
	a, err := c.node(l)
	if err != nil {
		return "", err
	}
	b, err := c.node(r)
	if err != nil {
		return "", err
	}
	return "(" + a + " " + op + " " + b + ")", nil
}

func (c *compiler) match(m Match) (string, error) {
	kind, _ := event.KindOf(m.Field)
	switch kind {
	case event.FieldNumber:
		v, err := strconv.ParseInt(m.Value, 10, 64)
		if err != nil {
			return "", fmt.Errorf("query: %s takes a whole number, not %q", m.Field, m.Value)
		}
		return c.d.Scalar(m.Field, kind) + " = " + c.bind(v), nil
	case event.FieldTime:
		t, err := parseTime(m.Value)
		if err != nil {
			return "", fmt.Errorf("query: %s: %w", m.Field, err)
		}
		return c.d.Scalar(m.Field, kind) + " = " + c.bind(c.d.TimeArg(t)), nil
	case event.FieldStrings:
		cond := c.stringCond(m)
		return c.d.AnyElement(m.Field, cond), nil
	default:
		return c.stringCond(m)(c.d.Scalar(m.Field, kind)), nil
	}
}

// stringCond returns the condition on one string expression for m.
func (c *compiler) stringCond(m Match) func(string) string {
	switch {
	case TextFields[m.Field] && m.Wildcard:
		p := c.bind("%" + wildcardPattern(m.Value) + "%")
		return func(e string) string { return c.d.Like(e, p, true) }
	case TextFields[m.Field]:
		p := c.bind(substringPattern(m.Value))
		return func(e string) string { return c.d.Like(e, p, true) }
	case m.Wildcard:
		p := c.bind(wildcardPattern(m.Value))
		return func(e string) string { return c.d.Like(e, p, false) }
	}
	p := c.bind(m.Value)
	return func(e string) string { return e + " = " + p }
}

func (c *compiler) rangeCond(r Range) (string, error) {
	kind, _ := event.KindOf(r.Field)
	var arg any
	switch kind {
	case event.FieldNumber:
		v, err := strconv.ParseInt(r.Value, 10, 64)
		if err != nil {
			return "", fmt.Errorf("query: %s %s takes a whole number, not %q", r.Field, r.Op, r.Value)
		}
		arg = v
	case event.FieldTime:
		t, err := parseTime(r.Value)
		if err != nil {
			return "", fmt.Errorf("query: %s: %w", r.Field, err)
		}
		arg = c.d.TimeArg(t)
	case event.FieldStrings:
		p := c.bind(r.Value)
		return c.d.AnyElement(r.Field, func(e string) string { return e + " " + r.Op + " " + p }), nil
	default:
		arg = r.Value
	}
	return c.d.Scalar(r.Field, kind) + " " + r.Op + " " + c.bind(arg), nil
}

// likeEscaper escapes LIKE's own wildcards and the escape character.
var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

func substringPattern(s string) string { return "%" + likeEscaper.Replace(s) + "%" }

// wildcardPattern turns a query value with * and ? (backslash-escaped when
// literal) into a LIKE pattern.
func wildcardPattern(raw string) string {
	var b strings.Builder
	for i := 0; i < len(raw); i++ {
		ch := raw[i]
		switch {
		case ch == '\\' && i+1 < len(raw):
			i++
			b.WriteString(likeEscaper.Replace(string(raw[i])))
		case ch == '*':
			b.WriteByte('%')
		case ch == '?':
			b.WriteByte('_')
		default:
			b.WriteString(likeEscaper.Replace(string(ch)))
		}
	}
	return b.String()
}

// rangeOps are the operators a Range may carry.
var rangeOps = map[string]bool{">": true, ">=": true, "<": true, "<=": true}

// validField checks a field name of a node again at compile time: nodes may
// be built by hand, and the name ends up in the SQL text.
func validField(f string) error {
	if !fieldName.MatchString(f) || !event.KnownField(f) {
		return fmt.Errorf("query: unknown field %q", f)
	}
	return nil
}

var fieldName = regexp.MustCompile(`^[@A-Za-z_][A-Za-z0-9_.@-]*$`)

func checkField(t token) error {
	if !fieldName.MatchString(t.text) {
		return &Error{t.col, fmt.Sprintf("%q is not a field name", t.text)}
	}
	if !event.KnownField(t.text) {
		return &Error{t.col, fmt.Sprintf("unknown field %q (see docs/events.md)", t.text)}
	}
	return nil
}

// parseTime accepts RFC 3339 times and plain dates (taken as UTC midnight).
func parseTime(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a time (use RFC 3339 or YYYY-MM-DD)", s)
}
