package sca

import (
	"fmt"
	"strconv"
	"strings"
)

// maxLineEvidence bounds a matching line quoted in evidence.
const maxLineEvidence = 200

// lineMatch is where a content expression held (or, for a lone negated term,
// the line that made it fail).
type lineMatch struct {
	ok   bool
	line string
	no   int // 1-based line number
}

// matchLines applies e to text line by line, as Wazuh does:
//
//   - the expression holds when one line satisfies every term (r: matches,
//     !r: does not match, n: captures a number that compares true, a literal
//     equals the whole line);
//   - an expression made of one negated term (`!r:X`) holds when no line
//     matches X;
//   - empty text satisfies nothing.
//
// Lines are split on "\n" with a trailing "\r" removed. An error means the
// expression could not be decided (a number that does not parse, a regex that
// timed out); the rule is then invalid.
func (e *Expr) matchLines(text string) (lineMatch, error) {
	if text == "" {
		return lineMatch{}, nil
	}
	text = strings.TrimRight(text, "\n")
	lone := len(e.Terms) == 1 && e.Terms[0].Negated
	no := 0
	for len(text) > 0 || no == 0 {
		var line string
		line, text, _ = strings.Cut(text, "\n")
		line = strings.TrimSuffix(line, "\r")
		no++
		if lone {
			hit, err := e.Terms[0].test(line)
			if err != nil {
				return lineMatch{}, err
			}
			if hit {
				return lineMatch{ok: false, line: line, no: no}, nil
			}
			continue
		}
		ok, err := e.matchLine(line)
		if err != nil {
			return lineMatch{}, err
		}
		if ok {
			return lineMatch{ok: true, line: line, no: no}, nil
		}
	}
	return lineMatch{ok: lone}, nil
}

// matchLine reports whether one line satisfies every term.
func (e *Expr) matchLine(line string) (bool, error) {
	for i := range e.Terms {
		hit, err := e.Terms[i].test(line)
		if err != nil {
			return false, err
		}
		if hit == e.Terms[i].Negated {
			return false, nil
		}
	}
	return true, nil
}

// test reports whether the term's positive form holds on line.
func (t *Term) test(line string) (bool, error) {
	switch t.Kind {
	case TermRegex:
		ok, err := t.re.match(line)
		if err != nil {
			return false, fmt.Errorf("regex %q: %w", t.Text, err)
		}
		return ok, nil
	case TermNumeric:
		s, ok, err := t.re.submatch(line)
		if err != nil {
			return false, fmt.Errorf("regex %q: %w", t.Text, err)
		}
		if !ok {
			return false, nil
		}
		n, err := leadingInt(s)
		if err != nil {
			return false, fmt.Errorf("numeric test %q: captured %q is not a number", t.Text, s)
		}
		return compareInt(n, t.Op, t.Value), nil
	default:
		return line == t.Text, nil
	}
}

// leadingInt parses an optionally signed decimal integer at the start of s
// (after blanks), ignoring what follows, as C's strtol/stoi do.
func leadingInt(s string) (int64, error) {
	s = strings.TrimLeft(s, " \t")
	end := 0
	if end < len(s) && (s[end] == '-' || s[end] == '+') {
		end++
	}
	digits := end
	for end < len(s) && s[end] >= '0' && s[end] <= '9' {
		end++
	}
	if end == digits {
		return 0, strconv.ErrSyntax
	}
	return strconv.ParseInt(s[:end], 10, 64)
}

func compareInt(a int64, op string, b int64) bool {
	switch op {
	case "<":
		return a < b
	case "<=":
		return a <= b
	case "==":
		return a == b
	case "!=":
		return a != b
	case ">=":
		return a >= b
	case ">":
		return a > b
	}
	return false
}

// quoteLine shortens a line for evidence.
func quoteLine(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > maxLineEvidence {
		return truncate(s, maxLineEvidence)
	}
	return s
}
