// Package collectortest holds helpers for the tests of collector packages:
// an in-memory Output for the runner and a copy of a fixture tree that a
// test may change.
package collectortest

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/vigil-sec/vigil/internal/event"
)

// MemOutput is a collector.Output that keeps every event in memory. It is
// safe for the runner's writer and a test reading concurrently.
type MemOutput struct {
	mu     sync.Mutex
	events []event.Event
}

// Write appends the events.
func (o *MemOutput) Write(_ context.Context, evs []event.Event) error {
	o.mu.Lock()
	o.events = append(o.events, evs...)
	o.mu.Unlock()
	return nil
}

// Flush does nothing.
func (o *MemOutput) Flush() error { return nil }

// Events returns a copy of the events written so far, in order.
func (o *MemOutput) Events() []event.Event {
	o.mu.Lock()
	defer o.mu.Unlock()
	return slices.Clone(o.events)
}

// CopyTree copies the tree at src (a fixture root), symbolic links as links
// and file permissions kept, into a new temporary directory of tb and
// returns it.
func CopyTree(tb testing.TB, src string) string {
	tb.Helper()
	dst := tb.TempDir()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		to := filepath.Join(dst, rel)
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			return os.Symlink(target, to)
		case d.IsDir():
			return os.MkdirAll(to, 0o755)
		default:
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			fi, err := d.Info()
			if err != nil {
				return err
			}
			return os.WriteFile(to, b, fi.Mode().Perm())
		}
	})
	if err != nil {
		tb.Fatalf("copy %s: %v", src, err)
	}
	return dst
}
