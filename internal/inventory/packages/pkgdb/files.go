package pkgdb

import (
	"bytes"
	"fmt"
	"io"

	"github.com/vigil-sec/vigil/internal/skipped"
)

// MaxPath bounds one file path in a package's file list (PATH_MAX).
const MaxPath = 4096

// maxSkipsPerFile bounds how many skipped lines one file list records, so a
// file of garbage cannot grow the skipped list without end.
const maxSkipsPerFile = 100

// skipper records skipped lines of one file up to maxSkipsPerFile.
type skipper struct {
	file string
	list skipped.List
	n    int
}

func (s *skipper) add(line int, format string, args ...any) {
	s.n++
	switch {
	case s.n <= maxSkipsPerFile:
		s.list.Add(s.file, line, format, args...)
	case s.n == maxSkipsPerFile+1:
		s.list.Add(s.file, line, "more than %d bad lines, the rest are not listed", maxSkipsPerFile)
	}
}

// validPath reports whether p can be a path of an installed file: absolute, at
// most MaxPath bytes, without NUL bytes.
func validPath(p []byte) bool {
	return len(p) > 0 && p[0] == '/' && len(p) <= MaxPath && bytes.IndexByte(p, 0) < 0
}

// ParseDpkgList parses a dpkg file list (/var/lib/dpkg/info/<pkg>.list, or
// <pkg>:<arch>.list for Multi-Arch: same packages): one absolute path per line,
// directories included ("/." stands for the root). emit is called for every
// path; its argument is valid only during the call. Lines that are not absolute
// paths, or are longer than MaxPath, are skipped and recorded under file. The
// error is non-nil only when r fails.
func ParseDpkgList(r io.Reader, file string, emit func(path []byte)) (skipped.List, error) {
	skip := skipper{file: file}
	lr := newLineReader(r)
	for {
		line, tooLong, err := lr.next()
		if err == io.EOF {
			return skip.list, nil
		}
		if err != nil {
			return skip.list, fmt.Errorf("dpkg file list: %w", err)
		}
		switch {
		case tooLong || len(line) > MaxPath:
			skip.add(lr.n, "path longer than %d bytes", MaxPath)
		case len(line) == 0:
			skip.add(lr.n, "empty line")
		case !validPath(line):
			skip.add(lr.n, "not an absolute path")
		default:
			emit(line)
		}
	}
}

// ParseApkFiles reads the file lists of apk's installed database
// (/lib/apk/db/installed): in each record (records are separated by blank
// lines) "P:" names the package, "F:" a directory relative to the root, and
// "R:" a file in the last F: directory (the root when there was none). emit is
// called with the owning package and the absolute path of every directory and
// file; the path is valid only during the call. F: and R: lines before the
// record's P: line, R: names containing "/" and paths longer than MaxPath are
// skipped and recorded under file, as are lines that are not fields. The error
// is non-nil only when r fails.
func ParseApkFiles(r io.Reader, file string, emit func(pkg string, path []byte)) (skipped.List, error) {
	var (
		skip skipper
		pkg  string
		dir  []byte // "/dir/" of the last F: line
		buf  []byte
	)
	skip.file = file
	dir = append(dir[:0], '/')
	lr := newLineReader(r)
	for {
		line, tooLong, err := lr.next()
		if err == io.EOF {
			return skip.list, nil
		}
		if err != nil {
			return skip.list, fmt.Errorf("apk installed database: %w", err)
		}
		switch {
		case tooLong:
			skip.add(lr.n, "line longer than %d bytes", maxLine)
			continue
		case len(bytes.TrimSpace(line)) == 0:
			pkg, dir = "", append(dir[:0], '/')
			continue
		case len(line) < 2 || line[1] != ':' || line[0] == ' ' || line[0] == '\t':
			skip.add(lr.n, "not a \"X:value\" line")
			continue
		}
		key, val := line[0], line[2:]
		if key == 'P' {
			pkg = string(val)
			continue
		}
		if key != 'F' && key != 'R' {
			continue
		}
		if pkg == "" {
			skip.add(lr.n, "%c: line before the package name (P:)", key)
			continue
		}
		if key == 'F' {
			dir = append(append(dir[:0], '/'), bytes.Trim(val, "/")...)
			if len(dir) > 1 {
				dir = append(dir, '/')
			}
			if len(dir) > 1 && !emitPath(&skip, lr.n, pkg, dir[:len(dir)-1], emit) {
				dir = append(dir[:0], '/')
			}
			continue
		}
		if len(val) == 0 || bytes.IndexByte(val, '/') >= 0 {
			skip.add(lr.n, "R: line is not a file name")
			continue
		}
		buf = append(append(buf[:0], dir...), val...)
		emitPath(&skip, lr.n, pkg, buf, emit)
	}
}

func emitPath(skip *skipper, line int, pkg string, p []byte, emit func(string, []byte)) bool {
	if !validPath(p) {
		skip.add(line, "bad path (longer than %d bytes or with NUL)", MaxPath)
		return false
	}
	emit(pkg, p)
	return true
}
