package sqlite

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/query"
	"github.com/vigil-sec/vigil/internal/store"
)

// cmdEvents returns n exec events of one day with command lines "run-<tag>-<i>".
func cmdEvents(day time.Time, tag string, first, n int) []event.Event {
	evs := make([]event.Event, n)
	for i := range evs {
		at := day.Add(time.Duration(first+i) * time.Second)
		evs[i] = event.Event{Timestamp: at,
			Event:   event.Meta{ID: event.DeterministicID(at, tag, fmt.Sprint(i)), Kind: event.KindEvent, Category: []string{event.CategoryProcess}, Action: "exec"},
			Process: &event.Process{Name: "run", CommandLine: fmt.Sprintf("run-%s-%d", tag, first+i)}}
	}
	return evs
}

func countQ(t *testing.T, s *Store, q string) int64 {
	t.Helper()
	n, err := query.Parse(q)
	if err != nil {
		t.Fatal(err)
	}
	c, err := s.Count(context.Background(), n, time.Time{}, time.Time{})
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return c
}

// TestIndexFile checks the index file's layout: the trigram indexes live in
// NAME.fts.db, none in the event file, and a substring search uses them.
func TestIndexFile(t *testing.T) {
	ctx := context.Background()
	file := filepath.Join(t.TempDir(), "v.db")
	s := openAt(t, file)
	defer s.Close()
	ingest(t, s, cmdEvents(benchEnd.Add(-12*time.Hour), "a", 0, 300), 1)
	if err := s.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(file), "v.fts.db")); err != nil {
		t.Fatalf("index file: %v", err)
	}
	var inMain, inIndex int
	if err := s.w.QueryRow("SELECT count(*) FROM sqlite_schema WHERE name GLOB 'fts_*'").Scan(&inMain); err != nil {
		t.Fatal(err)
	}
	if err := s.fw.QueryRow("SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name GLOB 'fts_[0-9]*' AND name NOT GLOB 'fts_*_*'").Scan(&inIndex); err != nil {
		t.Fatal(err)
	}
	if inMain != 0 || inIndex != 1 {
		t.Fatalf("trigram tables: %d in the event file, %d in the index file; want 0 and 1", inMain, inIndex)
	}
	var automerge int
	if err := s.fw.QueryRow("SELECT v FROM " + ftsTable(store.DayOf(benchEnd.Add(-12*time.Hour))) + "_config WHERE k = 'automerge'").Scan(&automerge); err != nil || automerge != ftsAutomerge {
		t.Fatalf("automerge %d, %v; want %d", automerge, err, ftsAutomerge)
	}
	ps, err := s.partitions(ctx, s.r, time.Time{}, time.Time{})
	if err != nil || len(ps) != 1 || ps[0].ftsRowid != 300 {
		t.Fatalf("partitions %+v, %v: want one day indexed up to rowid 300", ps, err)
	}
	if n := countQ(t, s, `process.command_line:*run-a-17*`); n != 11 { // 17, 170..179
		t.Fatalf("substring count %d, want 11", n)
	}
}

// TestExpireTailThenNewRows: deleting the newest rows of a day lets SQLite
// reuse their rowids; new rows with those rowids must still be found by a
// substring search (the watermark was lowered before the rows went).
func TestExpireTailThenNewRows(t *testing.T) {
	ctx := context.Background()
	s := openAt(t, filepath.Join(t.TempDir(), "v.db"))
	defer s.Close()
	day := benchEnd.Add(-24 * time.Hour)
	old := cmdEvents(day, "old", 0, 100)
	for i := range old[50:] {
		old[50+i].Event.Category = []string{event.CategoryNetwork} // the tail: expires
	}
	ingest(t, s, old, 1)
	if err := s.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	n, err := s.Expire(ctx, map[string]time.Time{event.CategoryNetwork: benchEnd}, time.Time{})
	if err != nil || n != 50 {
		t.Fatalf("expired %d, %v; want the 50 network rows", n, err)
	}
	ingest(t, s, cmdEvents(day.Add(time.Hour), "new", 0, 50), 2) // rowids 51..100 again
	if n := countQ(t, s, `process.command_line:*run-new-4*`); n != 11 {
		t.Fatalf("before indexing: %d new rows found, want 11", n)
	}
	if err := s.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if n := countQ(t, s, `process.command_line:*run-new-4*`); n != 11 {
		t.Fatalf("after indexing: %d new rows found, want 11", n)
	}
	if n := countQ(t, s, `process.command_line:*run-old-7*`); n != 1 { // 7; 70..79 expired
		t.Fatalf("old rows: %d found, want 1", n)
	}
}

