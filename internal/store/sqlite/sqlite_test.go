package sqlite

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/store"
	"github.com/vigil-sec/vigil/internal/store/storetest"
)

func openAt(t *testing.T, file string) *Store {
	t.Helper()
	// A long index interval: the suite must pass whether or not the
	// background indexer has run.
	s, err := Open(context.Background(), file, Options{IndexInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) (store.Store, func(t *testing.T) store.Store) {
		file := filepath.Join(t.TempDir(), "vigil.db")
		return openAt(t, file), func(t *testing.T) store.Store { return openAt(t, file) }
	})
}

// TestConformanceIndexed runs the suite with the substring index kept
// current after every batch, so that both paths (index and scan) are tested.
func TestConformanceIndexed(t *testing.T) {
	storetest.Run(t, func(t *testing.T) (store.Store, func(t *testing.T) store.Store) {
		file := filepath.Join(t.TempDir(), "vigil.db")
		return flushing{openAt(t, file)}, func(t *testing.T) store.Store { return flushing{openAt(t, file)} }
	})
}

type flushing struct{ *Store }

func (f flushing) Ingest(ctx context.Context, b store.Batch) (store.IngestResult, error) {
	res, err := f.Store.Ingest(ctx, b)
	if err == nil {
		err = f.Flush(ctx)
	}
	return res, err
}
