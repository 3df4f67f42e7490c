//go:build !linux

package fim

import (
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

func openRead(name string) (*os.File, error) { return os.Open(name) }

func isPseudoFS(string) bool { return false }
