// Package query is vigil's search language, the one Kibana users know (KQL):
//
//	process.name:sshd and not user.name:root
//	event.action:(ssh_login or sudo) and source.ip:10.*
//	process.command_line:"curl http" or wget
//	process.pid >= 1000
//	file.hash.sha256:*
//
// A query is parsed into an AST (Parse) and compiled to a parameterised SQL
// WHERE clause for a store's Dialect (Compile). No part of the input ever
// reaches SQL as text: field names are checked against the event schema and
// mapped to expressions by the dialect, values are always bound parameters.
//
// Semantics:
//   - field:value matches a keyword field exactly; `*` and `?` in an unquoted
//     value are wildcards; on text fields (message, process.command_line,
//     process.title, ...) a value matches as a case-insensitive substring.
//   - field:"quoted phrase" is the same without wildcards.
//   - field:(a or b and c) applies the operators to the values of one field.
//   - field:* is true when the field exists.
//   - field > | >= | < | <= value compares numbers and times.
//   - a bare word or phrase is a case-insensitive substring search in message
//     and process.command_line.
//   - and binds tighter than or; juxtaposed terms are joined by and; not
//     negates the term that follows; keywords are case-insensitive.
package query

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxLength bounds a query's size, and MaxDepth its nesting.
const (
	MaxLength = 16 << 10
	MaxDepth  = 64
)

// Node is a node of the query AST.
type Node interface{ node() }

// And, Or and Not combine nodes.
type (
	And struct{ Left, Right Node }
	Or  struct{ Left, Right Node }
	Not struct{ Node Node }
)

// Match is field:value. Wildcard is set when an unquoted value holds * or ?.
type Match struct {
	Field    string
	Value    string
	Wildcard bool
	Quoted   bool
}

// Exists is field:*.
type Exists struct{ Field string }

// Range is field OP value with OP one of > >= < <=.
type Range struct {
	Field string
	Op    string
	Value string
}

// Text is a bare word or phrase searched in the free-text fields.
type Text struct {
	Value  string
	Quoted bool
}

// All matches every event (the empty query).
type All struct{}

func (And) node()    {}
func (Or) node()     {}
func (Not) node()    {}
func (Match) node()  {}
func (Exists) node() {}
func (Range) node()  {}
func (Text) node()   {}
func (All) node()    {}

// Error is a syntax or field error with its position (1-based column).
type Error struct {
	Column int
	Msg    string
}

func (e *Error) Error() string { return fmt.Sprintf("query: column %d: %s", e.Column, e.Msg) }

type tokKind int

const (
	tEOF tokKind = iota
	tWord
	tQuoted
	tColon
	tLParen
	tRParen
	tCmp
	tAnd
	tOr
	tNot
)

type token struct {
	kind tokKind
	text string
	col  int // 1-based column of the first character
	end  int // byte offset just after the token
}

