package sqlite

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/s2"

	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/query"
	"github.com/vigil-sec/vigil/internal/store"
	"github.com/vigil-sec/vigil/internal/store/storetest"
)

// openPacked opens a store whose days make their document dictionary from
// their first document, so that nearly every document is stored packed.
func openPacked(t *testing.T, file string) *Store {
	t.Helper()
	return openOpts(t, file, Options{Shards: 1, dictSample: s2.MinDictSize})
}

// TestConformancePacked runs the suite with packed documents.
func TestConformancePacked(t *testing.T) {
	storetest.Run(t, func(t *testing.T) (store.Store, func(t *testing.T) store.Store) {
		file := filepath.Join(t.TempDir(), "vigil.db")
		return openPacked(t, file), func(t *testing.T) store.Store { return openPacked(t, file) }
	})
}

// TestPackedDocuments checks the stored form: JSON text until a day has
// enough documents for its dictionary, packed after, both read back as the
// same events; and a reopened store loads its dictionaries from the file.
func TestPackedDocuments(t *testing.T) {
	ctx := context.Background()
	file := filepath.Join(t.TempDir(), "v.db")
	s := openOpts(t, file, Options{Shards: 1, dictSample: 32 << 10})
	evs := storetest.FleetEvents(400, benchEnd.Add(-time.Hour), 0, 5)
	for i := range evs {
		evs[i].Timestamp = benchEnd.Add(-time.Hour + time.Duration(i)*time.Second)
	}
	ingest(t, s, evs[:10], 1) // ~7 KiB: no dictionary yet
	ingest(t, s, evs[10:], 2)
	day := store.DayOf(evs[0].Timestamp)
	kinds := map[string]int{}
	rows, err := s.w.Query("SELECT typeof(doc) FROM " + eventsTable(day) + " ORDER BY rowid")
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			t.Fatal(err)
		}
		kinds[k]++
		order = append(order, k)
	}
	rows.Close()
	if kinds["text"] < 10 || kinds["blob"] < 300 || order[0] != "text" || order[len(order)-1] != "blob" {
		t.Errorf("stored forms %v: want text first, then blobs", kinds)
	}
	var sizes [2]int64
	if err := s.w.QueryRow("SELECT sum(length(doc)) FILTER (WHERE typeof(doc) = 'text'), sum(length(doc)) FILTER (WHERE typeof(doc) = 'blob') FROM "+
		eventsTable(day)).Scan(&sizes[0], &sizes[1]); err != nil {
		t.Fatal(err)
	}
	t.Logf("document bytes: %d as text (%d rows), %d packed (%d rows)", sizes[0], kinds["text"], sizes[1], kinds["blob"])
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	dicts.Clear() // as in a new process
	s = openAt(t, file)
	defer s.Close()
	want := map[string][]byte{}
	for i := range evs {
		b, err := event.AppendJSON(nil, &evs[i], false)
		if err != nil {
			t.Fatal(err)
		}
		want[evs[i].Event.ID] = b
	}
	res, err := s.Search(ctx, store.Search{Query: query.All{}, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Events) != len(evs) {
		t.Fatalf("%d events, want %d", len(res.Events), len(evs))
	}
	for i := range res.Events {
		got, err := event.AppendJSON(nil, &res.Events[i], false)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want[res.Events[i].Event.ID]) {
			t.Fatalf("event %s read back as %s, want %s", res.Events[i].Event.ID, got, want[res.Events[i].Event.ID])
		}
	}
	// Fields only the document has are filtered through vigil_doc.
	if n := countQ(t, s, "process.parent.name:bash"); n == 0 {
		t.Error("process.parent.name:bash found nothing")
	}
	// New documents of the day use the dictionary loaded from the file.
	more := storetest.FleetEvents(20, benchEnd, 0, 6)
	for i := range more {
		more[i].Timestamp = evs[0].Timestamp.Add(time.Duration(i) * time.Millisecond)
	}
	// A document far larger than the dictionary is packed and read back.
	big := more[0]
	big.Event.ID, big.Message = "big-document", strings.Repeat("Accepted publickey for user07 ", 4000)
	more = append(more, big)
	ingest(t, s, more, 3)
	bigQ, err := query.Parse("event.id:big-document")
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.Search(ctx, store.Search{Query: bigQ, Limit: 1})
	if err != nil || len(got.Events) != 1 || got.Events[0].Message != big.Message {
		t.Fatalf("the large document read back: %d events, %v", len(got.Events), err)
	}
	var bigType string
	var bigLen int
	if err := s.w.QueryRow("SELECT typeof(doc), length(doc) FROM "+eventsTable(day)+" WHERE id = 'big-document'").Scan(&bigType, &bigLen); err != nil ||
		bigType != "blob" || bigLen >= len(big.Message) {
		t.Fatalf("the large document is stored as a %s of %d bytes (%v); want packed", bigType, bigLen, err)
	}
	var dictRows, blobs int
	if err := s.w.QueryRow("SELECT count(*) FROM doc_dicts").Scan(&dictRows); err != nil {
		t.Fatal(err)
	}
	if err := s.w.QueryRow("SELECT count(*) FROM " + eventsTable(day) + " WHERE typeof(doc) = 'blob'").Scan(&blobs); err != nil {
		t.Fatal(err)
	}
	if dictRows != 1 || blobs != kinds["blob"]+len(more) {
		t.Errorf("after reopening: %d dictionaries, %d packed rows; want 1 and %d", dictRows, blobs, kinds["blob"]+len(more))
	}

	// Dropping the day drops its dictionary.
	if _, err := s.Expire(ctx, nil, benchEnd.AddDate(0, 0, 2)); err != nil {
		t.Fatal(err)
	}
	if err := s.w.QueryRow("SELECT count(*) FROM doc_dicts").Scan(&dictRows); err != nil {
		t.Fatal(err)
	}
	if dictRows != 0 {
		t.Errorf("%d dictionaries left after the day was dropped", dictRows)
	}
}

