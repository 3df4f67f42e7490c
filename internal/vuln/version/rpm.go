package version

import (
	"strings"
)

// RPM is a parsed rpm version: [epoch:]version[-release].
type RPM struct {
	Epoch      string // digits; "" orders like "0"
	HasEpoch   bool   // the version was written with "E:", even an empty one
	Version    string
	Release    string
	HasRelease bool // "1" sorts before "1-" and "1-0"
}

// ParseRPM splits an rpm EVR the way rpm does: the epoch is a run of digits
// before ":" (absent or empty means 0), the release follows the last "-". It
// accepts any string, since rpm compares whatever it is given; it never fails.
func ParseRPM(s string) RPM {
	var v RPM
	i := 0
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	rest := s
	if i < len(s) && s[i] == ':' {
		v.Epoch, v.HasEpoch, rest = s[:i], true, s[i+1:]
	}
	v.Version = rest
	if j := strings.LastIndexByte(rest, '-'); j >= 0 {
		v.Version, v.Release, v.HasRelease = rest[:j], rest[j+1:], true
	}
	return v
}

// String formats the version as it was given (a zero epoch is kept only when
// it was written).
func (v RPM) String() string {
	s := v.Version
	if v.HasEpoch {
		s = v.Epoch + ":" + s
	}
	if v.HasRelease {
		s += "-" + v.Release
	}
	return s
}

// Compare returns -1, 0 or 1 as v sorts before, equal to or after o: epochs
// numerically, then versions and releases with rpmvercmp. A version without a
// release sorts before the same version with one.
func (v RPM) Compare(o RPM) int {
	ea, eb := v.Epoch, o.Epoch
	if ea == "" {
		ea = "0"
	}
	if eb == "" {
		eb = "0"
	}
	if c := compareDigits(ea, eb); c != 0 {
		return c
	}
	if c := RPMVerCmp(v.Version, o.Version); c != 0 {
		return c
	}
	switch {
	case v.HasRelease && !o.HasRelease:
		return 1
	case !v.HasRelease && o.HasRelease:
		return -1
	}
	return RPMVerCmp(v.Release, o.Release)
}

// CompareRPM compares two rpm EVR strings, returning -1, 0 or 1.
func CompareRPM(a, b string) int {
	return ParseRPM(a).Compare(ParseRPM(b))
}

// RPMVerCmp compares one version or release field as rpm's rpmvercmp does:
// separators (anything but ASCII letters, digits, "~" and "^") only split
// segments; "~" sorts before everything, even the end of the string; "^" sorts
// after the end of the string but before anything else; digit runs compare
// numerically and beat letter runs; letter runs compare bytewise.
func RPMVerCmp(a, b string) int {
	if a == b {
		return 0
	}
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		for i < len(a) && !isAlnum(a[i]) && a[i] != '~' && a[i] != '^' {
			i++
		}
		for j < len(b) && !isAlnum(b[j]) && b[j] != '~' && b[j] != '^' {
			j++
		}
		ta, tb := i < len(a) && a[i] == '~', j < len(b) && b[j] == '~'
		if ta || tb {
			if !ta {
				return 1
			}
			if !tb {
				return -1
			}
			i++
			j++
			continue
		}
		ca, cb := i < len(a) && a[i] == '^', j < len(b) && b[j] == '^'
		if ca || cb {
			switch {
			case i >= len(a):
				return -1
			case j >= len(b):
				return 1
			case !ca:
				return 1
			case !cb:
				return -1
			}
			i++
			j++
			continue
		}
		if i >= len(a) || j >= len(b) {
			break
		}
		si, sj := i, j
		num := isDigit(a[i])
		if num {
			for i < len(a) && isDigit(a[i]) {
				i++
			}
			for j < len(b) && isDigit(b[j]) {
				j++
			}
		} else {
			for i < len(a) && isAlpha(a[i]) {
				i++
			}
			for j < len(b) && isAlpha(b[j]) {
				j++
			}
		}
		if sj == j { // b's segment is of the other kind
			if num {
				return 1
			}
			return -1
		}
		var c int
		if num {
			c = compareDigits(a[si:i], b[sj:j])
		} else {
			c = strings.Compare(a[si:i], b[sj:j])
		}
		if c != 0 {
			return c
		}
	}
	switch {
	case i >= len(a) && j >= len(b):
		return 0
	case i >= len(a):
		return -1
	}
	return 1
}

// compareDigits compares two runs of ASCII digits numerically, whatever their
// length.
func compareDigits(a, b string) int {
	a = strings.TrimLeft(a, "0")
	b = strings.TrimLeft(b, "0")
	if len(a) != len(b) {
		return sign(len(a) - len(b))
	}
	return strings.Compare(a, b)
}
