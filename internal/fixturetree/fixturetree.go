// Package fixturetree gives tests a copy of a fixture host tree (such as
// testdata/rootfs/debian12) with the file modes the tree is meant to have.
//
// Git keeps only a file's executable bit: a fresh clone has every file at 0644
// or 0755 (under the usual umask), whatever mode it had when it was committed.
// Checks that read modes (shadow 0640, sudoers 0440, world-writable files)
// therefore read the modes from a manifest, modes.txt, kept beside the trees:
//
//	# comment
//	debian12/etc/shadow 0640
//
// Copy copies the tree into the test's temporary directory, gives every file
// 0644 (0755 when any executable bit is set) and every directory 0755, so the
// result does not depend on the umask of the checkout, and then applies the
// manifest.
package fixturetree

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// ManifestName is the name of the modes manifest in a tree's parent directory.
const ManifestName = "modes.txt"

// Copy copies the fixture tree at dir into a fresh temporary directory and
// returns the copy's path. The test fails when the tree or its manifest
// cannot be read, or when the manifest names a file the tree lacks.
func Copy(tb testing.TB, dir string) string {
	tb.Helper()
	dst := filepath.Join(tb.TempDir(), filepath.Base(dir))
	if err := copyTree(dir, dst); err != nil {
		tb.Fatalf("copy fixture tree %s: %v", dir, err)
	}
	modes, err := Modes(filepath.Join(filepath.Dir(dir), ManifestName), filepath.Base(dir))
	if err != nil {
		tb.Fatalf("fixture tree %s: %v", dir, err)
	}
	for rel, mode := range modes {
		if err := os.Chmod(filepath.Join(dst, filepath.FromSlash(rel)), mode); err != nil {
			tb.Fatalf("fixture tree %s: %s: %v", dir, ManifestName, err)
		}
	}
	return dst
}

// Modes reads the manifest at path and returns the modes of the files of
// tree, keyed by their slash-separated path inside the tree. A missing
// manifest is an empty one.
func Modes(path, tree string) (map[string]fs.FileMode, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return parse(f, tree, path)
}

func parse(r io.Reader, tree, name string) (map[string]fs.FileMode, error) {
	modes := make(map[string]fs.FileMode)
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Fields(line)
		if len(fields) != 2 {
			return nil, fmt.Errorf("%s:%d: want \"PATH MODE\", got %q", name, n, line)
		}
		m, err := strconv.ParseUint(fields[1], 8, 32)
		if err != nil || m > 0o7777 {
			return nil, fmt.Errorf("%s:%d: bad octal mode %q", name, n, fields[1])
		}
		rel, ok := strings.CutPrefix(fields[0], tree+"/")
		if !ok {
			continue
		}
		if rel == "" || strings.HasPrefix(rel, "/") || strings.Contains("/"+rel+"/", "/../") {
			return nil, fmt.Errorf("%s:%d: path %q is not inside the tree", name, n, fields[0])
		}
		modes[rel] = fileMode(uint32(m))
	}
	return modes, sc.Err()
}

// fileMode converts a Unix permission word (with setuid, setgid and sticky
// bits) to an fs.FileMode.
func fileMode(m uint32) fs.FileMode {
	mode := fs.FileMode(m & 0o777)
	if m&0o4000 != 0 {
		mode |= fs.ModeSetuid
	}
	if m&0o2000 != 0 {
		mode |= fs.ModeSetgid
	}
	if m&0o1000 != 0 {
		mode |= fs.ModeSticky
	}
	return mode
}

func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		switch {
		case d.IsDir():
			if err := os.MkdirAll(target, 0o755); err != nil {
				return err
			}
			return os.Chmod(target, 0o755)
		case d.Type()&fs.ModeSymlink != 0:
			link, err := os.Readlink(path)
			if err != nil {
				return err
			}
			return os.Symlink(link, target)
		case d.Type().IsRegular():
			info, err := d.Info()
			if err != nil {
				return err
			}
			mode := fs.FileMode(0o644)
			if info.Mode()&0o111 != 0 {
				mode = 0o755
			}
			return copyFile(path, target, mode)
		default:
			return fmt.Errorf("%s: unsupported file type %v", path, d.Type())
		}
	})
}

func copyFile(src, dst string, mode fs.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Close(); err != nil {
		return err
	}
	return os.Chmod(dst, mode) // OpenFile's mode is filtered by the umask
}
