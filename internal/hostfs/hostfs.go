// Package hostfs gives access to a host's files through a root directory.
//
// Everything in vigil that reads the host (/etc, /proc, /sys, /var/lib/dpkg, ...)
// goes through a Root, so that the same code runs against the live system ("/")
// and against a fixture tree such as testdata/rootfs/debian12. Names passed to a
// Root are always absolute host paths ("/etc/passwd"); the Root maps them below its
// directory.
//
// Symbolic links inside a fixture tree that point to absolute paths are resolved
// relative to the root, as a chroot would, so a fixture's /etc/localtime ->
// /usr/share/zoneinfo/UTC stays inside the tree. A Root is not a security
// boundary: fixture trees are trusted input.
package hostfs

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"syscall"
)

// maxLinks bounds symlink resolution, as the kernel's ELOOP does.
const maxLinks = 40

// Root is a host file system seen through a directory.
type Root struct {
	dir string // absolute, cleaned; "/" for the live host
}

// New returns a Root for dir. An empty dir means the live host ("/").
func New(dir string) (Root, error) {
	if dir == "" {
		dir = "/"
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return Root{}, fmt.Errorf("host root %q: %w", dir, err)
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return Root{}, fmt.Errorf("host root: %w", err)
	}
	if !fi.IsDir() {
		return Root{}, fmt.Errorf("host root %q: not a directory", dir)
	}
	return Root{dir: abs}, nil
}

// Live returns the Root of the running host.
func Live() Root { return Root{dir: "/"} }

// Dir returns the directory the root maps "/" to.
func (r Root) Dir() string {
	if r.dir == "" {
		return "/"
	}
	return r.dir
}

// IsLive reports whether the root is the running host's "/". Code that must not
// touch the live host when run against a fixture (executing commands, netlink,
// reading live sockets) checks this.
func (r Root) IsLive() bool { return r.Dir() == "/" }

// Path maps an absolute host path to a path on the real file system, without
// following symbolic links. Relative names are taken from "/".
func (r Root) Path(name string) string {
	clean := path.Clean("/" + name)
	if r.IsLive() {
		return clean
	}
	return filepath.Join(r.dir, filepath.FromSlash(clean))
}

// Resolve maps an absolute host path to a real path, following symbolic links in
// every component with absolute targets taken relative to the root. A missing
// final component is not an error: the mapped path is returned as is.
func (r Root) Resolve(name string) (string, error) {
	if r.IsLive() {
		return path.Clean("/" + name), nil
	}
	parts := strings.Split(strings.TrimPrefix(path.Clean("/"+name), "/"), "/")
	cur := "/"
	links := 0
	for len(parts) > 0 {
		p := parts[0]
		parts = parts[1:]
		if p == "" || p == "." {
			continue
		}
		if p == ".." {
			cur = path.Dir(cur)
			continue
		}
		next := path.Join(cur, p)
		fi, err := os.Lstat(r.Path(next))
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				rest := append([]string{next}, parts...)
				return r.Path(path.Join(rest...)), nil
			}
			return "", err
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			cur = next
			continue
		}
		links++
		if links > maxLinks {
			return "", &fs.PathError{Op: "resolve", Path: name, Err: errors.New("too many levels of symbolic links")}
		}
		target, err := os.Readlink(r.Path(next))
		if err != nil {
			return "", err
		}
		if !path.IsAbs(target) {
			target = path.Join(cur, target)
		}
		parts = append(strings.Split(strings.TrimPrefix(path.Clean(target), "/"), "/"), parts...)
		cur = "/"
	}
	return r.Path(cur), nil
}

// Open opens a host file or directory for reading. Anything else (a FIFO, a
// socket, a device) is refused with ErrNotRegular without blocking: host paths
// such as ~/.ssh/authorized_keys are under users' control, and opening a FIFO
// for reading would wait for a writer.
func (r Root) Open(name string) (*os.File, error) {
	p, err := r.Resolve(name)
	if err != nil {
		return nil, err
	}
	f, err := os.OpenFile(p, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, r.rename(err, name)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, r.rename(err, name)
	}
	if !fi.Mode().IsRegular() && !fi.IsDir() {
		f.Close()
		return nil, &fs.PathError{Op: "open", Path: name, Err: ErrNotRegular}
	}
	return f, nil
}

