package sudoers

import (
	"errors"
	"regexp"
	"strings"
)

// scanner walks one logical sudoers line.
type scanner struct {
	s string
	i int
}

var errSyntax = errors.New("syntax error")

func (p *scanner) eof() bool { return p.i >= len(p.s) }

func (p *scanner) peek() byte {
	if p.i < len(p.s) {
		return p.s[p.i]
	}
	return 0
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v'
}

func (p *scanner) ws() {
	for p.i < len(p.s) && isSpace(p.s[p.i]) {
		p.i++
	}
}

// word reads a name: a quoted string, or characters up to white space or one
// of stop. A backslash makes the next character literal.
func (p *scanner) word(stop string) string {
	if p.peek() == '"' {
		return p.quoted()
	}
	var b strings.Builder
	for p.i < len(p.s) {
		c := p.s[p.i]
		if isSpace(c) || strings.IndexByte(stop, c) >= 0 {
			break
		}
		if c == '\\' && p.i+1 < len(p.s) {
			p.i++
			c = p.s[p.i]
		}
		b.WriteByte(c)
		p.i++
	}
	return b.String()
}

// quoted reads a double-quoted string starting at the quote. An unterminated
// quote takes the rest of the line.
func (p *scanner) quoted() string {
	p.i++ // opening quote
	var b strings.Builder
	for p.i < len(p.s) {
		c := p.s[p.i]
		p.i++
		if c == '"' {
			return b.String()
		}
		if c == '\\' && p.i < len(p.s) {
			c = p.s[p.i]
			p.i++
		}
		b.WriteByte(c)
	}
	return b.String()
}

// ipv6 matches an IPv6 address or network, which contains colons that would
// otherwise separate specifications.
var ipv6 = regexp.MustCompile(`^[0-9A-Fa-f]*:[0-9A-Fa-f]*:[0-9A-Fa-f:.]*(/[0-9]+)?`)

// list reads a comma-separated list of possibly negated names. host enables
// IPv6 addresses. It fails when an item is empty.
func (p *scanner) list(stop string, host bool) ([]string, error) {
	var out []string
	for {
		p.ws()
		neg := false
		for p.peek() == '!' {
			neg = !neg
			p.i++
			p.ws()
		}
		var w string
		if m := ipv6.FindString(p.s[p.i:]); host && m != "" {
			w = m
			p.i += len(m)
		} else {
			w = p.word(stop)
		}
		if w == "" {
			return nil, errSyntax
		}
		if neg {
			w = "!" + w
		}
		out = append(out, w)
		p.ws()
		if p.peek() != ',' {
			return out, nil
		}
		p.i++
	}
}

// command reads a command with its arguments up to an unescaped ',' or ':'.
// The escapes \, \: \= and \\ are undone; other backslashes stay, since they
// are meaningful to sudo's glob matching. White space is collapsed.
func (p *scanner) command() string {
	var b strings.Builder
	// A digest ("sha256:...") precedes the path and contains a colon.
	for _, d := range []string{"sha224:", "sha256:", "sha384:", "sha512:"} {
		if strings.HasPrefix(p.s[p.i:], d) {
			b.WriteString(p.word(","))
			p.ws()
			b.WriteByte(' ')
			break
		}
	}
	space := false
	for p.i < len(p.s) {
		c := p.s[p.i]
		if c == ',' || c == ':' {
			break
		}
		if c == '\\' && p.i+1 < len(p.s) && strings.IndexByte(",:=\\", p.s[p.i+1]) >= 0 {
			p.i++
			c = p.s[p.i]
		} else if isSpace(c) {
			space = true
			p.i++
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteByte(c)
		p.i++
	}
	return b.String()
}

// keyword reads an upper-case word followed directly by sep (as in "NOPASSWD:"
// or "CWD="), returning it without moving when it is not there.
func (p *scanner) keyword(sep byte) string {
	j := p.i
	for j < len(p.s) && (p.s[j] >= 'A' && p.s[j] <= 'Z' || p.s[j] == '_') {
		j++
	}
	if j == p.i || j >= len(p.s) || p.s[j] != sep {
		return ""
	}
	return p.s[p.i:j]
}

// validCommand reports whether c (without its '!') is something sudo accepts
// as a command: a path (or directory) with optional arguments, a "^...$"
// regular expression, sudoedit or list with arguments, or a lone ALL or alias
// name. A digest prefix ("sha256:...") is skipped first.
func validCommand(c string) bool {
	f := strings.Fields(c)
	if len(f) > 0 && strings.HasPrefix(f[0], "sha") && strings.Contains(f[0], ":") {
		f = f[1:]
	}
	if len(f) == 0 {
		return false
	}
	switch {
	case f[0][0] == '/' || f[0][0] == '^' || f[0] == "sudoedit" || f[0] == "list":
		return true
	case f[0] == "ALL" || aliasName.MatchString(f[0]):
		return len(f) == 1
	}
	return false
}
