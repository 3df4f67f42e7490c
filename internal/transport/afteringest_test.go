package transport

import (
	"context"
	"net/http"
	"slices"
	"sync"
	"testing"

	"github.com/vigil-sec/vigil/internal/event"
)

// TestAfterIngestGetsOnlyNewEvents: the hook sees each stored event once,
// with its ID: not a re-sent batch, not events stored by an earlier batch.
func TestAfterIngestGetsOnlyNewEvents(t *testing.T) {
	var mu sync.Mutex
	var got []string
	e := newEnv(t, ServerOptions{AfterIngest: func(_ context.Context, evs []event.Event) {
		mu.Lock()
		defer mu.Unlock()
		for _, ev := range evs {
			got = append(got, ev.Event.ID)
		}
	}})
	id, _ := e.enroll("web1")
	c := e.client(id)
	post := func(seq string, evs []event.Event) {
		t.Helper()
		body, err := EncodeBatch(evs)
		if err != nil {
			t.Fatal(err)
		}
		if st, ae, _ := postBatch(t, c, e.url, seq, body, nil); st != http.StatusOK {
			t.Fatalf("post %s: %d %+v", seq, st, ae)
		}
	}
	evs := mkEvents(0, 30)
	post("1", evs[:20])
	post("1", evs[:20])   // re-sent: duplicate batch
	post("2", evs[10:30]) // overlaps: only 20..29 are new
	noID := mkEvents(100, 1)
	noID[0].Event.ID = ""
	post("3", noID)

	mu.Lock()
	defer mu.Unlock()
	var want []string
	for _, ev := range evs {
		want = append(want, ev.Event.ID)
	}
	if len(got) != 31 || !slices.Equal(got[:30], want) {
		t.Fatalf("hook saw %d events %v, want the 30 batch events once and one more", len(got), got)
	}
	if got[30] == "" {
		t.Fatal("event without id reached the hook without one")
	}
	if n := e.count("event.id:" + got[30]); n != 1 {
		t.Errorf("the id the hook saw finds %d stored events, want 1", n)
	}
}
