package sca

import (
	"bufio"
	"bytes"
	"errors"
	"io/fs"
	"slices"
	"strings"
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
	o := &OSRelease{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), maxOSReleaseSize)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		k, v, ok := strings.Cut(line, "=")
		if !ok || strings.HasPrefix(line, "#") {
			continue
		}
		v = unquoteOSRelease(strings.TrimSpace(v))
		switch strings.TrimSpace(k) {
		case "ID":
			o.ID = strings.ToLower(v)
		case "ID_LIKE":
			for f := range strings.FieldsSeq(strings.ToLower(v)) {
				o.IDLike = append(o.IDLike, f)
			}
		case "VERSION_ID":
			o.VersionID = v
		case "NAME":
			o.Name = v
		}
	}
	return o
}

func unquoteOSRelease(v string) string {
	if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
		v = v[1 : len(v)-1]
	}
	if strings.Contains(v, `\`) {
		var b strings.Builder
		for i := 0; i < len(v); i++ {
			if v[i] == '\\' && i+1 < len(v) {
				i++
			}
			b.WriteByte(v[i])
		}
		v = b.String()
	}
	return v
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