func lex(s string) ([]token, error) {
	var toks []token
	i := 0
	for i < len(s) {
		r, w := utf8.DecodeRuneInString(s[i:])
		col := utf8.RuneCountInString(s[:i]) + 1
		switch {
		case unicode.IsSpace(r):
			i += w
		case r == '(':
			toks = append(toks, token{tLParen, "(", col, i + 1})
			i++
		case r == ')':
			toks = append(toks, token{tRParen, ")", col, i + 1})
			i++
		case r == ':':
			toks = append(toks, token{tColon, ":", col, i + 1})
			i++
		case r == '>' || r == '<':
			op := string(r)
			if i+1 < len(s) && s[i+1] == '=' {
				op += "="
			}
			toks = append(toks, token{tCmp, op, col, i + len(op)})
			i += len(op)
		case r == '"':
			var b strings.Builder
			j := i + 1
			closed := false
			for j < len(s) {
				c := s[j]
				if c == '\\' && j+1 < len(s) {
					b.WriteByte(s[j+1])
					j += 2
					continue
				}
				if c == '"' {
					closed = true
					j++
					break
				}
				b.WriteByte(c)
				j++
			}
			if !closed {
				return nil, &Error{col, "unterminated quoted string"}
			}
			toks = append(toks, token{tQuoted, b.String(), col, j})
			i = j
		default:
			var b strings.Builder
			j := i
			for j < len(s) {
				c, cw := utf8.DecodeRuneInString(s[j:])
				if unicode.IsSpace(c) || strings.ContainsRune("():<>\"", c) {
					break
				}
				if c == '\\' && j+1 < len(s) {
					n, nw := utf8.DecodeRuneInString(s[j+1:])
					b.WriteByte('\\')
					b.WriteRune(n)
					j += 1 + nw
					continue
				}
				if c == utf8.RuneError && cw == 1 {
					return nil, &Error{col, "invalid UTF-8"}
				}
				b.WriteRune(c)
				j += cw
			}
			word := b.String()
			kind := tWord
			switch strings.ToLower(word) {
			case "and":
				kind = tAnd
			case "or":
				kind = tOr
			case "not":
				kind = tNot
			}
			toks = append(toks, token{kind, word, col, j})
			i = j
		}
	}
	return append(toks, token{tEOF, "", utf8.RuneCountInString(s) + 1, len(s) + 1}), nil
}

type parser struct {
	toks  []token
	pos   int
	depth int
}

// Parse parses a query. The empty query matches everything.
func Parse(s string) (Node, error) {
	if len(s) > MaxLength {
		return nil, &Error{1, fmt.Sprintf("query longer than %d bytes", MaxLength)}
	}
	if !utf8.ValidString(s) {
		return nil, &Error{1, "invalid UTF-8"}
	}
	toks, err := lex(s)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks}
	if p.peek().kind == tEOF {
		return All{}, nil
	}
	n, err := p.or()
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tEOF {
		return nil, &Error{t.col, fmt.Sprintf("unexpected %q", t.text)}
	}
	return n, nil
}

func (p *parser) peek() token { return p.toks[p.pos] }

// glue extends a word value with directly following words and colons, so
// that values such as 2026-11-01T10:00:00Z and fe80::1 need no quotes. A
// keyword glued to the value ("a:b:and") is part of it.
func (p *parser) glue(t token) token {
	for {
		n := p.peek()
		if n.end-len(n.text) != t.end || (n.kind != tColon && n.kind != tWord && n.kind != tAnd && n.kind != tOr && n.kind != tNot) {
			return t
		}
		p.next()
		t.text += n.text
		t.end = n.end
		t.kind = tWord
	}
}
func (p *parser) next() token { t := p.toks[p.pos]; p.pos++; return t }

func (p *parser) enter(col int) error {
	p.depth++
	if p.depth > MaxDepth {
		return &Error{col, fmt.Sprintf("nested deeper than %d", MaxDepth)}
	}
	return nil
}

func (p *parser) or() (Node, error) {
	left, err := p.and()
	if err != nil {
		return nil, err
	}
	for p.peek().kind == tOr {
		p.next()
		right, err := p.and()
		if err != nil {
			return nil, err
		}
		left = Or{left, right}
	}
	return left, nil
}

func (p *parser) and() (Node, error) {
	left, err := p.unary()
	if err != nil {
		return nil, err
	}
	for {
		switch p.peek().kind {
		case tAnd:
			p.next()
		case tWord, tQuoted, tLParen, tNot:
			// juxtaposition means and
		default:
			return left, nil
		}
		right, err := p.unary()
		if err != nil {
			return nil, err
		}
		left = And{left, right}
	}
}

