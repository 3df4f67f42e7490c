package sca

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/dlclark/regexp2"
)

// Regex engines a policy or check may name in its regex_type field.
const (
	RegexPCRE2   = "pcre2"
	RegexOSRegex = "osregex"
)

// regexTimeout bounds one match of a backtracking (regexp2) expression, so a
// pathological pattern on a long line cannot stall a scan.
const regexTimeout = 200 * time.Millisecond

// matcher is a compiled content regex. Matching is always case-insensitive, as
// Wazuh compiles SCA regexes with PCRE2_CASELESS (and os_regex ignores case).
type matcher interface {
	match(s string) (bool, error)
	// submatch returns the first capture group of the leftmost match (the
	// whole match when the pattern has no group) and whether it matched.
	submatch(s string) (string, bool, error)
	groups() int
}

type re2Matcher struct{ re *regexp.Regexp }

func (m re2Matcher) match(s string) (bool, error) { return m.re.MatchString(s), nil }

func (m re2Matcher) submatch(s string) (string, bool, error) {
	sm := m.re.FindStringSubmatch(s)
	if sm == nil {
		return "", false, nil
	}
	if len(sm) > 1 {
		return sm[1], true, nil
	}
	return sm[0], true, nil
}

func (m re2Matcher) groups() int { return m.re.NumSubexp() }

type pcreMatcher struct{ re *regexp2.Regexp }

func (m pcreMatcher) match(s string) (bool, error) { return m.re.MatchString(s) }

func (m pcreMatcher) submatch(s string) (string, bool, error) {
	mt, err := m.re.FindStringMatch(s)
	if err != nil || mt == nil {
		return "", false, err
	}
	if g := mt.GroupByNumber(1); g != nil && len(mt.Groups()) > 1 {
		return g.String(), true, nil
	}
	return mt.String(), true, nil
}

func (m pcreMatcher) groups() int { return len(m.re.GetGroupNumbers()) - 1 }

// regexCache shares compiled expressions between the rules of one policy:
// CIS policies repeat the same few dozen patterns hundreds of times.
type regexCache map[string]matcher

// compile compiles pattern for engine. PCRE2 patterns go to Go's regexp (RE2)
// first; only those RE2 refuses (lookarounds, backreferences, possessive
// quantifiers...) fall back to regexp2, a backtracking engine with PCRE-like
// syntax, bounded by a match timeout. os_regex patterns are translated to RE2.
func (c regexCache) compile(engine, pattern string) (matcher, error) {
	key := engine + "\x00" + pattern
	if m, ok := c[key]; ok {
		return m, nil
	}
	m, err := compileRegex(engine, pattern)
	if err != nil {
		return nil, err
	}
	c[key] = m
	return m, nil
}

func compileRegex(engine, pattern string) (matcher, error) {
	if engine == RegexOSRegex {
		re, err := regexp.Compile("(?i)" + translateOSRegex(pattern))
		if err != nil {
			return nil, fmt.Errorf("bad os_regex %q: %w", pattern, err)
		}
		return re2Matcher{re}, nil
	}
	re, err := regexp.Compile("(?i)" + pattern)
	if err == nil {
		return re2Matcher{re}, nil
	}
	re2, err2 := regexp2.Compile(pattern, regexp2.IgnoreCase)
	if err2 != nil {
		return nil, fmt.Errorf("bad regex %q: %w", pattern, err2)
	}
	re2.MatchTimeout = regexTimeout
	return pcreMatcher{re2}, nil
}

// translateOSRegex rewrites an OSSEC os_regex pattern as an RE2 pattern. In
// os_regex "\." is any character and "." a literal dot; "\w" is letters,
// digits, "-" and "@"; "\s" is a space; "\p" is punctuation; "^ $ | + * ? ( )"
// keep their usual meaning and everything else is literal.
func translateOSRegex(p string) string {
	const punct = `[()*+,\-.:;<=>?\[\]!"'#$%&|{}]`
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		ch := p[i]
		if ch == '\\' && i+1 < len(p) {
			i++
			switch p[i] {
			case 'w':
				b.WriteString(`[A-Za-z0-9@\-]`)
			case 'W':
				b.WriteString(`[^A-Za-z0-9@\-]`)
			case 'd':
				b.WriteString(`[0-9]`)
			case 'D':
				b.WriteString(`[^0-9]`)
			case 's':
				b.WriteString(`[ ]`)
			case 'S':
				b.WriteString(`[^ ]`)
			case 't':
				b.WriteString(`\t`)
			case 'p':
				b.WriteString(punct)
			case '.':
				b.WriteString(`(?s:.)`)
			default:
				b.WriteString(regexp.QuoteMeta(string(p[i])))
			}
			continue
		}
		switch ch {
		case '^', '$', '|', '+', '*', '?', '(', ')':
			b.WriteByte(ch)
		default:
			b.WriteString(regexp.QuoteMeta(string(ch)))
		}
	}
	return b.String()
}
