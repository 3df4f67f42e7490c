package sqlite

import (
	"fmt"
	"os"
	"sync"
	"syscall"
)

// walFile makes the event file's WAL durable for the group commit. With
// synchronous FULL the writer commits with SQLite's NORMAL (the WAL is
// written at commit but not synced; SQLite still syncs it before every
// checkpoint) and the committing Ingest syncs it after releasing the
// writer lock and before acknowledging: the next group's inserts overlap
// this group's fsync, and no acknowledged batch depends on an unsynced
// frame. Frames already synced are never rewritten before a checkpoint has
// copied and synced them, so a later crash cannot take them.
type walFile struct {
	path string
	mu   sync.Mutex
	f    *os.File
	ino  uint64
}

// sync fsyncs the WAL as it is now, opening it again if it was replaced.
func (w *walFile) sync() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	var st syscall.Stat_t
	if err := syscall.Stat(w.path, &st); err != nil {
		return fmt.Errorf("sync write-ahead log: %w", err)
	}
	if w.f == nil || w.ino != st.Ino {
		if w.f != nil {
			w.f.Close()
		}
		f, err := os.Open(w.path)
		if err != nil {
			w.f = nil
			return fmt.Errorf("sync write-ahead log: %w", err)
		}
		w.f, w.ino = f, st.Ino
	}
	if err := syscall.Fdatasync(int(w.f.Fd())); err != nil {
		return fmt.Errorf("sync write-ahead log: %w", err)
	}
	return nil
}

func (w *walFile) close() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f != nil {
		w.f.Close()
		w.f = nil
	}
}
