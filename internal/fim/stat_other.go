//go:build !linux

package fim

import (
	"fmt"
	"io"
	"io/fs"
	"os"
)

// fillStat copies the portable fields of fi into e.
func fillStat(e *Entry, fi fs.FileInfo) {
	e.Type = typeOf(fi.Mode())
	e.Mode = uint32(fi.Mode().Perm())
	e.Size = fi.Size()
	e.Mtime = fi.ModTime().UnixNano()
}

func readHash(name string, e *Entry, h io.Writer, buf []byte, limit int64) (int64, error) {
	f, err := os.Open(name)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return 0, err
	}
	if !fi.Mode().IsRegular() {
		return 0, fmt.Errorf("%s: %w", name, errNotRegular)
	}
	fillStat(e, fi)
	if fi.Size() > limit {
		return 0, fmt.Errorf("%s: %w", name, errFileTooLarge)
	}
	n, err := io.CopyBuffer(h, io.LimitReader(f, limit+1), buf)
	if err == nil && n > limit {
		err = fmt.Errorf("%s: %w", name, errFileTooLarge)
	}
	return n, err
}

func isPseudoFS(string) bool { return false }

func readDirStat(dir, prefix string, skip func(p string) bool, fn func(e *Entry)) (errs int64) {
	f, err := os.Open(dir)
	if err != nil {
		return 1
	}
	names, err := f.Readdirnames(-1)
	f.Close()
	if err != nil {
		errs++
	}
	for _, name := range names {
		if skip(prefix + name) {
			continue
		}
		fi, err := os.Lstat(dir + "/" + name)
		if err != nil {
			if !os.IsNotExist(err) {
				errs++
			}
			continue
		}
		e := Entry{Path: prefix + name}
		fillStat(&e, fi)
		fn(&e)
	}
	return errs
}
