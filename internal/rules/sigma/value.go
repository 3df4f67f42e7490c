package sigma

import (
	"encoding/base64"
	"fmt"
	"strings"
	"unicode/utf16"
)

// ptok is one token of a Sigma string: a literal run or a wildcard.
type ptok struct {
	wild byte // 0 for a literal, '*' or '?'
	s    string
}

// pattern is a Sigma string value split into literals and wildcards.
type pattern []ptok

// parseWildcards splits s into literals and the wildcards * and ?. A
// backslash escapes *, ? and itself; before any other character it is kept
// as a literal backslash.
func parseWildcards(s string) pattern {
	var p pattern
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			p = append(p, ptok{s: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s) && (s[i+1] == '*' || s[i+1] == '?' || s[i+1] == '\\'):
			lit.WriteByte(s[i+1])
			i++
		case c == '*' || c == '?':
			flush()
			if c == '*' && len(p) > 0 && p[len(p)-1].wild == '*' {
				continue
			}
			p = append(p, ptok{wild: c})
		default:
			lit.WriteByte(c)
		}
	}
	flush()
	return p
}

func literalPattern(s string) pattern {
	if s == "" {
		return pattern{}
	}
	return pattern{{s: s}}
}

// hasWild reports whether p holds any wildcard.
func (p pattern) hasWild() bool {
	for _, t := range p {
		if t.wild != 0 {
			return true
		}
	}
	return false
}

// literal returns the concatenated literal of a wildcard-free pattern.
func (p pattern) literal() string {
	var b strings.Builder
	for _, t := range p {
		b.WriteString(t.s)
	}
	return b.String()
}

// wrap adds leading and/or trailing * unless already there.
func (p pattern) wrap(lead, trail bool) pattern {
	out := make(pattern, 0, len(p)+2)
	if lead && (len(p) == 0 || p[0].wild != '*') {
		out = append(out, ptok{wild: '*'})
	}
	out = append(out, p...)
	if trail && (len(out) == 0 || out[len(out)-1].wild != '*') {
		out = append(out, ptok{wild: '*'})
	}
	return out
}

// mapLiteral applies f to a wildcard-free pattern; encodings cannot keep
// wildcards, so a pattern with one is an error.
func mapLiteral(ps []pattern, mod string, f func(string) []string) ([]pattern, error) {
	var out []pattern
	for _, p := range ps {
		if p.hasWild() {
			return nil, fmt.Errorf("modifier %s cannot encode a value with wildcards", mod)
		}
		for _, s := range f(p.literal()) {
			out = append(out, literalPattern(s))
		}
	}
	return out, nil
}

func encodeUTF16(s string, bigEndian, bom bool) string {
	u := utf16.Encode([]rune(s))
	b := make([]byte, 0, 2*len(u)+2)
	if bom {
		if bigEndian {
			b = append(b, 0xFE, 0xFF)
		} else {
			b = append(b, 0xFF, 0xFE)
		}
	}
	for _, c := range u {
		if bigEndian {
			b = append(b, byte(c>>8), byte(c))
		} else {
			b = append(b, byte(c), byte(c>>8))
		}
	}
	return string(b)
}

// base64Offsets returns the three base64 forms of s as it appears at byte
// offsets 0, 1 and 2 of a longer encoded text: the characters that depend on
// the unknown neighbouring bytes are cut off.
func base64Offsets(s string) []string {
	out := make([]string, 0, 3)
	for shift := 0; shift < 3; shift++ {
		enc := base64.StdEncoding.EncodeToString([]byte(strings.Repeat(" ", shift) + s))
		start := [3]int{0, 2, 3}[shift]
		end := len(enc)
		switch (len(s) + shift) % 3 {
		case 1:
			end -= 3
		case 2:
			end -= 2
		}
		if start < end {
			out = append(out, enc[start:end])
		}
	}
	return out
}

// windashChars are the characters the windash modifier treats alike.
var windashChars = []string{"-", "/", "\u2013", "\u2014", "\u2015"}

// maxWindash bounds the permutations one value may expand to.
const maxWindash = 1024

func windash(s string) ([]string, error) {
	out := []string{""}
	for _, r := range s {
		c := string(r)
		isDash := false
		for _, d := range windashChars {
			if c == d {
				isDash = true
			}
		}
		if !isDash {
			for i := range out {
				out[i] += c
			}
			continue
		}
		if len(out)*len(windashChars) > maxWindash {
			return nil, fmt.Errorf("windash: more than %d permutations", maxWindash)
		}
		next := make([]string, 0, len(out)*len(windashChars))
		for _, o := range out {
			for _, d := range windashChars {
				next = append(next, o+d)
			}
		}
		out = next
	}
	return out, nil
}

// maxExpand bounds the values one placeholder expansion may give.
const maxExpand = 4096

// expand replaces every %name% in s with each value of the placeholder.
// An unknown placeholder is an error.
func expand(s string, placeholders map[string][]string) ([]string, error) {
	out := []string{""}
	for {
		i := strings.IndexByte(s, '%')
		if i < 0 {
			break
		}
		j := strings.IndexByte(s[i+1:], '%')
		if j < 0 {
			break
		}
		name := s[i+1 : i+1+j]
		vals, ok := placeholders[name]
		if !ok {
			return nil, fmt.Errorf("expand: unknown placeholder %%%s%%", name)
		}
		if len(out)*len(vals) > maxExpand {
			return nil, fmt.Errorf("expand: more than %d values", maxExpand)
		}
		next := make([]string, 0, len(out)*len(vals))
		for _, o := range out {
			for _, v := range vals {
				next = append(next, o+s[:i]+v)
			}
		}
		out = next
		s = s[i+2+j:]
	}
	for i := range out {
		out[i] += s
	}
	return out, nil
}
