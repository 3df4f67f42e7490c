// Package storetest is the conformance suite of store.Store: every
// implementation runs Run and must pass it unchanged. Expected results come
// from a reference evaluation of the query language in Go (reference.go)
// over a generated corpus, and from hand-checked cases.
package storetest

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/query"
	"github.com/vigil-sec/vigil/internal/store"
)

// Opener makes a new, empty store for one test. The returned reopen function
// closes nothing: it opens the same storage again (after the suite closed
// the first store), for durability checks. The suite closes what it opens.
type Opener func(t *testing.T) (s store.Store, reopen func(t *testing.T) store.Store)

// Run runs the whole suite against the stores open makes.
func Run(t *testing.T, open Opener) {
	tests := []struct {
		name string
		fn   func(*testing.T, Opener)
	}{
		{"IngestDedup", testIngestDedup},
		{"PruneBatches", testPruneBatches},
		{"SampleQueries", testSampleQueries},
		{"ReferenceQueries", testReferenceQueries},
		{"TimeRanges", testTimeRanges},
		{"CursorPagination", testCursor},
		{"Limits", testLimits},
		{"Histogram", testHistogram},
		{"Top", testTop},
		{"Hosts", testHosts},
		{"Documents", testDocuments},
		{"Tokens", testTokens},
		{"Retention", testRetention},
		{"ConcurrentIngest", testConcurrentIngest},
		{"Durability", testDurability},
		{"BadRequests", testBadRequests},
		{"OddText", testOddText},
		{"FreshEventsSearchable", testFresh},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, open) })
	}
}

func newStore(t *testing.T, open Opener) (store.Store, func(t *testing.T) store.Store) {
	t.Helper()
	s, reopen := open(t)
	t.Cleanup(func() { s.Close() })
	return s, reopen
}

// ingestAll stores events in batches of 500 under one agent.
func ingestAll(t testing.TB, s store.Store, agent string, evs []event.Event) {
	t.Helper()
	ctx := context.Background()
	for i, seq := 0, uint64(1); i < len(evs); i, seq = i+500, seq+1 {
		b := store.Batch{AgentID: agent, Seq: seq, Events: evs[i:min(i+500, len(evs))]}
		res, err := s.Ingest(ctx, b)
		if err != nil {
			t.Fatalf("ingest batch %d: %v", seq, err)
		}
		if res.Duplicate || res.Stored != len(b.Events) {
			t.Fatalf("ingest batch %d: %+v, want %d stored", seq, res, len(b.Events))
		}
	}
}

func mustParse(t testing.TB, q string) query.Node {
	t.Helper()
	n, err := query.Parse(q)
	if err != nil {
		t.Fatalf("parse %q: %v", q, err)
	}
	return n
}

// searchAll follows cursors until the end and returns the ids in order.
func searchAll(t testing.TB, s store.Store, q store.Search) []string {
	t.Helper()
	var ids []string
	for range 100000 {
		res, err := s.Search(context.Background(), q)
		if err != nil {
			t.Fatalf("search: %v", err)
		}
		for _, e := range res.Events {
			ids = append(ids, e.Event.ID)
		}
		if res.Cursor == "" {
			return ids
		}
		q.Cursor = res.Cursor
	}
	t.Fatal("search: cursor never ends")
	return nil
}

// expected returns the ids of the events matching n in [from, to), newest
// first (ties: later in the slice first, which is insertion order).
func expected(evs []event.Event, n query.Node, from, to time.Time) []string {
	var idx []int
	for i := range evs {
		e := &evs[i]
		if (!from.IsZero() && e.Timestamp.Before(from)) || (!to.IsZero() && !e.Timestamp.Before(to)) {
			continue
		}
		if matches(n, e) {
			idx = append(idx, i)
		}
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		if c := evs[b].Timestamp.Compare(evs[a].Timestamp); c != 0 {
			return c
		}
		return b - a
	})
	ids := make([]string, len(idx))
	for i, j := range idx {
		ids[i] = evs[j].Event.ID
	}
	return ids
}