func (p *parser) unary() (Node, error) {
	t := p.peek()
	if err := p.enter(t.col); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	switch t.kind {
	case tNot:
		p.next()
		n, err := p.unary()
		if err != nil {
			return nil, err
		}
		return Not{n}, nil
	case tLParen:
		p.next()
		n, err := p.or()
		if err != nil {
			return nil, err
		}
		if c := p.next(); c.kind != tRParen {
			return nil, &Error{c.col, "missing )"}
		}
		return n, nil
	case tQuoted:
		p.next()
		return Text{Value: t.text, Quoted: true}, nil
	case tWord:
		p.next()
		switch p.peek().kind {
		case tColon:
			p.next()
			return p.fieldValue(t)
		case tCmp:
			op := p.next()
			v := p.next()
			if v.kind == tWord {
				v = p.glue(v)
			}
			if v.kind != tWord && v.kind != tQuoted {
				return nil, &Error{v.col, fmt.Sprintf("%s needs a value", op.text)}
			}
			if err := checkField(t); err != nil {
				return nil, err
			}
			return Range{Field: t.text, Op: op.text, Value: unescape(v.text)}, nil
		}
		return Text{Value: unescape(t.text)}, nil
	case tEOF:
		return nil, &Error{t.col, "unexpected end of query"}
	}
	return nil, &Error{t.col, fmt.Sprintf("unexpected %q", t.text)}
}

// fieldValue parses what follows "field:".
func (p *parser) fieldValue(field token) (Node, error) {
	if err := checkField(field); err != nil {
		return nil, err
	}
	t := p.peek()
	switch t.kind {
	case tWord:
		p.next()
		t = p.glue(t)
		if t.text == "*" {
			return Exists{field.text}, nil
		}
		return wordMatch(field.text, t.text), nil
	case tQuoted:
		p.next()
		return Match{Field: field.text, Value: t.text, Quoted: true}, nil
	case tLParen:
		p.next()
		n, err := p.valueOr(field.text)
		if err != nil {
			return nil, err
		}
		if c := p.next(); c.kind != tRParen {
			return nil, &Error{c.col, "missing ) after the values of " + field.text}
		}
		return n, nil
	}
	return nil, &Error{t.col, fmt.Sprintf("%s: needs a value", field.text)}
}

// valueOr parses `a or b and not c` inside field:( ... ).
func (p *parser) valueOr(field string) (Node, error) {
	left, err := p.valueAnd(field)
	if err != nil {
		return nil, err
	}
	for p.peek().kind == tOr {
		p.next()
		right, err := p.valueAnd(field)
		if err != nil {
			return nil, err
		}
		left = Or{left, right}
	}
	return left, nil
}

func (p *parser) valueAnd(field string) (Node, error) {
	left, err := p.valueUnary(field)
	if err != nil {
		return nil, err
	}
	for {
		switch p.peek().kind {
		case tAnd:
			p.next()
		case tWord, tQuoted, tNot, tLParen:
		default:
			return left, nil
		}
		right, err := p.valueUnary(field)
		if err != nil {
			return nil, err
		}
		left = And{left, right}
	}
}

func (p *parser) valueUnary(field string) (Node, error) {
	t := p.next()
	if err := p.enter(t.col); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	switch t.kind {
	case tNot:
		n, err := p.valueUnary(field)
		if err != nil {
			return nil, err
		}
		return Not{n}, nil
	case tLParen:
		n, err := p.valueOr(field)
		if err != nil {
			return nil, err
		}
		if c := p.next(); c.kind != tRParen {
			return nil, &Error{c.col, "missing )"}
		}
		return n, nil
	case tWord:
		return wordMatch(field, p.glue(t).text), nil
	case tQuoted:
		return Match{Field: field, Value: t.text, Quoted: true}, nil
	}
	return nil, &Error{t.col, fmt.Sprintf("expected a value for %s, found %q", field, t.text)}
}

// wordMatch builds the match of an unquoted value: unescaped *, ? are
// wildcards; escaped ones are literal.
func wordMatch(field, raw string) Node {
	wild := false
	for i := 0; i < len(raw); i++ {
		if raw[i] == '\\' {
			i++
			continue
		}
		if raw[i] == '*' || raw[i] == '?' {
			wild = true
		}
	}
	if wild {
		return Match{Field: field, Value: raw, Wildcard: true}
	}
	return Match{Field: field, Value: unescape(raw)}
}

func unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
