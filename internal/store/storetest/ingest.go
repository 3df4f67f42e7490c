package storetest

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/query"
	"github.com/vigil-sec/vigil/internal/store"
)

func count(t testing.TB, s store.Store, q string) int64 {
	t.Helper()
	n, err := s.Count(context.Background(), mustParse(t, q), time.Time{}, time.Time{})
	if err != nil {
		t.Fatalf("count %q: %v", q, err)
	}
	return n
}

// testPruneBatches: pruned batch records no longer answer Duplicate, and
// the events of a batch sent again are still stored once (by event.id).
func testPruneBatches(t *testing.T, open Opener) {
	s, _ := newStore(t, open)
	ctx := context.Background()
	evs := Corpus(20, 3)
	for seq := uint64(1); seq <= 2; seq++ {
		if _, err := s.Ingest(ctx, store.Batch{AgentID: "a1", Seq: seq, Events: evs[(seq-1)*10 : seq*10]}); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := s.PruneBatches(ctx, time.Now().Add(-time.Hour)); err != nil || n != 0 {
		t.Fatalf("prune before the batches: %d, %v; want 0", n, err)
	}
	if res, err := s.Ingest(ctx, store.Batch{AgentID: "a1", Seq: 1, Events: evs[:10]}); err != nil || !res.Duplicate {
		t.Fatalf("re-sent batch before pruning: %+v, %v; want Duplicate", res, err)
	}
	if n, err := s.PruneBatches(ctx, time.Now().Add(time.Hour)); err != nil || n != 2 {
		t.Fatalf("prune after the batches: %d, %v; want 2", n, err)
	}
	res, err := s.Ingest(ctx, store.Batch{AgentID: "a1", Seq: 1, Events: evs[:10]})
	if err != nil || res.Duplicate || res.Stored != 0 || len(res.New) != 0 {
		t.Fatalf("re-sent batch after pruning: %+v, %v; want not Duplicate and nothing stored", res, err)
	}
	if n := count(t, s, ""); n != 20 {
		t.Errorf("stored %d events, want 20", n)
	}
}

func testIngestDedup(t *testing.T, open Opener) {
	s, _ := newStore(t, open)
	ctx := context.Background()
	evs := Corpus(100, 2)
	res, err := s.Ingest(ctx, store.Batch{AgentID: "a1", Seq: 1, Events: evs[:60]})
	if err != nil || res.Duplicate || res.Stored != 60 || !slices.Equal(res.New, seqInts(0, 60)) {
		t.Fatalf("first batch: stored %d new %v duplicate %v, %v; want all 60 new", res.Stored, res.New, res.Duplicate, err)
	}
	// The same batch again: recognised, nothing stored.
	res, err = s.Ingest(ctx, store.Batch{AgentID: "a1", Seq: 1, Events: evs[:60]})
	if err != nil || !res.Duplicate || res.Stored != 0 || len(res.New) != 0 {
		t.Fatalf("re-sent batch: %+v, %v", res, err)
	}
	// Another agent may use the same sequence number.
	res, err = s.Ingest(ctx, store.Batch{AgentID: "a2", Seq: 1, Events: evs[60:70]})
	if err != nil || res.Duplicate || res.Stored != 10 {
		t.Fatalf("other agent: %+v, %v", res, err)
	}
	// A new batch overlapping stored event ids stores only the new ones.
	res, err = s.Ingest(ctx, store.Batch{AgentID: "a1", Seq: 2, Events: evs[50:100]})
	if err != nil || res.Duplicate || res.Stored != 30 {
		t.Fatalf("overlapping batch: %+v, %v; want 30 stored", res, err)
	}
	// New says which: evs[70:100], at indexes 20..49 of this batch.
	if want := seqInts(20, 50); !slices.Equal(res.New, want) {
		t.Errorf("overlapping batch: New = %v, want %v", res.New, want)
	}
	// Duplicate ids inside one batch are stored once.
	dup := []event.Event{evs[0], evs[0]}
	dup[0].Event.ID, dup[1].Event.ID = "same-id", "same-id"
	res, err = s.Ingest(ctx, store.Batch{AgentID: "a1", Seq: 3, Events: dup})
	if err != nil || res.Stored != 1 || !slices.Equal(res.New, []int{0}) {
		t.Fatalf("duplicate ids in a batch: %+v, %v; want the first stored", res, err)
	}
	// An empty batch is a valid batch.
	res, err = s.Ingest(ctx, store.Batch{AgentID: "a1", Seq: 4})
	if err != nil || res.Duplicate || res.Stored != 0 {
		t.Fatalf("empty batch: %+v, %v", res, err)
	}
	if n := count(t, s, ""); n != 101 {
		t.Errorf("stored %d events, want 101", n)
	}
	if n := count(t, s, "event.id:same-id"); n != 1 {
		t.Errorf("same-id stored %d times", n)
	}
	// An event without an id, between two with ids, gets one: the same in
	// its stored document as where the store looks ids up. The caller's
	// event is left as it was.
	known := map[string]bool{"same-id": true}
	for _, e := range evs {
		known[e.Event.ID] = true
	}
	batch := Corpus(3, 9)
	for _, e := range batch {
		known[e.Event.ID] = true
	}
	batch[1].Event.ID = ""
	res, err = s.Ingest(ctx, store.Batch{AgentID: "a1", Seq: 5, Events: batch})
	if err != nil || res.Stored != 3 {
		t.Fatalf("batch with an event without id: %+v, %v", res, err)
	}
	if batch[1].Event.ID != "" {
		t.Errorf("Ingest gave the caller's event the id %q", batch[1].Event.ID)
	}
	if n := count(t, s, "event.id:*"); n != 104 {
		t.Errorf("events with an id: %d, want 104", n)
	}
	all, err := s.Search(ctx, store.Search{Query: query.All{}, Limit: 200})
	if err != nil {
		t.Fatal(err)
	}
	var given []string
	for _, e := range all.Events {
		if !known[e.Event.ID] {
			given = append(given, e.Event.ID)
		}
	}
	if len(given) != 1 || given[0] == "" {
		t.Fatalf("ids not sent by the agent: %q, want the one given", given)
	}
	if n := count(t, s, fmt.Sprintf("event.id:%q", given[0])); n != 1 {
		t.Errorf("event.id:%q finds %d events, want 1", given[0], n)
	}
}

func testCursor(t *testing.T, open Opener) {
	s, _ := newStore(t, open)
	ctx := context.Background()
	evs := Corpus(1200, 5)
	ingestAll(t, s, "a", evs)
	n := mustParse(t, "event.action:exec or event.category:authentication")
	want := expected(evs, n, time.Time{}, time.Time{})
	// Page through while another agent ingests events both newer than
	// everything and inside the range being paged: pages must neither repeat
	// nor skip any of the events that were there when paging began.
	var got []string
	q := store.Search{Query: n, Limit: 37}
	seq := uint64(0)
	for {
		res, err := s.Search(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range res.Events {
			got = append(got, e.Event.ID)
		}
		seq++
		extra := Corpus(20, 100+seq)
		for i := range extra {
			extra[i].Timestamp = extra[i].Timestamp.Add(time.Duration(seq) * 96 * time.Hour) // newer than all
			extra[i].Event.ID = fmt.Sprintf("late-%d-%d", seq, i)
		}
		if _, err := s.Ingest(ctx, store.Batch{AgentID: "b", Seq: seq, Events: extra}); err != nil {
			t.Fatal(err)
		}
		if res.Cursor == "" {
			break
		}
		q.Cursor = res.Cursor
	}
	if !slices.Equal(got, want) {
		t.Errorf("paged %d ids, want %d; equal prefix %d", len(got), len(want), commonPrefix(got, want))
	}
}

func commonPrefix(a, b []string) int {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	return i
}

func testConcurrentIngest(t *testing.T, open Opener) {
	s, _ := newStore(t, open)
	ctx := context.Background()
	const agents, batches, per = 6, 10, 50
	evs := Corpus(agents*batches*per, 9)
	var wg sync.WaitGroup
	errs := make(chan error, agents*batches*2)
	for a := range agents {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range batches {
				start := (a*batches + b) * per
				batch := store.Batch{AgentID: fmt.Sprintf("agent-%d", a), Seq: uint64(b + 1), Events: evs[start : start+per]}
				// Every batch is sent twice, as an agent does when an ack is lost.
				for range 2 {
					if _, err := s.Ingest(ctx, batch); err != nil {
						errs <- err
					}
				}
			}
		}()
	}
	// Readers run meanwhile.
	wg.Add(1)
	go func() {
		defer wg.Done()
		for range 20 {
			if _, err := s.Search(ctx, store.Search{Query: mustParse(t, "curl"), Limit: 50}); err != nil {
				errs <- err
			}
		}
	}()
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := count(t, s, ""); n != int64(len(evs)) {
		t.Errorf("stored %d, want %d", n, len(evs))
	}
	want := expected(evs, query.All{}, time.Time{}, time.Time{})
	got := searchAll(t, s, store.Search{Query: query.All{}, Limit: 5000})
	slices.Sort(want)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("stored ids differ from sent ids")
	}
}

