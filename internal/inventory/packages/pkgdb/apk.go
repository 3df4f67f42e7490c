package pkgdb

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-sec/vigil/internal/skipped"
)

// apkRecord holds the fields of one installed-database record that matter here.
type apkRecord struct {
	start                       int
	name, version, arch, origin string
	maint, size, buildTime      string
	lines                       int
}

// ParseApkInstalled parses apk's installed database (/lib/apk/db/installed):
// records separated by blank lines, each line "X:value" with a one-letter field
// (P name, V version, A arch, o origin, m maintainer, I installed size, t build
// time; the file lists F/R/Z/a lines follow and are ignored). Records without
// P or V are skipped and recorded under file, as are lines that are not fields.
// The error is non-nil only when r fails.
func ParseApkInstalled(r io.Reader, file string) ([]Package, skipped.List, error) {
	var (
		out  bounded
		skip skipped.List
		rec  apkRecord
	)
	flush := func() {
		if rec.lines > 0 {
			if p, ok := rec.pkgOrSkip(file, &skip); ok {
				out.add(p, &skip, file, rec.start)
			}
		}
		rec = apkRecord{}
	}
	lr := newLineReader(r)
	for {
		line, tooLong, err := lr.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			flush()
			return out.pkgs, skip, fmt.Errorf("apk installed database: %w", err)
		}
		if rec.lines == 0 {
			rec.start = lr.n
		}
		switch {
		case tooLong:
			rec.lines++
			skip.Add(file, lr.n, "line longer than %d bytes", maxLine)
		case len(bytes.TrimSpace(line)) == 0:
			flush()
		case len(line) < 2 || line[1] != ':' || line[0] == ' ' || line[0] == '\t':
			rec.lines++
			skip.Add(file, lr.n, "not a \"X:value\" line")
		default:
			rec.lines++
			rec.field(line[0], string(line[2:]))
		}
	}
	flush()
	return out.pkgs, skip, nil
}

func (rec *apkRecord) field(key byte, v string) {
	switch key {
	case 'P':
		rec.name = v
	case 'V':
		rec.version = v
	case 'A':
		rec.arch = v
	case 'o':
		rec.origin = v
	case 'm':
		rec.maint = v
	case 'I':
		rec.size = v
	case 't':
		rec.buildTime = v
	}
}

func (rec *apkRecord) pkgOrSkip(file string, skip *skipped.List) (Package, bool) {
	switch {
	case rec.name == "" || strings.ContainsAny(rec.name, " \t"):
		skip.Add(file, rec.start, "record without a valid package name (P:)")
		return Package{}, false
	case rec.version == "" || strings.ContainsAny(rec.version, " \t"):
		skip.Add(file, rec.start, "package %q: missing or invalid version (V:)", rec.name)
		return Package{}, false
	}
	p := Package{
		Name: rec.name, Version: rec.version, Architecture: rec.arch, Type: TypeAPK,
		Maintainer: rec.maint, Source: rec.name, SourceVersion: rec.version,
	}
	if rec.origin != "" {
		p.Source = rec.origin
	}
	if n, err := strconv.ParseInt(rec.size, 10, 64); err == nil && n > 0 {
		p.InstalledSize = n
	}
	if t, err := strconv.ParseInt(rec.buildTime, 10, 64); err == nil && t > 0 && t < 1<<40 {
		p.BuildTime = time.Unix(t, 0).UTC()
	}
	return p, true
}
