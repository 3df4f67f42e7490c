package osv

import (
	"strings"

	"github.com/vigil-sec/vigil/internal/vuln/version"
)

// Ecosystem is a parsed distribution ecosystem string.
type Ecosystem struct {
	// Raw is the string as the advisory wrote it, e.g. "Ubuntu:Pro:18.04:LTS".
	Raw string
	// Name is the ecosystem without its release: "Debian", "Ubuntu",
	// "AlmaLinux", "Rocky Linux", "Red Hat", "Alpine", or anything else.
	Name string
	// Key is the form vigil indexes and matches by: the same release
	// spelled the same way. Ubuntu's ":LTS" suffix is dropped (osv.dev and
	// its clients write "Ubuntu:22.04" and "Ubuntu:22.04:LTS" for the same
	// release) while ":Pro:" is kept; Red Hat's repository part after "::"
	// is dropped ("Red Hat:enterprise_linux:9::baseos" and "...::appstream"
	// both index as "Red Hat:enterprise_linux:9").
	Key string
	// Scheme is the version ordering of the ecosystem; SchemeUnknown for
	// ecosystems vigil does not match (PyPI, npm, ...).
	Scheme version.Scheme
}

// ParseEcosystem parses an OSV ecosystem string. It accepts any string; the
// Scheme tells whether vigil can match it.
func ParseEcosystem(s string) Ecosystem {
	s = strings.TrimSpace(s)
	e := Ecosystem{Raw: s, Key: s}
	name, rest, _ := strings.Cut(s, ":")
	e.Name = name
	switch name {
	case "Debian":
		e.Scheme = version.SchemeDpkg
	case "Ubuntu":
		e.Scheme = version.SchemeDpkg
		e.Key = strings.TrimSuffix(s, ":LTS")
	case "AlmaLinux", "Rocky Linux":
		e.Scheme = version.SchemeRPM
	case "Red Hat":
		e.Scheme = version.SchemeRPM
		if cpe, _, ok := strings.Cut(rest, "::"); ok {
			e.Key = name + ":" + cpe
		}
	case "Alpine":
		e.Scheme = version.SchemeAPK
	}
	return e
}

// SourceNamed reports whether the ecosystem's advisories name only source
// packages (Debian, Ubuntu, Alpine). The RPM ecosystems are not: AlmaLinux
// names binary RPMs such as kernel-core, Red Hat either kind, and Rocky
// Linux is documented as source-named but shares RPM names for both in
// practice. Matching looks up the installed package's source name for the
// first kind and both its own and its source name for the second.
func (e Ecosystem) SourceNamed() bool {
	switch e.Name {
	case "Debian", "Ubuntu", "Alpine":
		return true
	}
	return false
}
