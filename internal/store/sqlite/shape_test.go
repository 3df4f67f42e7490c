package sqlite

import (
	"context"
	"database/sql"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/query"
	"github.com/vigil-sec/vigil/internal/store"
	"github.com/vigil-sec/vigil/internal/store/storetest"
)

// TestSubstringShapes checks that both renderings of a substring condition
// (the trigram candidates as a filter, or looked up as one rowid IN) select
// the same rows, with part of the partition not yet indexed.
func TestSubstringShapes(t *testing.T) {
	ctx := context.Background()
	s := openAt(t, filepath.Join(t.TempDir(), "v.db"))
	defer s.Close()
	evs := storetest.FleetEvents(3000, benchEnd, 1, 3)
	ingest(t, s, evs[:2000], 1)
	if err := s.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	ingest(t, s, evs[2000:], 2) // past the watermark
	for _, qs := range []string{`psql`, `"Failed password for user13"`, `process.command_line:*/tmp/x.sh*`,
		`not process.command_line:*curl*`, `process.command_line:*ls* or user.name:user01`, `nomatchanywhere`, `message:*ss*`} {
		t.Run(qs, func(t *testing.T) {
			n, err := query.Parse(qs)
			if err != nil {
				t.Fatal(err)
			}
			c, err := compileQuery(n)
			if err != nil {
				t.Fatal(err)
			}
			err = s.readTx(ctx, func(tx *sql.Tx) error {
				ps, err := s.partitions(ctx, tx, time.Time{}, time.Time{})
				if err != nil || len(ps) != 1 {
					t.Fatalf("partitions: %v %v", ps, err)
				}
				p := ps[0]
				if p.ftsRowid == 0 {
					t.Fatal("nothing indexed")
				}
				scan := rowids(t, tx, c, p)
				p.drive = true
				lookup := rowids(t, tx, c, p)
				if (len(scan) == 0) != (qs == "nomatchanywhere") {
					t.Errorf("%d rows", len(scan))
				}
				if !slices.Equal(scan, lookup) {
					t.Errorf("filter shape %d rows, lookup shape %d rows", len(scan), len(lookup))
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}

func rowids(t *testing.T, tx *sql.Tx, c compiled, p partition) []int64 {
	t.Helper()
	where, args := c.render(p)
	rows, err := tx.Query("SELECT rowid FROM "+eventsTable(p.day)+" WHERE "+where+" ORDER BY rowid", args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		out = append(out, id)
	}
	return out
}

func ingest(t *testing.T, s *Store, evs []event.Event, seq uint64) {
	t.Helper()
	if _, err := s.Ingest(context.Background(), store.Batch{AgentID: "t", Seq: seq, Events: evs}); err != nil {
		t.Fatal(err)
	}
}

// TestUpgradeDays checks that reopening a store brings a day created with
// the older indexes up to date: new indexes built, replaced ones dropped,
// planner statistics recorded.
func TestUpgradeDays(t *testing.T) {
	ctx := context.Background()
	file := filepath.Join(t.TempDir(), "v.db")
	s := openAt(t, file)
	ingest(t, s, storetest.FleetEvents(500, benchEnd, 1, 4), 1)
	ps, err := s.partitions(ctx, s.r, time.Time{}, time.Time{})
	if err != nil || len(ps) != 1 {
		t.Fatal(ps, err)
	}
	tb := eventsTable(ps[0].day)
	for _, stmt := range []string{"DROP INDEX " + tb + "_user_cover", "DROP INDEX " + tb + "_outcome", "DELETE FROM sqlite_stat1",
		"CREATE INDEX " + tb + "_user ON " + tb + " (user_name, ts)"} {
		if _, err := s.w.Exec(stmt); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	s = openAt(t, file)
	defer s.Close()
	var idx []string
	rows, err := s.r.Query("SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = ? ORDER BY name", tb)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var n string
		rows.Scan(&n)
		idx = append(idx, n)
	}
	rows.Close()
	for _, want := range []string{tb + "_user_cover", tb + "_outcome"} {
		if !slices.Contains(idx, want) {
			t.Errorf("index %s missing after upgrade: %v", want, idx)
		}
	}
	if slices.Contains(idx, tb+"_user") {
		t.Errorf("replaced index %s_user still there", tb)
	}
	var n int
	if err := s.r.QueryRow("SELECT count(*) FROM sqlite_stat1 WHERE tbl = ?", tb).Scan(&n); err != nil || n != len(partitionStats) {
		t.Errorf("statistics rows = %d, %v; want %d", n, err, len(partitionStats))
	}
	c, err := s.Count(ctx, nil, time.Time{}, time.Time{})
	if err != nil || c != 500 {
		t.Errorf("count after upgrade = %d, %v", c, err)
	}
}

// TestIDSkipsTrigrams checks that a query fixing event.id leaves the trigram
// index out, finds its event with a substring condition whether the event is
// indexed or not, and that Indexed reports when it is.
func TestIDSkipsTrigrams(t *testing.T) {
	ctx := context.Background()
	s := openAt(t, filepath.Join(t.TempDir(), "v.db"))
	defer s.Close()
	evs := cmdEvents(benchEnd.Add(-12*time.Hour), "a", 0, 50)
	ingest(t, s, evs, 1)
	e := evs[7]
	for _, tc := range []struct {
		q       string
		trigram bool
		n       int64
	}{
		{`event.id:"` + e.Event.ID + `" and process.command_line:*a-7*`, false, 1},
		{`process.command_line:*a-7* and event.id:"` + e.Event.ID + `"`, false, 1},
		{`event.id:"` + e.Event.ID + `" and process.command_line:*a-8*`, false, 0},
		{`event.id:` + e.Event.ID[:30] + `* and process.command_line:*a-7*`, true, 1},
		{`event.id:"` + e.Event.ID + `" or process.command_line:*a-8*`, true, 2},
		{`not event.id:"` + e.Event.ID + `" and process.command_line:*a-7*`, true, 0},
	} {
		n, err := query.Parse(tc.q)
		if err != nil {
			t.Fatal(err)
		}
		c, err := compileQuery(n)
		if err != nil {
			t.Fatal(err)
		}
		if got := len(c.matches) > 0; got != tc.trigram {
			t.Errorf("%s: trigram index used %v, want %v", tc.q, got, tc.trigram)
		}
		for _, flushed := range []bool{false, true} {
			in, err := s.Indexed(ctx, e.Event.ID, e.Timestamp)
			if err != nil || in != flushed {
				t.Errorf("Indexed before flush %v: %v %v", !flushed, in, err)
			}
			if got := countQ(t, s, tc.q); got != tc.n {
				t.Errorf("%s (indexed %v): %d events, want %d", tc.q, flushed, got, tc.n)
			}
			if err := s.Flush(ctx); err != nil {
				t.Fatal(err)
			}
		}
		// Flushed stays flushed for the next case: reopen nothing, reset the mark.
		if _, err := s.fw.Exec("DELETE FROM marks"); err != nil {
			t.Fatal(err)
		}
	}
	if in, err := s.Indexed(ctx, "01a21c36-0000-0000-0000-000000000000", e.Timestamp); err != nil || in {
		t.Errorf("Indexed of an unknown id: %v %v", in, err)
	}
	if in, err := s.Indexed(ctx, e.Event.ID, e.Timestamp.AddDate(0, 0, -3)); err != nil || in {
		t.Errorf("Indexed of a day with no partition: %v %v", in, err)
	}
}

// TestBatchAcrossShards checks a batch whose events span shards when one
// shard committed its part and the others did not (a crash between the
// shards' commits): sent again, it stores the missing parts only, once.
func TestBatchAcrossShards(t *testing.T) {
	ctx := context.Background()
	s := openOpts(t, filepath.Join(t.TempDir(), "v.db"), Options{Shards: 3})
	defer s.Close()
	evs := storetest.FleetEvents(300, benchEnd, 1, 9)
	var first []row // shard 0's part, as Ingest would have made it
	for i := range evs {
		e := evs[i]
		doc, err := store.EncodeEvent(&e)
		if err != nil {
			t.Fatal(err)
		}
		r := toRow(&e, doc)
		r.idx = i
		if s.shardOf(e.Event.ID) == 0 {
			first = append(first, r)
		}
	}
	if len(first) == 0 || len(first) == len(evs) {
		t.Fatalf("%d of %d events in shard 0: the batch must span shards", len(first), len(evs))
	}
	if res, err := s.shards[0].ingest(ctx, "a", 7, first); err != nil || res.Stored != len(first) {
		t.Fatalf("shard 0's part: %+v %v", res, err)
	}
	res, err := s.Ingest(ctx, store.Batch{AgentID: "a", Seq: 7, Events: evs})
	if err != nil || res.Duplicate || res.Stored != len(evs)-len(first) {
		t.Fatalf("batch sent again: %+v %v; want %d stored", res, err, len(evs)-len(first))
	}
	res, err = s.Ingest(ctx, store.Batch{AgentID: "a", Seq: 7, Events: evs})
	if err != nil || !res.Duplicate || res.Stored != 0 {
		t.Fatalf("batch sent a third time: %+v %v", res, err)
	}
	if n := countQ(t, s, ""); n != int64(len(evs)) {
		t.Errorf("%d events stored, want %d", n, len(evs))
	}
}