// ErrNotRegular is returned by Open and ReadFile for a path that is neither a
// regular file nor a directory.
var ErrNotRegular = errors.New("not a regular file")

// ReadFile reads a whole host file. Files larger than limit bytes (when limit > 0)
// are refused with ErrTooLarge, so a hostile or runaway file cannot exhaust memory.
func (r Root) ReadFile(name string, limit int64) ([]byte, error) {
	f, err := r.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if limit <= 0 {
		return io.ReadAll(f)
	}
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, r.rename(err, name)
	}
	if int64(len(b)) > limit {
		return nil, &fs.PathError{Op: "read", Path: name, Err: ErrTooLarge}
	}
	return b, nil
}

// ErrTooLarge is returned by ReadFile for a file above its limit.
var ErrTooLarge = errors.New("file too large")

// Stat returns file info, following symbolic links within the root.
func (r Root) Stat(name string) (fs.FileInfo, error) {
	p, err := r.Resolve(name)
	if err != nil {
		return nil, err
	}
	fi, err := os.Stat(p)
	return fi, r.rename(err, name)
}

// Lstat returns file info without following a final symbolic link.
func (r Root) Lstat(name string) (fs.FileInfo, error) {
	dir, base := path.Split(path.Clean("/" + name))
	p, err := r.Resolve(dir)
	if err != nil {
		return nil, err
	}
	fi, err := os.Lstat(filepath.Join(p, base))
	return fi, r.rename(err, name)
}

// Readlink returns the target of a symbolic link as stored (a host path).
func (r Root) Readlink(name string) (string, error) {
	dir, base := path.Split(path.Clean("/" + name))
	p, err := r.Resolve(dir)
	if err != nil {
		return "", err
	}
	t, err := os.Readlink(filepath.Join(p, base))
	return t, r.rename(err, name)
}

// ReadDir lists a host directory, sorted by name.
func (r Root) ReadDir(name string) ([]fs.DirEntry, error) {
	p, err := r.Resolve(name)
	if err != nil {
		return nil, err
	}
	ents, err := os.ReadDir(p)
	return ents, r.rename(err, name)
}

// Glob returns the host paths matching pattern (path.Match syntax, absolute).
func (r Root) Glob(pattern string) ([]string, error) {
	pattern = path.Clean("/" + pattern)
	if _, err := path.Match(pattern, ""); err != nil {
		return nil, err
	}
	return r.glob(pattern)
}

func (r Root) glob(pattern string) ([]string, error) {
	if !hasMeta(pattern) {
		if _, err := r.Lstat(pattern); err != nil {
			return nil, nil
		}
		return []string{pattern}, nil
	}
	dir, file := path.Split(pattern)
	dir = path.Clean(dir)
	var dirs []string
	if hasMeta(dir) {
		var err error
		if dirs, err = r.glob(dir); err != nil {
			return nil, err
		}
	} else {
		dirs = []string{dir}
	}
	var out []string
	for _, d := range dirs {
		ents, err := r.ReadDir(d)
		if err != nil {
			continue
		}
		for _, e := range ents {
			if ok, _ := path.Match(file, e.Name()); ok {
				out = append(out, path.Join(d, e.Name()))
			}
		}
	}
	return out, nil
}

func hasMeta(s string) bool { return strings.ContainsAny(s, `*?[\`) }

// rename rewrites the real path in a *fs.PathError into the host path, so errors
// name /etc/shadow rather than testdata/rootfs/debian12/etc/shadow.
func (r Root) rename(err error, name string) error {
	var pe *fs.PathError
	if err != nil && errors.As(err, &pe) {
		return &fs.PathError{Op: pe.Op, Path: name, Err: pe.Err}
	}
	return err
}
