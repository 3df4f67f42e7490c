//go:build !linux

package fim

import (
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

func readHash(name string, e *Entry, h io.Writer, buf []byte) (int64, error) {
	f, err := os.Open(name)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() {
		fillStat(e, fi)
	}
	return io.CopyBuffer(h, struct{ io.Reader }{f}, buf)
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
