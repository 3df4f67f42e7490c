package pkgdb

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/vigil-sec/vigil/internal/skipped"
)

// dpkgStanza holds the fields of one status stanza that matter here.
type dpkgStanza struct {
	start                           int // line number of the first line
	pkg, status, version, arch, src string
	maint, size                     string
	lines                           int
}

// ParseDpkgStatus parses a dpkg status file (/var/lib/dpkg/status, or one file
// of /var/lib/dpkg/status.d) and returns the packages whose status is
// "installed", whatever the selection (install, hold, deinstall, purge): their
// files are on disk. A stanza without Status, as in status.d, counts as
// installed. Packages in other states (config-files, half-installed,
// not-installed, ...) are left out without being recorded as skipped. Stanzas
// without Package or Version are skipped and recorded under file, as are
// malformed and over-long lines (the rest of their stanza is kept). The error
// is non-nil only when r fails.
func ParseDpkgStatus(r io.Reader, file string) ([]Package, skipped.List, error) {
	var (
		out     bounded
		skip    skipped.List
		st      dpkgStanza
		inField bool // a field line came before, so continuation lines belong to it
	)
	flush := func() {
		if st.lines == 0 {
			return
		}
		if p, ok := st.pkgOrSkip(file, &skip); ok {
			out.add(p, &skip, file, st.start)
		}
		st, inField = dpkgStanza{}, false
	}
	lr := newLineReader(r)
	for {
		line, tooLong, err := lr.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			flush()
			return out.pkgs, skip, fmt.Errorf("dpkg status: %w", err)
		}
		if st.lines == 0 {
			st.start = lr.n
		}
		switch {
		case tooLong:
			st.lines++
			skip.Add(file, lr.n, "line longer than %d bytes", maxLine)
		case len(bytes.TrimSpace(line)) == 0:
			flush()
		case line[0] == ' ' || line[0] == '\t':
			st.lines++
			if !inField {
				skip.Add(file, lr.n, "continuation line without a field")
			}
		case line[0] == '#' && st.lines == 0:
			// Comment lines are allowed in deb822 files outside stanzas.
		default:
			st.lines++
			if inField = st.field(line); !inField {
				skip.Add(file, lr.n, "not a \"Field: value\" line")
			}
		}
	}
	flush()
	return out.pkgs, skip, nil
}

// field stores one "Name: value" line and reports whether the line is a field.
// Values of fields not read here are not copied.
func (st *dpkgStanza) field(line []byte) bool {
	name, value, ok := bytes.Cut(line, []byte{':'})
	if !ok || len(name) == 0 || bytes.ContainsAny(name, " \t") {
		return false
	}
	if dst := st.slot(name); dst != nil {
		*dst = string(bytes.TrimSpace(value))
	}
	return true
}

// slot returns where the value of field name is kept, nil for fields not read
// here. Field names compare case-insensitively, as in deb822.
func (st *dpkgStanza) slot(name []byte) *string {
	is := func(s string) bool { return len(name) == len(s) && bytes.EqualFold(name, []byte(s)) }
	switch {
	case is("Package"):
		return &st.pkg
	case is("Status"):
		return &st.status
	case is("Version"):
		return &st.version
	case is("Architecture"):
		return &st.arch
	case is("Source"):
		return &st.src
	case is("Maintainer"):
		return &st.maint
	case is("Installed-Size"):
		return &st.size
	}
	return nil
}

// pkgOrSkip turns a finished stanza into a package. ok is false for stanzas
// that are not installed packages; damaged ones are recorded in skip.
func (st *dpkgStanza) pkgOrSkip(file string, skip *skipped.List) (Package, bool) {
	what := "stanza"
	if st.pkg != "" {
		what = fmt.Sprintf("package %q", st.pkg)
	}
	switch {
	case st.pkg == "" || strings.ContainsAny(st.pkg, " \t"):
		skip.Add(file, st.start, "stanza without a valid Package field")
		return Package{}, false
	case st.status != "" && !dpkgInstalled(st.status):
		return Package{}, false
	case st.version == "" || strings.ContainsAny(st.version, " \t"):
		skip.Add(file, st.start, "%s: missing or invalid Version", what)
		return Package{}, false
	}
	// A status.d file (distroless) has no Status field: its packages are installed.
	p := Package{
		Name: st.pkg, Version: st.version, Epoch: debEpoch(st.version),
		Architecture: st.arch, Type: TypeDeb, Maintainer: st.maint,
		Source: st.pkg, SourceVersion: st.version,
	}
	if st.src != "" {
		name, ver := splitDebSource(st.src)
		if name != "" {
			p.Source = name
		}
		if ver != "" {
			p.SourceVersion = ver
		}
	}
	if kib, err := strconv.ParseInt(st.size, 10, 64); err == nil && kib > 0 && kib < 1<<40 {
		p.InstalledSize = kib * 1024
	}
	return p, true
}

// dpkgInstalled reports whether a "want flag status" triple says the package is
// installed.
func dpkgInstalled(status string) bool {
	f := strings.Fields(status)
	return len(f) == 3 && f[2] == "installed"
}

// splitDebSource splits a Source field, "name" or "name (version)".
func splitDebSource(s string) (name, version string) {
	name, rest, ok := strings.Cut(s, "(")
	name = strings.TrimSpace(name)
	if !ok {
		return name, ""
	}
	rest, _, ok = strings.Cut(rest, ")")
	if !ok {
		return name, ""
	}
	return name, strings.TrimSpace(rest)
}

// debEpoch returns the epoch of a Debian version, 0 when it has none or it is
// not a number.
func debEpoch(v string) int {
	e, _, ok := strings.Cut(v, ":")
	if !ok {
		return 0
	}
	n, err := strconv.Atoi(e)
	if err != nil || n < 0 {
		return 0
	}
	return n
}
