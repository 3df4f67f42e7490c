//go:build !linux

package fim

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// Elsewhere than Linux the walk goes by path: a directory swapped for a
// link between the stat and the open of an entry below it is not detected.

type dirRef = string // real path of the directory

type fileRef = *os.File

func openRootParent(real string, top bool) (dirRef, string, error) {
	if top {
		return real, ".", nil
	}
	return filepath.Dir(real), filepath.Base(real), nil
}

func openLimit() int { return 1 << 20 }

func dupDir(d dirRef) (dirRef, error) { return d, nil }

func closeDir(dirRef) {}

// fillStat copies the portable fields of fi into e.
func fillStat(e *Entry, fi fs.FileInfo) {
	e.Type = typeOf(fi.Mode())
	e.Mode = uint32(fi.Mode().Perm())
	e.Size = fi.Size()
	e.Mtime = fi.ModTime().UnixNano()
}

func statAt(parent dirRef, name string, e *Entry) error {
	fi, err := os.Lstat(filepath.Join(parent, name))
	if err != nil {
		if os.IsNotExist(err) {
			return errGone
		}
		return err
	}
	fillStat(e, fi)
	return nil
}

func openSubdir(parent dirRef, name string) (dirRef, error) {
	p := filepath.Join(parent, name)
	fi, err := os.Lstat(p)
	if err != nil || !fi.IsDir() {
		return "", errGone
	}
	return p, nil
}

func openDirAt(parent dirRef, name string, want *Entry) (dirRef, error) {
	p := filepath.Join(parent, name)
	fi, err := os.Lstat(p)
	if err != nil {
		if os.IsNotExist(err) {
			return "", errGone
		}
		return "", err
	}
	if !fi.IsDir() {
		return "", fmt.Errorf("%s: %w", p, errChanged)
	}
	return p, nil
}

func openFileAt(parent dirRef, name string, want *Entry) (fileRef, error) {
	f, err := os.Open(filepath.Join(parent, name))
	if err != nil {
		if os.IsNotExist(err) {
			return nil, errGone
		}
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("%s: %w", name, errChanged)
	}
	fillStat(want, fi)
	return f, nil
}

func closeFile(f fileRef) { f.Close() }

func readLinkAt(parent dirRef, name string, _ *Entry) (string, error) {
	return os.Readlink(filepath.Join(parent, name))
}

func hashFile(f fileRef, name string, h io.Writer, buf []byte, limit int64) (int64, error) {
	n, err := io.CopyBuffer(h, io.LimitReader(f, limit+1), buf)
	if err == nil && n > limit {
		err = fmt.Errorf("%s: %w", name, errFileTooLarge)
	}
	return n, err
}

func isPseudoFS(dirRef) bool { return false }

func readDirStat(d dirRef, skip func(name []byte) bool, fn func(e *Entry)) (errs int64) {
	f, err := os.Open(d)
	if err != nil {
		return 1
	}
	names, err := f.Readdirnames(-1)
	f.Close()
	if err != nil {
		errs++
	}
	for _, name := range names {
		if skip([]byte(name)) {
			continue
		}
		var e Entry
		if err := statAt(d, name, &e); err != nil {
			if err != errGone {
				errs++
			}
			continue
		}
		fn(&e)
	}
	return errs
}
