//go:build unix

package hostfs

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// A FIFO or a device where a file is expected (a user's mkfifo
// ~/.ssh/authorized_keys) must be refused at once: opening a FIFO for reading
// blocks until a writer comes, which would stall a scan running as root.
func TestOpenRefusesSpecialFiles(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "home/u/.ssh"), 0o755); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "home/u/.ssh/authorized_keys")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/dev/null", filepath.Join(dir, "home/u/null")); err != nil {
		t.Fatal(err)
	}
	fixture, err := New(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		root Root
		path string
	}{
		{"fifo in fixture", fixture, "/home/u/.ssh/authorized_keys"},
		{"fifo on live root", Live(), fifo},
		{"device on live root", Live(), "/dev/null"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			done := make(chan error, 1)
			go func() {
				_, err := tc.root.ReadFile(tc.path, 1<<20)
				done <- err
			}()
			select {
			case err := <-done:
				if !errors.Is(err, ErrNotRegular) {
					t.Fatalf("ReadFile(%s) = %v, want ErrNotRegular", tc.path, err)
				}
			case <-time.After(10 * time.Second):
				// Release the reader, then fail.
				if w, err := os.OpenFile(fifo, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
					w.Close()
				}
				<-done
				t.Fatalf("ReadFile(%s) blocked", tc.path)
			}
		})
	}
	// Regular files and directories still open.
	if err := os.WriteFile(filepath.Join(dir, "home/u/f"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/home/u/f", "/home/u"} {
		f, err := fixture.Open(p)
		if err != nil {
			t.Fatalf("Open(%s): %v", p, err)
		}
		f.Close()
	}
}
