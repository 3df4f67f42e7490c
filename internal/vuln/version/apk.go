package version

import (
	"errors"
	"fmt"
	"strings"
)

// ErrAPKSyntax reports a version that does not follow Alpine's grammar.
var ErrAPKSyntax = errors.New("not an Alpine package version")

// apkClass orders the tokens of an Alpine version where two versions first
// differ in kind: a pre-release suffix sorts lowest, then a broken tail, the
// end, the revision, the commit hash, a suffix number, a post-release suffix,
// a letter, and a further dotted number highest. So 1.0_rc1 < 1.0 < 1.0-r0 <
// 1.0_p1 < 1.0a < 1.0.1.
type apkClass uint8

const (
	apkPreSuffix apkClass = iota
	apkInvalid
	apkEnd
	apkRevision
	apkHash
	apkSuffixNo
	apkPostSuffix
	apkLetter
	apkDigit
	apkInitialDigit
)

// apkSuffixes lists Alpine's suffixes in order; the first four are
// pre-release.
var apkSuffixes = []string{"alpha", "beta", "pre", "rc", "cvs", "svn", "git", "hg", "p"}

const apkPreReleases = 4

type apkToken struct {
	class apkClass
	text  string // digits, letter, hash or broken tail
	rank  int    // suffix index
}

// APK is a parsed Alpine package version:
// digits{.digits}[letter]{_suffix[digits]}[~hash][-rN].
type APK struct {
	raw    string
	tokens []apkToken
	valid  bool
}

// ParseAPK parses an Alpine version, returning ErrAPKSyntax (and the parsed
// valid prefix, which CompareAPK uses) when it does not follow the grammar.
func ParseAPK(s string) (APK, error) {
	v := APK{raw: s, valid: true}
	rest := s
	fail := func() (APK, error) {
		v.valid = false
		v.tokens = append(v.tokens, apkToken{class: apkInvalid, text: rest})
		return v, fmt.Errorf("version %q: %w", s, ErrAPKSyntax)
	}
	d := digitRun(rest)
	if d == "" {
		return fail()
	}
	v.tokens = append(v.tokens, apkToken{class: apkInitialDigit, text: d})
	rest = rest[len(d):]
	for len(rest) > 1 && rest[0] == '.' && isDigit(rest[1]) {
		d = digitRun(rest[1:])
		v.tokens = append(v.tokens, apkToken{class: apkDigit, text: d})
		rest = rest[1+len(d):]
	}
	if rest != "" && rest[0] >= 'a' && rest[0] <= 'z' {
		v.tokens = append(v.tokens, apkToken{class: apkLetter, text: rest[:1]})
		rest = rest[1:]
	}
	for rest != "" && rest[0] == '_' {
		k := suffixIndex(rest[1:])
		if k < 0 {
			return fail()
		}
		c := apkPostSuffix
		if k < apkPreReleases {
			c = apkPreSuffix
		}
		v.tokens = append(v.tokens, apkToken{class: c, rank: k})
		rest = rest[1+len(apkSuffixes[k]):]
		if d = digitRun(rest); d != "" {
			v.tokens = append(v.tokens, apkToken{class: apkSuffixNo, text: d})
			rest = rest[len(d):]
		}
	}
	if rest != "" && rest[0] == '~' {
		n := 1
		for n < len(rest) && (isDigit(rest[n]) || rest[n] >= 'a' && rest[n] <= 'f') {
			n++
		}
		if n == 1 {
			return fail()
		}
		v.tokens = append(v.tokens, apkToken{class: apkHash, text: rest[1:n]})
		rest = rest[n:]
	}
	if strings.HasPrefix(rest, "-r") {
		if d = digitRun(rest[2:]); d == "" {
			return fail()
		}
		v.tokens = append(v.tokens, apkToken{class: apkRevision, text: d})
		rest = rest[2+len(d):]
	}
	if rest != "" {
		return fail()
	}
	return v, nil
}

// suffixIndex returns the index of the suffix s starts with, or -1. "pre" is
// tried before "p".
func suffixIndex(s string) int {
	best := -1
	for k, suf := range apkSuffixes {
		if strings.HasPrefix(s, suf) && (best < 0 || len(suf) > len(apkSuffixes[best])) {
			best = k
		}
	}
	return best
}

func digitRun(s string) string {
	n := 0
	for n < len(s) && isDigit(s[n]) {
		n++
	}
	return s[:n]
}

// Valid reports whether the version followed Alpine's grammar.
func (v APK) Valid() bool { return v.valid }

func (v APK) String() string { return v.raw }

// Compare returns -1, 0 or 1 as v sorts before, equal to or after o, as
// apk-tools orders versions: token by token; numbers numerically, except that
// a dotted number with a leading zero is compared as a decimal fraction
// (1.01 < 1.1); suffixes in the order _alpha _beta _pre _rc (before the
// release) and _cvs _svn _git _hg _p (after it); where the versions first
// differ in kind, by apkClass. A version that does not parse compares by its
// valid prefix, then sorts below any valid continuation, then bytewise.
func (v APK) Compare(o APK) int {
	for k := 0; ; k++ {
		a, b := v.token(k), o.token(k)
		if a.class != b.class {
			return sign(int(a.class) - int(b.class))
		}
		if c := a.compare(b); c != 0 {
			return c
		}
		if a.class == apkEnd || a.class == apkInvalid {
			return 0
		}
	}
}

func (v APK) token(k int) apkToken {
	if k < len(v.tokens) {
		return v.tokens[k]
	}
	return apkToken{class: apkEnd}
}

func (a apkToken) compare(b apkToken) int {
	switch a.class {
	case apkDigit:
		if strings.HasPrefix(a.text, "0") || strings.HasPrefix(b.text, "0") {
			return strings.Compare(a.text, b.text)
		}
		return compareDigits(a.text, b.text)
	case apkInitialDigit, apkSuffixNo, apkRevision:
		return compareDigits(a.text, b.text)
	case apkPreSuffix, apkPostSuffix:
		return sign(a.rank - b.rank)
	}
	return strings.Compare(a.text, b.text)
}

// CompareAPK compares two Alpine version strings, returning -1, 0 or 1. It
// never panics; invalid versions are ordered as APK.Compare describes.
func CompareAPK(a, b string) int {
	va, _ := ParseAPK(a)
	vb, _ := ParseAPK(b)
	return va.Compare(vb)
}
