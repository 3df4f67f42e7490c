package sqlite

import (
	"os"
	"path/filepath"
	"testing"
)

// TestWALFileReopens checks that walFile syncs the file now at its path:
// it follows a replaced file and reports a missing one.
func TestWALFileReopens(t *testing.T) {
	path := filepath.Join(t.TempDir(), "v.db-wal")
	w := walFile{path: path}
	defer w.close()
	if err := w.sync(); err == nil {
		t.Fatal("sync of a missing file: no error")
	}
	if err := os.WriteFile(path, []byte("a"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := w.sync(); err != nil {
		t.Fatal(err)
	}
	first := w.ino
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path+".new", []byte("b"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(path+".new", path); err != nil {
		t.Fatal(err)
	}
	if err := w.sync(); err != nil {
		t.Fatal(err)
	}
	if w.ino == first {
		t.Error("still syncing the replaced file")
	}
}

// TestWriterSynchronous checks the writer's setting: NORMAL with the
// store's own WAL sync when FULL was asked for, as asked otherwise.
func TestWriterSynchronous(t *testing.T) {
	for _, tc := range []struct {
		ask     string
		want    int // PRAGMA synchronous: 1 NORMAL, 2 FULL, 3 EXTRA
		walSync bool
	}{{"FULL", 1, true}, {"NORMAL", 1, false}, {"EXTRA", 3, false}} {
		s, err := Open(t.Context(), filepath.Join(t.TempDir(), "v.db"), Options{Synchronous: tc.ask, Shards: 1})
		if err != nil {
			t.Fatal(err)
		}
		var got int
		if err := s.w.QueryRow("PRAGMA synchronous").Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != tc.want || s.walSync != tc.walSync {
			t.Errorf("%s: writer synchronous %d, own sync %v; want %d, %v", tc.ask, got, s.walSync, tc.want, tc.walSync)
		}
		ingest(t, s, cmdEvents(benchEnd, "w", 0, 5), 1)
		if tc.walSync && s.wal.f == nil {
			t.Errorf("%s: the WAL was not synced", tc.ask)
		}
		s.Close()
	}
}