// testOddText: NUL bytes and invalid UTF-8 in text fields, also in the
// list of categories, are stored (PostgreSQL text cannot hold them: there
// they become U+FFFD) rather than failing the batch, which the agent would
// otherwise send again forever.
func testOddText(t *testing.T, open Opener) {
	s, _ := newStore(t, open)
	ctx := context.Background()
	e := Corpus(1, 7)[0]
	e.Event.ID = "odd-text"
	e.Event.Category = []string{"process\x00", "network\xff"}
	e.Message = "bad\x00byte \xfe"
	if e.User != nil {
		e.User.Name = "u\x00"
	}
	res, err := s.Ingest(ctx, store.Batch{AgentID: "a", Seq: 1, Events: []event.Event{e}})
	if err != nil || res.Stored != 1 {
		t.Fatalf("ingest of odd text: %+v, %v", res, err)
	}
	if n := count(t, s, `event.id:"odd-text"`); n != 1 {
		t.Fatalf("stored %d events with the id, want 1", n)
	}
	h := store.Host{ID: "odd-host", Name: "web\x00\xff", AgentVersion: "1\x00", OS: "x\x00", EnrolledAt: Base, Status: "online"}
	if err := s.UpsertHost(ctx, h); err != nil {
		t.Fatalf("host with odd text: %v", err)
	}
	if got, err := s.Host(ctx, "odd-host"); err != nil || got.ID != "odd-host" {
		t.Fatalf("host with odd text: %+v, %v", got, err)
	}
}

func testBadRequests(t *testing.T, open Opener) {
	s, _ := newStore(t, open)
	ctx := context.Background()
	ingestAll(t, s, "a", Corpus(50, 1))
	for _, q := range []string{"process.pid:abc", "process.pid > x", "@timestamp > yesterday", "host.name:x and process.pid:1.5"} {
		n := mustParse(t, q)
		if _, err := s.Search(ctx, store.Search{Query: n}); !errors.Is(err, store.ErrBadRequest) {
			t.Errorf("search %q: err = %v, want ErrBadRequest", q, err)
		}
		if _, err := s.Count(ctx, n, time.Time{}, time.Time{}); !errors.Is(err, store.ErrBadRequest) {
			t.Errorf("count %q: err = %v, want ErrBadRequest", q, err)
		}
	}
	for _, c := range []string{"garbage", "!!", "MS4x"} {
		if _, err := s.Search(ctx, store.Search{Query: query.All{}, Cursor: c}); !errors.Is(err, store.ErrBadRequest) {
			t.Errorf("cursor %q: err = %v, want ErrBadRequest", c, err)
		}
	}
	if _, err := s.Top(ctx, query.All{}, "no.such.field", Base, Base.Add(time.Hour), 5); !errors.Is(err, store.ErrBadRequest) {
		t.Errorf("top of unknown field: err = %v", err)
	}
	if _, err := s.Top(ctx, query.All{}, "user.name", Base, Base.Add(time.Hour), 0); !errors.Is(err, store.ErrBadRequest) {
		t.Errorf("top 0: err = %v", err)
	}
	if _, err := s.Histogram(ctx, query.All{}, Base, Base.Add(time.Hour), 0); !errors.Is(err, store.ErrBadRequest) {
		t.Errorf("histogram with zero interval: err = %v", err)
	}
	if _, err := s.Histogram(ctx, query.All{}, Base, Base.AddDate(1, 0, 0), time.Second); !errors.Is(err, store.ErrBadRequest) {
		t.Errorf("histogram with too many buckets: err = %v", err)
	}
	if _, err := s.Ingest(ctx, store.Batch{AgentID: "", Seq: 1}); !errors.Is(err, store.ErrBadRequest) {
		t.Errorf("ingest without agent: err = %v", err)
	}
	// Nothing of the above changed the store.
	if n, err := s.Count(ctx, query.All{}, time.Time{}, time.Time{}); err != nil || n != 50 {
		t.Errorf("count after bad requests = %d, %v; want 50", n, err)
	}
}
