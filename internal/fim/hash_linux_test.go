package fim

import (
	"crypto/sha256"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// readHashGuarded runs readHash and, should it block (a FIFO opened for
// reading waits for a writer), releases it by opening the FIFO for writing
// and fails the test.
func readHashGuarded(t *testing.T, name string, e *Entry, limit int64) (int64, error) {
	t.Helper()
	type result struct {
		n   int64
		err error
	}
	done := make(chan result, 1)
	go func() {
		n, err := readHash(name, e, sha256.New(), make([]byte, 4096), limit)
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
		t.Fatalf("readHash(%s) blocked", name)
		return 0, nil
	}
}

// A path swapped for a FIFO or a device between the walk's lstat and the
// hash must be refused, not read (a FIFO would block the hashing worker
// forever; a device could be read without end).
func TestReadHashRefusesNonRegular(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := unix.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{fifo, "/dev/null", t.TempDir()} {
		t.Run(filepath.Base(name), func(t *testing.T) {
			e := Entry{Path: name, Type: TypeFile, Size: 1}
			_, err := readHashGuarded(t, name, &e, 1<<20)
			if !errors.Is(err, errNotRegular) {
				t.Fatalf("readHash(%s) = %v, want errNotRegular", name, err)
			}
		})
	}
}

// A file that grew past the limit after the lstat is not read beyond it.
func TestReadHashLimit(t *testing.T) {
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
			if err := os.WriteFile(p, make([]byte, tc.size), 0o600); err != nil {
				t.Fatal(err)
			}
			e := Entry{Path: p, Type: TypeFile}
			n, err := readHashGuarded(t, p, &e, tc.limit)
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

// A scan records a file that grew past MaxFileSize as too large, not as an
// error.
func TestScanGrownFileTooLarge(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f")
	if err := os.WriteFile(p, make([]byte, 50), 0o600); err != nil {
		t.Fatal(err)
	}
	w := &walk{s: &Scanner{opts: Options{MaxFileSize: 10}}}
	e := Entry{Path: p, Type: TypeFile, Size: 5}
	h := sha256.New()
	_, err := w.hashFile(&e, h, make([]byte, 4096))
	if !errors.Is(err, errFileTooLarge) {
		t.Fatalf("hashFile = %v, want errFileTooLarge", err)
	}
}
