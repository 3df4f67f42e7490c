package storetest

import (
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/query"
)

// matches is the reference semantics of the query language, evaluated in Go
// over one event: what every store must return. A missing field matches
// nothing; not inverts; text fields match substrings, case-insensitively
// (ASCII); keywords match exactly or by wildcard, case-sensitively.
func matches(n query.Node, e *event.Event) bool {
	switch n := n.(type) {
	case query.All:
		return true
	case query.And:
		return matches(n.Left, e) && matches(n.Right, e)
	case query.Or:
		return matches(n.Left, e) || matches(n.Right, e)
	case query.Not:
		return !matches(n.Node, e)
	case query.Exists:
		v, ok := e.Get(n.Field)
		if s, isList := v.([]string); isList {
			return len(s) > 0
		}
		return ok
	case query.Text:
		return anyValue(e, []string{"message", "process.command_line"}, func(s string) bool {
			return strings.Contains(strings.ToLower(s), strings.ToLower(n.Value))
		})
	case query.Match:
		return matchValue(n, e)
	case query.Range:
		return rangeValue(n, e)
	}
	return false
}

func anyValue(e *event.Event, fields []string, pred func(string) bool) bool {
	for _, f := range fields {
		v, ok := e.Get(f)
		if !ok {
			continue
		}
		switch v := v.(type) {
		case string:
			if pred(v) {
				return true
			}
		case []string:
			for _, s := range v {
				if pred(s) {
					return true
				}
			}
		}
	}
	return false
}

func matchValue(m query.Match, e *event.Event) bool {
	v, ok := e.Get(m.Field)
	if !ok {
		return false
	}
	switch v := v.(type) {
	case int64:
		want, err := strconv.ParseInt(m.Value, 10, 64)
		return err == nil && v == want
	case time.Time:
		want, err := time.Parse(time.RFC3339Nano, m.Value)
		return err == nil && v.Equal(want)
	}
	text := query.TextFields[m.Field]
	var pred func(string) bool
	switch {
	case m.Wildcard:
		re := wildcardRegexp(m.Value, text)
		pred = re.MatchString
	case text:
		pred = func(s string) bool { return strings.Contains(strings.ToLower(s), strings.ToLower(m.Value)) }
	default:
		pred = func(s string) bool { return s == m.Value }
	}
	return anyValue(e, []string{m.Field}, pred)
}

// wildcardRegexp is the regexp of a query wildcard value (* any run, ? one
// character, backslash escapes); text fields match anywhere, ignoring case.
func wildcardRegexp(raw string, text bool) *regexp.Regexp {
	var b strings.Builder
	if text {
		b.WriteString("(?is)")
	} else {
		b.WriteString("(?s)^")
	}
	for i := 0; i < len(raw); i++ {
		switch ch := raw[i]; {
		case ch == '\\' && i+1 < len(raw):
			i++
			b.WriteString(regexp.QuoteMeta(string(raw[i])))
		case ch == '*':
			b.WriteString(".*")
		case ch == '?':
			b.WriteString(".")
		default:
			b.WriteString(regexp.QuoteMeta(string(ch)))
		}
	}
	if !text {
		b.WriteString("$")
	}
	return regexp.MustCompile(b.String())
}

func rangeValue(r query.Range, e *event.Event) bool {
	v, ok := e.Get(r.Field)
	if !ok {
		return false
	}
	var c int
	switch v := v.(type) {
	case int64:
		want, err := strconv.ParseInt(r.Value, 10, 64)
		if err != nil {
			return false
		}
		c = cmp(v, want)
	case time.Time:
		want, err := time.Parse(time.RFC3339Nano, r.Value)
		if err != nil {
			return false
		}
		c = v.Compare(want)
	case string:
		c = strings.Compare(v, r.Value)
	case []string:
		for _, s := range v {
			if holds(r.Op, strings.Compare(s, r.Value)) {
				return true
			}
		}
		return false
	}
	return holds(r.Op, c)
}

func cmp(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func holds(op string, c int) bool {
	switch op {
	case ">":
		return c > 0
	case ">=":
		return c >= 0
	case "<":
		return c < 0
	case "<=":
		return c <= 0
	}
	return false
}
