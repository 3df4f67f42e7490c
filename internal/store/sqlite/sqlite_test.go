package sqlite

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/store"
	"github.com/vigil-sec/vigil/internal/store/storetest"
)

// openAt opens a store of one shard, whose files the tests of this package
// look into.
func openAt(t *testing.T, file string) *Store {
	t.Helper()
	return openOpts(t, file, Options{Shards: 1})
}

func openOpts(t *testing.T, file string, o Options) *Store {
	t.Helper()
	// A long index interval: the suite must pass whether or not the
	// background indexer has run.
	o.IndexInterval = time.Hour
	s, err := Open(context.Background(), file, o)
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

// TestConformanceShards runs the suite on a store of three shards, with and
// without the substring index kept current.
func TestConformanceShards(t *testing.T) {
	for _, flush := range []bool{false, true} {
		t.Run(map[bool]string{false: "scan", true: "indexed"}[flush], func(t *testing.T) {
			storetest.Run(t, func(t *testing.T) (store.Store, func(t *testing.T) store.Store) {
				file := filepath.Join(t.TempDir(), "vigil.db")
				open := func(t *testing.T) store.Store {
					s := openOpts(t, file, Options{Shards: 3})
					if flush {
						return flushing{s}
					}
					return s
				}
				return open(t), open
			})
		})
	}
}