func testDurability(t *testing.T, open Opener) {
	s, reopen := open(t)
	evs := Corpus(2000, 11)
	ingestAll(t, s, "a", evs)
	ctx := context.Background()
	if err := s.UpsertHost(ctx, store.Host{ID: "h1", Name: "web-1", Status: "online", EnrolledAt: Base}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s2 := reopen(t)
	defer s2.Close()
	if n := count(t, s2, ""); n != int64(len(evs)) {
		t.Errorf("after reopen: %d events, want %d", n, len(evs))
	}
	n := mustParse(t, "process.command_line:history")
	want := expected(evs, n, time.Time{}, time.Time{})
	if got := searchAll(t, s2, store.Search{Query: n, Limit: 500}); !slices.Equal(got, want) {
		t.Errorf("substring search after reopen: %d hits, want %d", len(got), len(want))
	}
	if _, err := s2.Host(ctx, "h1"); err != nil {
		t.Errorf("host after reopen: %v", err)
	}
	// The batch record survived too: a re-sent batch is still a duplicate.
	res, err := s2.Ingest(ctx, store.Batch{AgentID: "a", Seq: 1, Events: evs[:500]})
	if err != nil || !res.Duplicate {
		t.Errorf("re-sent batch after reopen: %+v, %v", res, err)
	}
}

func testFresh(t *testing.T, open Opener) {
	s, _ := newStore(t, open)
	ctx := context.Background()
	evs := Corpus(500, 12)
	ingestAll(t, s, "a", evs)
	// Right after the commit, before any background indexing can have run,
	// substring searches find the new events.
	marker := evs[0]
	marker.Timestamp = Base.Add(time.Hour + time.Second)
	marker.Event.ID = "fresh-1"
	marker.Process = &event.Process{Name: "sh", CommandLine: "sh -c echo zq81-unique-arg"}
	if _, err := s.Ingest(ctx, store.Batch{AgentID: "a", Seq: 99, Events: []event.Event{marker}}); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"zq81-unique", "process.command_line:*UNIQUE-ARG", "zq8"} {
		got := searchAll(t, s, store.Search{Query: mustParse(t, q), Limit: 10})
		if !slices.Equal(got, []string{"fresh-1"}) {
			t.Errorf("%q right after ingest: %v", q, got)
		}
	}
}

// seqInts returns from, from+1, ..., to-1.
func seqInts(from, to int) []int {
	out := make([]int, 0, to-from)
	for i := from; i < to; i++ {
		out = append(out, i)
	}
	return out
}
