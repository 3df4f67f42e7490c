package sqlite

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/klauspost/compress/s2"
	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/store"
	"github.com/vigil-sec/vigil/internal/store/storetest"
)

var benchEnd = time.Date(2026, 11, 8, 0, 0, 0, 0, time.UTC)

// BenchmarkIngest measures events/s committed in batches of 500, with
// synchronous FULL (the default) and NORMAL.
func BenchmarkIngest(b *testing.B) {
	evs := storetest.FleetEvents(100000, benchEnd, 1, 1)
	for _, sync := range []string{"FULL", "NORMAL"} {
		b.Run(sync, func(b *testing.B) {
			s, err := Open(context.Background(), filepath.Join(b.TempDir(), "b.db"), Options{Synchronous: sync})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			b.ResetTimer()
			seq := uint64(0)
			for b.Loop() {
				for i := 0; i < len(evs); i += 500 {
					seq++
					batch := evs[i:min(i+500, len(evs))]
					// Fresh ids each round so that nothing is deduplicated.
					if _, err := s.Ingest(context.Background(), store.Batch{AgentID: "a", Seq: seq, Events: renumber(batch, seq)}); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.ReportMetric(float64(b.N*len(evs))/b.Elapsed().Seconds(), "events/s")
		})
	}
}

func renumber(evs []event.Event, seq uint64) []event.Event {
	out := make([]event.Event, len(evs))
	for i, e := range evs {
		e.Event.ID = event.DeterministicID(e.Timestamp, "bench", strconv.FormatUint(seq, 10), strconv.Itoa(i))
		out[i] = e
	}
	return out
}

var (
	queryOnce  sync.Once
	queryStore *Store
)

// BenchmarkQueries runs the typical queries over 300,000 events (7 days).
// bench/ingest runs them over millions.
func BenchmarkQueries(b *testing.B) {
	queryOnce.Do(func() {
		dir, err := os.MkdirTemp("", "vigil-bench-")
		if err != nil {
			b.Fatal(err)
		}
		s, err := Open(context.Background(), filepath.Join(dir, "q.db"), Options{})
		if err != nil {
			b.Fatal(err)
		}
		evs := storetest.FleetEvents(300000, benchEnd, 7, 2)
		for i := 0; i < len(evs); i += 500 {
			if _, err := s.Ingest(context.Background(), store.Batch{AgentID: "a", Seq: uint64(i), Events: evs[i:min(i+500, len(evs))]}); err != nil {
				b.Fatal(err)
			}
		}
		if err := s.Flush(context.Background()); err != nil {
			b.Fatal(err)
		}
		queryStore = s
	})
	for _, q := range storetest.BenchQueries {
		b.Run(q.Name, func(b *testing.B) {
			for b.Loop() {
				if _, err := storetest.RunBenchQuery(context.Background(), queryStore, q, benchEnd); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkInsertCost measures what the day table's schema costs per event
// in plain multi-row INSERTs (no store code around them), by commit size:
// the full schema with documents packed as the store stores them, only the
// unique id index, the full schema with JSON text documents (as before
// documents were packed), and without documents. It is the measurement
// behind "Ingest and the index set" in docs/storage.md.
func BenchmarkInsertCost(b *testing.B) {
	evs := storetest.FleetEvents(65536, benchEnd, 1, 1)
	rows := make([]row, len(evs))
	for i := range evs {
		doc, err := store.EncodeEvent(&evs[i])
		if err != nil {
			b.Fatal(err)
		}
		rows[i] = toRow(&evs[i], doc)
	}
	if _, _, err := newPacker(s2.MaxDictSize).pack(rows, nil); err != nil {
		b.Fatal(err)
	}
	const day = 20261107
	full := partitionDDL(day)
	for _, v := range []struct {
		name string
		ddl  []string
		doc  string // "", "json" or "none"
	}{{"full", full, ""}, {"id-only", full[:2], ""}, {"full-json-doc", full, "json"}, {"full-no-doc", full, "none"}} {
		for _, per := range []int{1024, 8192} {
			b.Run(fmt.Sprintf("%s/commit-%d", v.name, per), func(b *testing.B) {
				db := openDB(dsn(filepath.Join(b.TempDir(), "c.db"), "FULL", immediate, eventsBackstop))
				defer db.Close()
				db.SetMaxOpenConns(1)
				for _, stmt := range v.ddl {
					if _, err := db.Exec(stmt); err != nil {
						b.Fatal(err)
					}
				}
				n := 0
				for b.Loop() {
					for start := 0; start < len(rows); start += per {
						tx, err := db.Begin()
						if err != nil {
							b.Fatal(err)
						}
						chunk := make([]row, 0, per)
						for _, r := range rows[start:min(start+per, len(rows))] {
							r.args[0] = fmt.Sprintf("%s-%d", r.args[0], n) // fresh ids: nothing deduplicated
							switch v.doc {
							case "json":
								r.args[docArg] = string(r.doc)
							case "none":
								r.args[docArg] = ""
							}
							chunk = append(chunk, r)
							n++
						}
						sc := stmtCache{}
						if _, err := insertRows(context.Background(), tx, sc, day, chunk); err != nil {
							b.Fatal(err)
						}
						sc.close()
						if err := tx.Commit(); err != nil {
							b.Fatal(err)
						}
					}
				}
				b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(n), "µs/event")
			})
		}
	}
}
