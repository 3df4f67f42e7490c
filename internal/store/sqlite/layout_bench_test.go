package sqlite

import (
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/store"
	"github.com/vigil-sec/vigil/internal/store/storetest"
)

// BenchmarkBlockLayout measures the store-side write cost of a layout this
// store does not have: events in zstd-compressed blocks of blockEvents JSON
// documents, a 16-byte event ID index, per-block summaries of the indexed
// fields' distinct values (instead of per-row B-tree indexes), and one
// trigram document per block. It is the measurement behind the block write
// path named in docs/decisions.md ("Ingest, third round"); compare its
// µs/event with BenchmarkInsertCost's full schema plus the trigram indexer.
// Commits of 8,192 events, synchronous FULL, as the store's.
func BenchmarkBlockLayout(b *testing.B) {
	const blockEvents, perCommit = 1024, 8192
	evs := storetest.FleetEvents(65536, benchEnd, 1, 1)
	enc, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderConcurrency(1))
	if err != nil {
		b.Fatal(err)
	}
	db := openDB(dsn(filepath.Join(b.TempDir(), "blocks.db"), "FULL", immediate, eventsBackstop))
	defer db.Close()
	db.SetMaxOpenConns(1)
	for _, ddl := range []string{
		`CREATE TABLE blocks (id INTEGER PRIMARY KEY, ts_min INTEGER, ts_max INTEGER, n INTEGER, data BLOB)`,
		`CREATE TABLE ids (id BLOB PRIMARY KEY, block INTEGER) WITHOUT ROWID`,
		`CREATE TABLE summ (field INTEGER, value TEXT, block INTEGER, n INTEGER, PRIMARY KEY (field, value, block)) WITHOUT ROWID`,
		`CREATE VIRTUAL TABLE fts USING fts5(text, content='', tokenize='trigram', detail='none')`,
	} {
		if _, err := db.Exec(ddl); err != nil {
			b.Fatal(err)
		}
	}
	var encT, blockT, idT, sumT, ftsT, commitT time.Duration
	block, n := int64(0), 0
	timed := func(d *time.Duration, f func() error) {
		t0 := time.Now()
		if err := f(); err != nil {
			b.Fatal(err)
		}
		*d += time.Since(t0)
	}
	for b.Loop() {
		for start := 0; start < len(evs); start += perCommit {
			tx, err := db.Begin()
			if err != nil {
				b.Fatal(err)
			}
			insBlock, _ := tx.Prepare("INSERT INTO blocks (id, ts_min, ts_max, n, data) VALUES (?, ?, ?, ?, ?)")
			insID, _ := tx.Prepare("INSERT INTO ids (id, block) VALUES (?, ?)")
			insSum, _ := tx.Prepare("INSERT INTO summ (field, value, block, n) VALUES (?, ?, ?, ?)")
			insFTS, _ := tx.Prepare("INSERT INTO fts (rowid, text) VALUES (?, ?)")
			for bs := start; bs < start+perCommit; bs += blockEvents {
				chunk := evs[bs:min(bs+blockEvents, len(evs))]
				block++
				var raw, zipped []byte
				var text strings.Builder
				tsMin, tsMax := int64(1<<63-1), int64(-1<<63)
				sums := map[[2]string]int{}
				timed(&encT, func() error {
					for i := range chunk {
						e := &chunk[i]
						var err error
						if raw, err = event.AppendJSON(raw, e, true); err != nil {
							return err
						}
						raw = append(raw, '\n')
						c := store.ColumnsOf(e)
						tsMin, tsMax = min(tsMin, c.TS), max(tsMax, c.TS)
						for f, v := range [...]string{c.HostID, c.Category, c.Action, c.UserName, c.ProcessName, c.Outcome, c.SourceIP, c.DestinationIP, c.FilePath} {
							if v != "" {
								sums[[2]string{string(rune('a' + f)), v}]++
							}
						}
						if c.CommandLine != "" {
							text.WriteString(c.CommandLine)
							text.WriteByte('\n')
						}
						if c.Message != "" {
							text.WriteString(c.Message)
							text.WriteByte('\n')
						}
					}
					zipped = enc.EncodeAll(raw, nil)
					return nil
				})
				timed(&blockT, func() error {
					_, err := insBlock.Exec(block, tsMin, tsMax, len(chunk), zipped)
					return err
				})
				timed(&idT, func() error {
					for i := range chunk {
						key, _ := hex.DecodeString(strings.ReplaceAll(chunk[i].Event.ID, "-", ""))
						key = binary.BigEndian.AppendUint32(key, uint32(n)) // the same events every round: keys made unique
						n++
						if _, err := insID.Exec(key, block); err != nil {
							return err
						}
					}
					return nil
				})
				timed(&sumT, func() error {
					for k, c := range sums {
						if _, err := insSum.Exec(int(k[0][0]), k[1], block, c); err != nil {
							return err
						}
					}
					return nil
				})
				timed(&ftsT, func() error {
					_, err := insFTS.Exec(block, text.String())
					return err
				})
			}
			for _, st := range []*sql.Stmt{insBlock, insID, insSum, insFTS} {
				st.Close()
			}
			timed(&commitT, tx.Commit)
		}
	}
	per := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1000 / float64(n) }
	b.ReportMetric(per(encT), "encode-µs/event")
	b.ReportMetric(per(blockT), "block-µs/event")
	b.ReportMetric(per(idT), "id-µs/event")
	b.ReportMetric(per(sumT), "summary-µs/event")
	b.ReportMetric(per(ftsT), "trigram-µs/event")
	b.ReportMetric(per(commitT), "commit-µs/event")
	b.ReportMetric(per(encT+blockT+idT+sumT+ftsT+commitT), "µs/event")
}
