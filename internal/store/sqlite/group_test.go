package sqlite

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/query"
	"github.com/vigil-sec/vigil/internal/store"
)

// TestGroupCommitSemantics ingests from many goroutines at once, so that
// calls are merged into shared transactions, with every (agent, seq) sent
// twice and half of the events repeated in another batch: each batch is
// stored once, the other copy is Duplicate, and every event exactly once.
func TestGroupCommitSemantics(t *testing.T) {
	ctx := context.Background()
	s := openAt(t, filepath.Join(t.TempDir(), "vigil.db"))
	defer s.Close()
	const agents, batches, per = 4, 25, 20
	at := time.Date(2025, 5, 1, 10, 0, 0, 0, time.UTC)
	mk := func(agent, b int) []event.Event {
		evs := make([]event.Event, per)
		for i := range evs {
			// Events i >= per/2 are also in batch b+1 of the same agent.
			k := b*per/2 + i
			ts := at.Add(time.Duration(agent*100000+k) * time.Millisecond)
			evs[i] = event.Event{Timestamp: ts, Event: event.Meta{ID: event.DeterministicID(ts, fmt.Sprint(agent), fmt.Sprint(k)),
				Kind: event.KindEvent, Action: "exec"}}
		}
		return evs
	}
	var mu sync.Mutex
	stored, dups := map[[2]int]int{}, map[[2]int]int{}
	var wg sync.WaitGroup
	for a := range agents {
		for copy := range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for b := range batches {
					res, err := s.Ingest(ctx, store.Batch{AgentID: fmt.Sprint("agent-", a), Seq: uint64(b + 1), Events: mk(a, b)})
					if err != nil {
						t.Errorf("agent %d batch %d copy %d: %v", a, b, copy, err)
						return
					}
					mu.Lock()
					if res.Duplicate {
						dups[[2]int{a, b}]++
					} else {
						stored[[2]int{a, b}] += res.Stored
					}
					mu.Unlock()
				}
			}()
		}
	}
	wg.Wait()
	total := 0
	for a := range agents {
		for b := range batches {
			if dups[[2]int{a, b}] != 1 {
				t.Errorf("agent %d batch %d: %d duplicate answers, want 1", a, b, dups[[2]int{a, b}])
			}
			total += stored[[2]int{a, b}]
		}
	}
	// Unique events per agent: batches*per/2 + per/2.
	want := agents * (batches*per/2 + per/2)
	if total != want {
		t.Errorf("Stored summed over answers = %d, want %d", total, want)
	}
	n, err := s.Count(ctx, query.All{}, time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if n != int64(want) {
		t.Errorf("count = %d, want %d", n, want)
	}
}

// TestGroupCommitCancelled: a call whose context ends before its commit
// returns the context's error and does not hold up the others.
func TestGroupCommitCancelled(t *testing.T) {
	s := openAt(t, filepath.Join(t.TempDir(), "vigil.db"))
	defer s.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	ev := []event.Event{{Timestamp: time.Date(2025, 5, 1, 10, 0, 0, 0, time.UTC), Event: event.Meta{Kind: event.KindEvent}}}
	if _, err := s.Ingest(ctx, store.Batch{AgentID: "a", Seq: 1, Events: ev}); err == nil {
		t.Fatal("Ingest with a cancelled context succeeded")
	}
	res, err := s.Ingest(context.Background(), store.Batch{AgentID: "a", Seq: 1, Events: ev})
	if err != nil || res.Duplicate || res.Stored != 1 {
		t.Fatalf("retry after cancel: %+v, %v; want stored 1", res, err)
	}
}
