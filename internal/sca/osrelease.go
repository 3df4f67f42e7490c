package sca

import (
	"errors"
	"io/fs"
	"slices"
	"strings"

	"github.com/vigil-sec/vigil/internal/inventory/system"
)

// OSRelease is the identity of a host from os-release(5).
type OSRelease struct {
	ID        string   // "debian", "ubuntu", "rhel", "alpine"
	IDLike    []string // ID_LIKE, e.g. ["rhel", "fedora"]
	VersionID string
	Name      string
}

// Matches reports whether the host is one of distros (compared with ID and
// ID_LIKE, case-insensitively). An empty list matches every host.
func (o *OSRelease) Matches(distros []string) bool {
	if len(distros) == 0 {
		return true
	}
	if o == nil {
		return false
	}
	for _, d := range distros {
		d = strings.ToLower(d)
		if d == o.ID || slices.Contains(o.IDLike, d) {
			return true
		}
	}
	return false
}

// String names the host's distribution for reasons ("debian 12").
func (o *OSRelease) String() string {
	if o == nil || o.ID == "" {
		return "unknown"
	}
	if o.VersionID != "" {
		return o.ID + " " + o.VersionID
	}
	return o.ID
}

// maxOSReleaseSize bounds the os-release file.
const maxOSReleaseSize = 64 << 10

// ParseOSRelease parses os-release(5) text. Malformed lines are ignored; it
// never fails.
func ParseOSRelease(data []byte) *OSRelease {
	rel, _ := system.ParseOSRelease(data)
	o := &OSRelease{ID: strings.ToLower(rel.ID), VersionID: rel.VersionID, Name: rel.Name}
	for _, l := range rel.IDLike {
		o.IDLike = append(o.IDLike, strings.ToLower(l))
	}
	return o
}

// OSRelease returns e.OS, or reads /etc/os-release (then /usr/lib/os-release)
// through e.Root once per scan. A host without either file gets an empty
// identity, which matches only checks without a distros list.
func (e *Env) OSRelease() *OSRelease {
	if e.OS != nil {
		return e.OS
	}
	v, _ := e.Shared("sca.os-release", func() (any, error) {
		for _, name := range []string{"/etc/os-release", "/usr/lib/os-release"} {
			data, err := e.Root.ReadFile(name, maxOSReleaseSize)
			if err == nil {
				return ParseOSRelease(data), nil
			}
			if !errors.Is(err, fs.ErrNotExist) {
				return &OSRelease{}, err
			}
		}
		return &OSRelease{}, nil
	})
	return v.(*OSRelease)
}