// TestCorruptDocument checks that a damaged stored document fails the
// search that reads it with an error and leaves the store serving.
func TestCorruptDocument(t *testing.T) {
	ctx := context.Background()
	s := openPacked(t, filepath.Join(t.TempDir(), "v.db"))
	defer s.Close()
	evs := cmdEvents(benchEnd.Add(-time.Hour), "c", 0, 20)
	ingest(t, s, evs, 1)
	day := store.DayOf(evs[0].Timestamp)
	for _, bad := range [][]byte{{docFormat}, {docFormat, 1, 2, 3, 4, 5, 6, 7, 8, 0xff}, {7, 7}} {
		if _, err := s.w.Exec("UPDATE "+eventsTable(day)+" SET doc = ? WHERE id = ?", bad, evs[3].Event.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Search(ctx, store.Search{Query: query.All{}, Limit: 100}); err == nil {
			t.Errorf("search over document %x: no error", bad)
		}
		n, err := query.Parse("process.parent.name:x")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Count(ctx, n, time.Time{}, time.Time{}); err == nil {
			t.Errorf("filter over document %x: no error", bad)
		}
		if got := countQ(t, s, "process.name:run"); got != 20 {
			t.Errorf("indexed count with a bad document: %d", got)
		}
	}
}

func FuzzUnpackDoc(f *testing.F) {
	raw := []byte(`{"@timestamp":"2026-11-07T00:00:00Z","event":{"id":"x","kind":"event","action":"exec"},"process":{"name":"ls"}}`)
	id, d, err := registerDict(s2.MakeDict(bytes.Repeat(raw, 4), []byte(dictStart)).Bytes())
	if err != nil {
		f.Fatal(err)
	}
	packed, err := appendPacked(nil, id, d, raw)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(packed)
	f.Add(raw)
	f.Add([]byte{docFormat})
	f.Add([]byte{docFormat, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0x0f})
	f.Fuzz(func(t *testing.T, b []byte) {
		out, err := unpackDoc(b)
		if err == nil && len(out) > maxDocSize {
			t.Fatalf("%d bytes", len(out))
		}
		// A document packed with the known dictionary after other bytes
		// leaves them alone and round-trips.
		p, err := appendPacked([]byte("pre"), id, d, b)
		if err != nil || string(p[:3]) != "pre" {
			t.Fatalf("appendPacked(%q): %q %v", b, p, err)
		}
		if len(b) > 0 {
			got, err := unpackDoc(p[3:])
			if err != nil || !bytes.Equal(got, b) {
				t.Fatalf("round trip of %q: %q %v", b, got, err)
			}
		}
	})
}

// TestReadOnly checks the read-only view of a store's files: every shard's
// events, documents expanded by vigil_doc, and nothing written.
func TestReadOnly(t *testing.T) {
	file := filepath.Join(t.TempDir(), "v.db")
	s := openOpts(t, file, Options{Shards: 3, dictSample: s2.MinDictSize})
	evs := storetest.FleetEvents(300, benchEnd, 1, 7)
	if _, err := s.Ingest(context.Background(), store.Batch{AgentID: "a", Seq: 1, Events: evs}); err != nil {
		t.Fatal(err)
	}
	dicts.Clear() // as in another process
	db, schemas, err := ReadOnly(file)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	defer s.Close()
	if len(schemas) != 3 {
		t.Fatalf("schemas %v", schemas)
	}
	var rows, withHost int
	for _, schema := range schemas {
		var days []int
		r, err := db.Query("SELECT day FROM " + schema + ".partitions")
		if err != nil {
			t.Fatal(err)
		}
		for r.Next() {
			var d int
			if err := r.Scan(&d); err != nil {
				t.Fatal(err)
			}
			days = append(days, d)
		}
		r.Close()
		for _, d := range days {
			var n, h int
			if err := db.QueryRow("SELECT count(*), count(json_extract(vigil_doc(doc), '$.host.name')) FROM "+schema+"."+eventsTable(d)).Scan(&n, &h); err != nil {
				t.Fatal(err)
			}
			rows += n
			withHost += h
		}
	}
	if rows != len(evs) || withHost != len(evs) {
		t.Errorf("%d rows, %d with host.name; want %d", rows, withHost, len(evs))
	}
	if _, err := db.Exec("DELETE FROM partitions"); err == nil {
		t.Error("the read-only view wrote")
	}
	if _, _, err := ReadOnly(filepath.Join(t.TempDir(), "none.db")); err == nil {
		t.Error("no error for a missing store")
	}
}