// TestOrphanIndexDropped: a crash between dropping a day's index and its
// table, or an index left by anything else, must not survive a restart, or a
// day created again would start with a watermark past its rows.
func TestOrphanIndexDropped(t *testing.T) {
	ctx := context.Background()
	file := filepath.Join(t.TempDir(), "v.db")
	s := openAt(t, file)
	ingest(t, s, cmdEvents(benchEnd.Add(-time.Hour), "a", 0, 10), 1)
	if err := s.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	// An orphan: index and watermark of a day the event file lacks.
	for _, q := range []string{ftsDDL(20200101), "INSERT INTO marks (day, indexed_rowid) VALUES (20200101, 999)"} {
		if _, err := s.fw.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	s = openAt(t, file)
	defer s.Close()
	var n int
	if err := s.fw.QueryRow("SELECT (SELECT count(*) FROM marks WHERE day = 20200101) + (SELECT count(*) FROM sqlite_schema WHERE name = 'fts_20200101')").Scan(&n); err != nil || n != 0 {
		t.Fatalf("orphan left: %d, %v", n, err)
	}
	if c := countQ(t, s, `process.command_line:*run-a-3*`); c != 1 {
		t.Fatalf("the live day's index broke: %d", c)
	}
}

// TestOldLayoutUpgraded: a day whose trigram index an earlier version kept in
// the event file loses it on open, and the indexer builds it in the index
// file; searches are right before and after.
func TestOldLayoutUpgraded(t *testing.T) {
	ctx := context.Background()
	file := filepath.Join(t.TempDir(), "v.db")
	s := openAt(t, file)
	ingest(t, s, cmdEvents(benchEnd.Add(-time.Hour), "a", 0, 40), 1)
	ps, _ := s.partitions(ctx, s.r, time.Time{}, time.Time{})
	d := ps[0].day
	old := `CREATE VIRTUAL TABLE ` + ftsTable(d) + ` USING fts5(command_line, message, content='` + eventsTable(d) + `', content_rowid='rowid', tokenize='trigram', detail='none')`
	if _, err := s.w.Exec(old); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s = openAt(t, file)
	defer s.Close()
	var inMain int
	if err := s.w.QueryRow("SELECT count(*) FROM sqlite_schema WHERE name = ?", ftsTable(d)).Scan(&inMain); err != nil || inMain != 0 {
		t.Fatalf("old index still in the event file: %d, %v", inMain, err)
	}
	if c := countQ(t, s, `process.command_line:*run-a-3*`); c != 11 {
		t.Fatalf("before reindexing: %d, want 11", c)
	}
	if err := s.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if c := countQ(t, s, `process.command_line:*run-a-3*`); c != 11 {
		t.Fatalf("after reindexing: %d, want 11", c)
	}
}

// TestWALCutBack checks journal_size_limit: once a checkpoint has copied the
// whole WAL, the writer's next commit starts it over and cuts the file back
// to walSizeLimit, instead of keeping its largest size.
func TestWALCutBack(t *testing.T) {
	old := walSizeLimit
	walSizeLimit = 64 << 10
	t.Cleanup(func() { walSizeLimit = old })
	ctx := context.Background()
	file := filepath.Join(t.TempDir(), "v.db")
	s := openAt(t, file)
	defer s.Close()
	walSize := func() int64 {
		fi, err := os.Stat(file + "-wal")
		if err != nil {
			t.Fatal(err)
		}
		return fi.Size()
	}
	day := benchEnd.Add(-12 * time.Hour)
	ingest(t, s, cmdEvents(day, "a", 0, 3000), 1)
	grown := walSize()
	if grown <= int64(walSizeLimit) {
		t.Fatalf("WAL %d bytes after ingest: the test needs more than %d", grown, walSizeLimit)
	}
	// Indexed (so the indexer holds no snapshot), then checkpointed whole.
	if err := s.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	var busy, logPages, copied int
	if err := s.ck.QueryRowContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &logPages, &copied); err != nil || logPages != copied {
		t.Fatalf("checkpoint: busy %d, %d of %d pages copied, %v", busy, copied, logPages, err)
	}
	ingest(t, s, cmdEvents(day, "b", 5000, 1), 2)
	if got := walSize(); got > int64(walSizeLimit) {
		t.Fatalf("WAL %d bytes after a checkpoint and a small commit, was %d; want at most %d", got, grown, walSizeLimit)
	}
	if n := countQ(t, s, "process.name:run"); n != 3001 {
		t.Fatalf("%d events, want 3001", n)
	}
}
