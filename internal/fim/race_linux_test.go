package fim

import (
	"context"
	"crypto/sha256"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/vigil-sec/vigil/internal/hostfs"
)

// raceTree holds /w/u (a directory its owner may rename or replace) with a
// file and a subdirectory, and /secret with entries of the same names and
// other content (the tree the owner must never get a view of).
type raceTree struct {
	dir    string
	root   hostfs.Root
	secret map[[2]uint64]string // dev, inode -> real path under /secret
	hashes map[[32]byte]string  // content hash -> real path under /secret
}

func newRaceTree(t *testing.T) *raceTree {
	t.Helper()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "w/u/f"), "user file")
	writeFile(t, filepath.Join(dir, "w/u/sub/g"), "user sub file")
	writeFile(t, filepath.Join(dir, "secret/f"), "secret file")
	writeFile(t, filepath.Join(dir, "secret/sub/g"), "secret sub file")
	writeFile(t, filepath.Join(dir, "secret/sub/h"), "secret only")
	rt := &raceTree{dir: dir, secret: map[[2]uint64]string{}, hashes: map[[32]byte]string{}}
	err := filepath.Walk(filepath.Join(dir, "secret"), func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		var st unix.Stat_t
		if err := unix.Lstat(p, &st); err != nil {
			return err
		}
		rt.secret[[2]uint64{st.Dev, st.Ino}] = p
		if fi.Mode().IsRegular() {
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			rt.hashes[sha256.Sum256(b)] = p
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if rt.root, err = hostfs.New(dir); err != nil {
		t.Fatal(err)
	}
	return rt
}

// onceAt returns a hook that runs swap the first time the walk is about to
// open host path at.
func onceAt(at string, swap func()) func(string) {
	var mu sync.Mutex
	done := false
	return func(p string) {
		mu.Lock()
		defer mu.Unlock()
		if p == at && !done {
			done = true
			swap()
		}
	}
}

// checkNoSecret fails the test if any entry of b carries the identity or
// the content of a file under /secret.
func (rt *raceTree) checkNoSecret(t *testing.T, b *Baseline) {
	t.Helper()
	for _, p := range b.Paths() {
		e, _ := b.Get(p)
		if s, ok := rt.secret[[2]uint64{e.Dev, e.Inode}]; ok {
			t.Errorf("%s carries the inode of %s", p, s)
		}
		if s, ok := rt.hashes[e.Hash]; ok && e.Hashed() {
			t.Errorf("%s carries the hash of %s", p, s)
		}
	}
}

// A directory swapped for a symbolic link to another tree between the
// walk's stat of an entry below it and the open of that entry must not
// lead the scan into the other tree: the entry is opened relative to the
// directory the walk read, not by path.
func TestScanParentSwappedForSymlink(t *testing.T) {
	for _, at := range []string{"/w/u/f", "/w/u/sub"} {
		t.Run(at, func(t *testing.T) {
			rt := newRaceTree(t)
			s, err := NewScanner(rt.root, Options{Paths: []string{"/w"}, Workers: 2})
			if err != nil {
				t.Fatal(err)
			}
			swapped := false
			s.beforeOpen = onceAt(at, func() {
				u := filepath.Join(rt.dir, "w/u")
				if err := os.Rename(u, u+".old"); err != nil {
					t.Error(err)
					return
				}
				if err := os.Symlink(filepath.Join(rt.dir, "secret"), u); err != nil {
					t.Error(err)
					return
				}
				swapped = true
			})
			b, _, err := s.Scan(context.Background(), nil, false)
			if err != nil {
				t.Fatal(err)
			}
			if !swapped {
				t.Fatalf("the walk never opened %s", at)
			}
			rt.checkNoSecret(t, b)
		})
	}
}

// An entry replaced between the walk's stat and its open is looked at
// again: the scan records what is there at the end, never the metadata of
// one inode with the content of another.
func TestScanEntryReplacedIsRetried(t *testing.T) {
	tests := []struct {
		name string
		at   string
		swap func(t *testing.T, rt *raceTree)
		// check looks at the result.
		check func(t *testing.T, rt *raceTree, b *Baseline)
	}{
		{"file by file", "/w/u/f", func(t *testing.T, rt *raceTree) {
			p := filepath.Join(rt.dir, "w/u/f")
			writeFile(t, p+".new", "replaced")
			if err := os.Rename(p+".new", p); err != nil {
				t.Fatal(err)
			}
		}, func(t *testing.T, rt *raceTree, b *Baseline) {
			e, ok := b.Get("/w/u/f")
			if !ok || !e.Hashed() || e.Hash != sha256.Sum256([]byte("replaced")) || e.Size != 8 {
				t.Errorf("/w/u/f = %+v, want the replacement hashed", e)
			}
		}},
		{"file by symlink", "/w/u/f", func(t *testing.T, rt *raceTree) {
			p := filepath.Join(rt.dir, "w/u/f")
			if err := os.Symlink(filepath.Join(rt.dir, "secret/f"), p+".new"); err != nil {
				t.Fatal(err)
			}
			if err := os.Rename(p+".new", p); err != nil {
				t.Fatal(err)
			}
		}, func(t *testing.T, rt *raceTree, b *Baseline) {
			e, ok := b.Get("/w/u/f")
			if !ok || e.Type != TypeSymlink || e.Hashed() || e.Target != filepath.Join(rt.dir, "secret/f") {
				t.Errorf("/w/u/f = %+v, want the link", e)
			}
		}},
		{"directory by symlink", "/w/u/sub", func(t *testing.T, rt *raceTree) {
			p := filepath.Join(rt.dir, "w/u/sub")
			if err := os.Rename(p, p+".old"); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(filepath.Join(rt.dir, "secret/sub"), p); err != nil {
				t.Fatal(err)
			}
		}, func(t *testing.T, rt *raceTree, b *Baseline) {
			if e, _ := b.Get("/w/u/sub"); e.Type != TypeSymlink {
				t.Errorf("/w/u/sub = %+v, want the link", e)
			}
			for _, p := range b.Paths() {
				if within(p, "/w/u/sub") && p != "/w/u/sub" {
					t.Errorf("%s: entered the link", p)
				}
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rt := newRaceTree(t)
			s, err := NewScanner(rt.root, Options{Paths: []string{"/w"}, Workers: 2})
			if err != nil {
				t.Fatal(err)
			}
			s.beforeOpen = onceAt(tc.at, func() { tc.swap(t, rt) })
			b, st, err := s.Scan(context.Background(), nil, false)
			if err != nil {
				t.Fatal(err)
			}
			if st.Raced != 1 || st.Errors != 0 {
				t.Errorf("stats %+v, want one raced entry and no error", st)
			}
			rt.checkNoSecret(t, b)
			tc.check(t, rt, b)
		})
	}
}

// An entry that changes at every look is given up after maxRounds and
// recorded unhashed as an error, and the scan ends.
func TestScanEntryKeepsChanging(t *testing.T) {
	rt := newRaceTree(t)
	s, err := NewScanner(rt.root, Options{Paths: []string{"/w"}, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(rt.dir, "w/u/f")
	var mu sync.Mutex
	n := 0
	s.beforeOpen = func(at string) {
		if at != "/w/u/f" {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		n++
		writeFile(t, p+".new", "version "+string(rune('a'+n)))
		if err := os.Rename(p+".new", p); err != nil {
			t.Error(err)
		}
	}
	b, st, err := s.Scan(context.Background(), nil, false)
	if err != nil {
		t.Fatal(err)
	}
	if n != maxRounds+1 {
		t.Errorf("opened %d times, want %d", n, maxRounds+1)
	}
	e, _ := b.Get("/w/u/f")
	if e.Hashed() || e.Flags&FlagHashError == 0 || st.Errors != 1 || st.Raced != maxRounds {
		t.Errorf("entry %+v, stats %+v", e, st)
	}
}

// A rescan that races with a replacement reports it once, as an update of
// the file, and nothing else.
func TestRescanRaced(t *testing.T) {
	rt := newRaceTree(t)
	s, err := NewScanner(rt.root, Options{Paths: []string{"/w"}, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	prev, _, err := s.Scan(context.Background(), nil, false)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(rt.dir, "w/u/f")
	writeFile(t, p, "touched") // changed: the rescan opens it again
	s.beforeOpen = onceAt("/w/u/f", func() {
		writeFile(t, p+".new", "replaced")
		if err := os.Rename(p+".new", p); err != nil {
			t.Error(err)
		}
	})
	_, changes, st, err := s.Rescan(context.Background(), prev, []string{"/w"}, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(changes) != 1 || changes[0].Action != Updated || changes[0].Path() != "/w/u/f" ||
		changes[0].New.Hash != sha256.Sum256([]byte("replaced")) || st.Raced != 1 {
		t.Errorf("changes %+v, stats %+v", changes, st)
	}
}

// A path below a watched directory scanned on its own (what the realtime
// watchers do with the paths they are told about) is reached from the
// watched directory without following links: a directory on the way
// swapped for a link to another tree gives nothing of that tree.
func TestScanPathsBelowSwappedDirectory(t *testing.T) {
	for _, p := range []string{"/w/u/f", "/w/u/sub", "/w/u/sub/g"} {
		t.Run(p, func(t *testing.T) {
			rt := newRaceTree(t)
			s, err := NewScanner(rt.root, Options{Paths: []string{"/w"}, Workers: 2})
			if err != nil {
				t.Fatal(err)
			}
			u := filepath.Join(rt.dir, "w/u")
			if err := os.Rename(u, u+".old"); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(filepath.Join(rt.dir, "secret"), u); err != nil {
				t.Fatal(err)
			}
			b, st, err := s.ScanPaths(context.Background(), nil, []string{p}, false)
			if err != nil {
				t.Fatal(err)
			}
			rt.checkNoSecret(t, b)
			if b.Len() != 0 || st.Errors != 0 {
				t.Errorf("entries %v, stats %+v; want none: %s is not in the tree", b.Paths(), st, p)
			}
		})
	}
}
