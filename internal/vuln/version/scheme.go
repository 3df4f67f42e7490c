package version

import (
	"fmt"
	"strings"
)

// Scheme names a distribution's version ordering.
type Scheme uint8

// The version schemes vigil knows.
const (
	SchemeUnknown Scheme = iota
	SchemeDpkg           // Debian, Ubuntu
	SchemeRPM            // Red Hat, AlmaLinux, Rocky Linux
	SchemeAPK            // Alpine
)

func (s Scheme) String() string {
	switch s {
	case SchemeDpkg:
		return "dpkg"
	case SchemeRPM:
		return "rpm"
	case SchemeAPK:
		return "apk"
	}
	return fmt.Sprintf("scheme(%d)", uint8(s))
}

// Compare orders two versions with the scheme, returning -1, 0 or 1. An
// unknown scheme orders bytewise; callers must not match ranges under it.
func (s Scheme) Compare(a, b string) int {
	switch s {
	case SchemeDpkg:
		return CompareDpkg(a, b)
	case SchemeRPM:
		return CompareRPM(a, b)
	case SchemeAPK:
		return CompareAPK(a, b)
	}
	return strings.Compare(a, b)
}
