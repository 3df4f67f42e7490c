// Package version orders package versions the way each distribution's package
// manager does, so installed versions can be compared with advisories and
// update candidates: dpkg (Debian, Ubuntu), rpm (Red Hat, AlmaLinux, Rocky
// Linux) and apk (Alpine).
package version

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Dpkg is a parsed Debian package version: [epoch:]upstream[-revision].
type Dpkg struct {
	Epoch    int
	Upstream string
	Revision string // "" when absent, which orders like "0"
}

// Errors returned by ParseDpkg, wrapped with the offending version.
var (
	ErrEmpty        = errors.New("empty version")
	ErrBadEpoch     = errors.New("epoch is not a number")
	ErrEmptyPart    = errors.New("empty upstream version or revision")
	ErrNoLeadDigit  = errors.New("upstream version does not start with a digit")
	ErrBadCharacter = errors.New("invalid character in version")
)

// ParseDpkg parses and validates a version as dpkg does: leading and trailing
// white space is ignored, the epoch runs up to the first ":" and must be a
// non-negative decimal number, the revision follows the last "-" and must not be
// empty, the upstream version must start with a digit and contain only
// letters, digits and ".+~-:" ("-" only when there is a revision, ":" only when
// there is an epoch), the revision only letters, digits and ".+~".
func ParseDpkg(s string) (Dpkg, error) {
	var v Dpkg
	str := strings.TrimSpace(s)
	if str == "" {
		return v, fmt.Errorf("version %q: %w", s, ErrEmpty)
	}
	if strings.ContainsAny(str, " \t\r\n") {
		return v, fmt.Errorf("version %q: embedded white space: %w", s, ErrBadCharacter)
	}
	rest := str
	if e, r, ok := strings.Cut(str, ":"); ok {
		n, err := strconv.ParseUint(e, 10, 31)
		if e == "" || err != nil || n > math.MaxInt32 {
			return v, fmt.Errorf("version %q: %w", s, ErrBadEpoch)
		}
		v.Epoch = int(n)
		rest = r
	}
	v.Upstream = rest
	if i := strings.LastIndexByte(rest, '-'); i >= 0 {
		v.Upstream, v.Revision = rest[:i], rest[i+1:]
		if v.Revision == "" {
			return v, fmt.Errorf("version %q: %w", s, ErrEmptyPart)
		}
	}
	if v.Upstream == "" {
		return v, fmt.Errorf("version %q: %w", s, ErrEmptyPart)
	}
	if !isDigit(v.Upstream[0]) {
		return v, fmt.Errorf("version %q: %w", s, ErrNoLeadDigit)
	}
	for i := 0; i < len(v.Upstream); i++ {
		if c := v.Upstream[i]; !isAlnum(c) && !strings.ContainsRune(".-+~:", rune(c)) {
			return v, fmt.Errorf("version %q: %q: %w", s, c, ErrBadCharacter)
		}
	}
	for i := 0; i < len(v.Revision); i++ {
		if c := v.Revision[i]; !isAlnum(c) && !strings.ContainsRune(".+~", rune(c)) {
			return v, fmt.Errorf("version %q: %q: %w", s, c, ErrBadCharacter)
		}
	}
	return v, nil
}

// String formats the version as dpkg prints it (epoch only when non-zero or
// needed because the upstream version holds a colon).
func (v Dpkg) String() string {
	s := v.Upstream
	if v.Epoch != 0 || strings.Contains(s, ":") {
		s = strconv.Itoa(v.Epoch) + ":" + s
	}
	if v.Revision != "" {
		s += "-" + v.Revision
	}
	return s
}

// Compare returns -1, 0 or 1 as v sorts before, equal to or after o.
func (v Dpkg) Compare(o Dpkg) int {
	switch {
	case v.Epoch < o.Epoch:
		return -1
	case v.Epoch > o.Epoch:
		return 1
	}
	if c := compareFragment(v.Upstream, o.Upstream); c != 0 {
		return c
	}
	return compareFragment(v.Revision, o.Revision)
}

// CompareDpkg compares two version strings as `dpkg --compare-versions` does,
// returning -1, 0 or 1. Invalid versions are compared as well as possible (a
// numeric prefix before ":" as the epoch, the rest split at the last "-"), the
// way dpkg compares them after its warning; it never panics.
func CompareDpkg(a, b string) int {
	return lenientDpkg(a).Compare(lenientDpkg(b))
}

func lenientDpkg(s string) Dpkg {
	if v, err := ParseDpkg(s); err == nil {
		return v
	}
	var v Dpkg
	rest := strings.TrimSpace(s)
	if e, r, ok := strings.Cut(rest, ":"); ok {
		if n, err := strconv.ParseUint(e, 10, 31); err == nil {
			v.Epoch = int(n)
			rest = r
		}
	}
	v.Upstream = rest
	if i := strings.LastIndexByte(rest, '-'); i >= 0 {
		v.Upstream, v.Revision = rest[:i], rest[i+1:]
	}
	return v
}

// order gives a character's weight among non-digits: "~" before the end of
// the string, the end before letters, letters before everything else.
func order(c int) int {
	switch {
	case c < 0: // end of string
		return 0
	case isDigit(byte(c)):
		return 0
	case isAlpha(byte(c)):
		return c
	case c == '~':
		return -1
	}
	return c + 256
}

// compareFragment compares upstream versions or revisions: alternating runs of
// non-digits (by order) and digits (numerically, leading zeros ignored).
func compareFragment(a, b string) int {
	i, j := 0, 0
	at := func(s string, k int) int {
		if k < len(s) {
			return int(s[k])
		}
		return -1
	}
	for i < len(a) || j < len(b) {
		for (i < len(a) && !isDigit(a[i])) || (j < len(b) && !isDigit(b[j])) {
			ac, bc := order(at(a, i)), order(at(b, j))
			if ac != bc {
				return sign(ac - bc)
			}
			i++
			j++
		}
		for i < len(a) && a[i] == '0' {
			i++
		}
		for j < len(b) && b[j] == '0' {
			j++
		}
		first := 0
		for i < len(a) && j < len(b) && isDigit(a[i]) && isDigit(b[j]) {
			if first == 0 {
				first = int(a[i]) - int(b[j])
			}
			i++
			j++
		}
		if i < len(a) && isDigit(a[i]) {
			return 1
		}
		if j < len(b) && isDigit(b[j]) {
			return -1
		}
		if first != 0 {
			return sign(first)
		}
	}
	return 0
}

func sign(n int) int {
	switch {
	case n < 0:
		return -1
	case n > 0:
		return 1
	}
	return 0
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isAlpha(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isAlnum(c byte) bool { return isDigit(c) || isAlpha(c) }
