package fim

import (
	"context"
	"crypto/sha256"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/vigil-sec/vigil/internal/hostfs"
)

// openHashGuarded opens the file at real path name, stat'ed into e, as the
// walk does (relative to its directory) and hashes it; should the open
// block (a FIFO opened for reading waits for a writer), it releases it by
// opening the FIFO for writing and fails the test.
func openHashGuarded(t *testing.T, name string, e *Entry, limit int64) (int64, error) {
	t.Helper()
	type result struct {
		n   int64
		err error
	}
	done := make(chan result, 1)
	go func() {
		parent, err := unix.Open(filepath.Dir(name), unix.O_RDONLY|unix.O_DIRECTORY, 0)
		if err != nil {
			done <- result{0, err}
			return
		}
		defer unix.Close(parent)
		f, err := openFileAt(parent, filepath.Base(name), e)
		if err != nil {
			done <- result{0, err}
			return
		}
		defer closeFile(f)
		n, err := hashFile(f, name, sha256.New(), make([]byte, 4096), limit)
		done <- result{n, err}
	}()
	select {
	case r := <-done:
		return r.n, r.err
	case <-time.After(10 * time.Second):
		if fd, err := unix.Open(name, unix.O_WRONLY|unix.O_NONBLOCK, 0); err == nil {
			unix.Close(fd)
		}
		<-done
		t.Fatalf("open of %s blocked", name)
		return 0, nil
	}
}

// statEntry returns the entry of real path name as the walk stats it.
func statEntry(t *testing.T, name string) Entry {
	t.Helper()
	var st unix.Stat_t
	if err := unix.Lstat(name, &st); err != nil {
		t.Fatal(err)
	}
	e := Entry{Path: name}
	fromStatT(&e, &st)
	return e
}

// A path swapped for a FIFO, a device or a directory between the walk's
// stat and the hash must be refused, not read (a FIFO would block the
// hashing worker forever; a device could be read without end), even when
// it is the very inode stat'ed.
func TestOpenFileRefusesNonRegular(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := unix.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{fifo, "/dev/null", t.TempDir()} {
		t.Run(filepath.Base(name), func(t *testing.T) {
			e := statEntry(t, name)
			e.Type = TypeFile // what the walk saw before the swap
			_, err := openHashGuarded(t, name, &e, 1<<20)
			if !errors.Is(err, errChanged) {
				t.Fatalf("open of %s = %v, want errChanged", name, err)
			}
		})
	}
}

// A file replaced by another one between the stat and the open is
// errChanged, never hashed in its place.
func TestOpenFileChecksIdentity(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f")
	writeFile(t, p, "first")
	e := statEntry(t, p)
	writeFile(t, p+".new", "second")
	if err := os.Rename(p+".new", p); err != nil {
		t.Fatal(err)
	}
	if _, err := openHashGuarded(t, p, &e, 1<<20); !errors.Is(err, errChanged) {
		t.Fatalf("open of a replaced file = %v, want errChanged", err)
	}
}

// A file that grew past the limit after the stat is not read beyond it.
func TestHashFileLimit(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name    string
		size    int
		limit   int64
		wantErr error
	}{
		{"under", 100, 100, nil},
		{"over", 101, 100, errFileTooLarge},
		{"far over", 1 << 20, 10, errFileTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(dir, tc.name)
			if err := os.WriteFile(p, make([]byte, 1), 0o600); err != nil {
				t.Fatal(err)
			}
			e := statEntry(t, p)
			if err := os.WriteFile(p, make([]byte, tc.size), 0o600); err != nil {
				t.Fatal(err)
			}
			n, err := openHashGuarded(t, p, &e, tc.limit)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			if n > tc.limit {
				t.Errorf("read %d bytes, limit %d", n, tc.limit)
			}
			if e.Size != int64(tc.size) {
				t.Errorf("entry size %d, want %d (from the open file)", e.Size, tc.size)
			}
		})
	}
}

// A scan records a file that grew past MaxFileSize after the stat as too
// large, not as an error.
func TestScanGrownFileTooLarge(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "w/f")
	writeFile(t, p, "small")
	root, err := hostfs.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewScanner(root, Options{Paths: []string{"/w"}, MaxFileSize: 10})
	if err != nil {
		t.Fatal(err)
	}
	s.beforeOpen = onceAt("/w/f", func() {
		if err := os.WriteFile(p, make([]byte, 50), 0o600); err != nil {
			t.Error(err)
		}
	})
	b, st, err := s.Scan(context.Background(), nil, false)
	if err != nil {
		t.Fatal(err)
	}
	e, _ := b.Get("/w/f")
	if e.Flags != FlagTooLarge || e.Size != 50 || st.TooLarge != 1 || st.Errors != 0 {
		t.Errorf("entry %+v, stats %+v; want too large, size 50", e, st)
	}
}
