// Package detecttest is the conformance suite of detect.AlertStore: every
// implementation (memory, SQLite, PostgreSQL) runs Run against a fresh store
// and must pass it unchanged.
package detecttest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/detect"
	"github.com/vigil-sec/vigil/internal/rules"
)

// Base is the first_seen of the suite's alerts. Times are whole seconds so
// that stores with microsecond precision compare equal.
var Base = time.Date(2025, 6, 1, 10, 0, 0, 0, time.UTC)

// NewAlert returns a raised alert of rule on host at Base+offset with one
// event ID, as the engine makes them.
func NewAlert(rule, level, host string, offset time.Duration, eventID string) detect.Alert {
	at := Base.Add(offset)
	return detect.Alert{Alert: rules.Alert{
		ID:         fmt.Sprintf("%s-%s-%d-%s", rule, host, int(offset/time.Second), eventID),
		Rule:       rules.AlertRule{ID: rule, Name: "title of " + rule, Level: level},
		Status:     detect.StatusOpen,
		Host:       rules.AlertHost{Name: host},
		Tags:       []string{"attack.execution", "attack.t1059.004"},
		Techniques: []string{"T1059.004"},
		Count:      1,
		EventIDs:   []string{eventID},
		FirstSeen:  at,
		LastSeen:   at,
		DedupKey:   rule + "|" + host,
	}}
}

// Run runs the suite; newStore returns an empty store for each subtest.
func Run(t *testing.T, newStore func(t *testing.T) detect.AlertStore) {
	t.Run("Create", func(t *testing.T) { testCreate(t, newStore(t)) })
	t.Run("Fold", func(t *testing.T) { testFold(t, newStore(t)) })
	t.Run("Window", func(t *testing.T) { testWindow(t, newStore(t)) })
	t.Run("Status", func(t *testing.T) { testStatusAndFold(t, newStore(t)) })
	t.Run("Replay", func(t *testing.T) { testReplay(t, newStore(t)) })
	t.Run("EventIDBound", func(t *testing.T) { testBound(t, newStore(t)) })
	t.Run("List", func(t *testing.T) { testList(t, newStore(t)) })
	t.Run("Update", func(t *testing.T) { testUpdate(t, newStore(t)) })
	t.Run("Errors", func(t *testing.T) { testErrors(t, newStore(t)) })
	t.Run("Concurrent", func(t *testing.T) { testConcurrent(t, newStore(t)) })
}

// MustUpsert upserts a and fails the test on error.
func MustUpsert(tb testing.TB, s detect.AlertStore, a detect.Alert, window time.Duration) (detect.Alert, bool) {
	tb.Helper()
	got, created, err := s.UpsertAlert(context.Background(), a, window)
	if err != nil {
		tb.Fatalf("UpsertAlert(%s): %v", a.ID, err)
	}
	return got, created
}

func mustGet(tb testing.TB, s detect.AlertStore, id string) detect.Alert {
	tb.Helper()
	a, err := s.GetAlert(context.Background(), id)
	if err != nil {
		tb.Fatalf("GetAlert(%s): %v", id, err)
	}
	return a
}

func testCreate(t *testing.T, s detect.AlertStore) {
	a := NewAlert("r1", "high", "h1", 0, "e1")
	a.Group = map[string]string{"source.ip": "10.0.0.9"}
	got, created := MustUpsert(t, s, a, 10*time.Minute)
	if !created {
		t.Fatal("first alert not reported as created")
	}
	for _, g := range []detect.Alert{got, mustGet(t, s, a.ID)} {
		if g.ID != a.ID || g.Status != detect.StatusOpen || g.Count != 1 || g.DedupKey != a.DedupKey {
			t.Errorf("stored %+v, want id %s open count 1", g, a.ID)
		}
		if g.Rule != a.Rule || g.Host != a.Host || !g.FirstSeen.Equal(a.FirstSeen) || !g.LastSeen.Equal(a.LastSeen) {
			t.Errorf("stored rule/host/times %+v %+v %v %v differ from %+v", g.Rule, g.Host, g.FirstSeen, g.LastSeen, a)
		}
		if !slices.Equal(g.Tags, a.Tags) || !slices.Equal(g.Techniques, a.Techniques) || !slices.Equal(g.EventIDs, a.EventIDs) {
			t.Errorf("stored tags %v techniques %v events %v, want %v %v %v", g.Tags, g.Techniques, g.EventIDs, a.Tags, a.Techniques, a.EventIDs)
		}
		if g.Group["source.ip"] != "10.0.0.9" || len(g.Group) != 1 {
			t.Errorf("stored group %v", g.Group)
		}
		if g.UpdatedAt.IsZero() {
			t.Error("updated_at not set")
		}
	}
	got.EventIDs[0] = "changed by caller"
	if again := mustGet(t, s, a.ID); again.EventIDs[0] != "e1" {
		t.Error("store shares memory with a returned alert")
	}
}

func testFold(t *testing.T, s detect.AlertStore) {
	first := NewAlert("r1", "high", "h1", 0, "e1")
	MustUpsert(t, s, first, 10*time.Minute)
	rep := NewAlert("r1", "high", "h1", 5*time.Minute, "e2")
	rep.Count = 2
	got, created := MustUpsert(t, s, rep, 10*time.Minute)
	if created {
		t.Fatal("repeat within the window created a new alert")
	}
	if got.ID != first.ID || got.Count != 3 || !got.LastSeen.Equal(rep.LastSeen) || !got.FirstSeen.Equal(first.FirstSeen) {
		t.Errorf("folded alert %s count %d first %v last %v; want %s count 3 first %v last %v",
			got.ID, got.Count, got.FirstSeen, got.LastSeen, first.ID, first.FirstSeen, rep.LastSeen)
	}
	if !slices.Equal(got.EventIDs, []string{"e1", "e2"}) {
		t.Errorf("event ids %v, want [e1 e2]", got.EventIDs)
	}
	other := NewAlert("r1", "high", "h2", 5*time.Minute, "e3")
	if _, created := MustUpsert(t, s, other, 10*time.Minute); !created {
		t.Error("same rule on another host folded into the first host's alert")
	}
	if all, _ := s.ListAlerts(context.Background(), detect.Filter{}); len(all) != 2 {
		t.Errorf("%d alerts stored, want 2", len(all))
	}
}

func testWindow(t *testing.T, s detect.AlertStore) {
	MustUpsert(t, s, NewAlert("r1", "high", "h1", 0, "e1"), 10*time.Minute)
	// Exactly at the window's end still folds.
	if _, created := MustUpsert(t, s, NewAlert("r1", "high", "h1", 10*time.Minute, "e2"), 10*time.Minute); created {
		t.Error("repeat exactly window after last_seen created an alert")
	}
	// The window runs from the last repeat, not the first alert.
	if _, created := MustUpsert(t, s, NewAlert("r1", "high", "h1", 20*time.Minute, "e3"), 10*time.Minute); created {
		t.Error("repeat within window of the last repeat created an alert")
	}
	late, created := MustUpsert(t, s, NewAlert("r1", "high", "h1", 31*time.Minute, "e4"), 10*time.Minute)
	if !created || late.Count != 1 {
		t.Errorf("repeat after the window: created %v count %d, want a new alert", created, late.Count)
	}
	// Later repeats fold into the newest alert.
	got, _ := MustUpsert(t, s, NewAlert("r1", "high", "h1", 32*time.Minute, "e5"), 10*time.Minute)
	if got.ID != late.ID || got.Count != 2 {
		t.Errorf("repeat folded into %s count %d, want %s count 2", got.ID, got.Count, late.ID)
	}
	// Window 0 means no limit.
	MustUpsert(t, s, NewAlert("r2", "low", "h1", 0, "f1"), 0)
	if _, created := MustUpsert(t, s, NewAlert("r2", "low", "h1", 1000*time.Hour, "f2"), 0); created {
		t.Error("window 0 did not fold a much later repeat")
	}
}

func testStatusAndFold(t *testing.T, s detect.AlertStore) {
	ctx := context.Background()
	a := NewAlert("r1", "high", "h1", 0, "e1")
	MustUpsert(t, s, a, time.Hour)
	if _, err := s.UpdateAlert(ctx, a.ID, detect.Update{Status: detect.StatusAcknowledged}); err != nil {
		t.Fatal(err)
	}
	got, created := MustUpsert(t, s, NewAlert("r1", "high", "h1", time.Minute, "e2"), time.Hour)
	if created || got.Status != detect.StatusAcknowledged || got.Count != 2 {
		t.Errorf("repeat of an acknowledged alert: created %v status %s count %d; want folded, still acknowledged", created, got.Status, got.Count)
	}
	if _, err := s.UpdateAlert(ctx, a.ID, detect.Update{Status: detect.StatusClosed}); err != nil {
		t.Fatal(err)
	}
	n, created := MustUpsert(t, s, NewAlert("r1", "high", "h1", 2*time.Minute, "e3"), time.Hour)
	if !created || n.Status != detect.StatusOpen || n.ID == a.ID {
		t.Errorf("repeat of a closed alert: created %v status %s id %s; want a new open alert", created, n.Status, n.ID)
	}
	if old := mustGet(t, s, a.ID); old.Status != detect.StatusClosed || old.Count != 2 {
		t.Errorf("closed alert changed: status %s count %d", old.Status, old.Count)
	}
}

func testReplay(t *testing.T, s detect.AlertStore) {
	a := NewAlert("r1", "high", "h1", 0, "e1")
	MustUpsert(t, s, a, time.Hour)
	got, created := MustUpsert(t, s, a, time.Hour)
	if created || got.Count != 1 || len(got.EventIDs) != 1 {
		t.Errorf("replayed alert: created %v count %d events %v; want unchanged", created, got.Count, got.EventIDs)
	}
}

func testBound(t *testing.T, s detect.AlertStore) {
	a := NewAlert("r1", "high", "h1", 0, "e0")
	a.EventIDs = make([]string, rules.MaxAlertEventIDs-1)
	for i := range a.EventIDs {
		a.EventIDs[i] = fmt.Sprintf("e%d", i)
	}
	MustUpsert(t, s, a, time.Hour)
	r := NewAlert("r1", "high", "h1", time.Second, "x")
	r.EventIDs = []string{"x1", "x2", "x3"}
	r.Count = 3
	got, _ := MustUpsert(t, s, r, time.Hour)
	if len(got.EventIDs) != rules.MaxAlertEventIDs || got.EventIDs[len(got.EventIDs)-1] != "x1" {
		t.Errorf("%d event ids (last %q), want %d ending with x1", len(got.EventIDs), got.EventIDs[len(got.EventIDs)-1], rules.MaxAlertEventIDs)
	}
	if got.Count != 1+3 {
		t.Errorf("count %d, want 4: the count goes on past the event id bound", got.Count)
	}
}

func testList(t *testing.T, s detect.AlertStore) {
	ctx := context.Background()
	as := []detect.Alert{
		NewAlert("r1", "critical", "h1", 0, "e1"),
		NewAlert("r2", "high", "h1", time.Minute, "e2"),
		NewAlert("r3", "medium", "h2", 2*time.Minute, "e3"),
		NewAlert("r4", "low", "h2", 3*time.Minute, "e4"),
		NewAlert("r5", "informational", "h3", 4*time.Minute, "e5"),
	}
	for _, a := range as {
		MustUpsert(t, s, a, time.Hour)
	}
	if _, err := s.UpdateAlert(ctx, as[1].ID, detect.Update{Status: detect.StatusClosed}); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		f    detect.Filter
		want []int
	}{
		{"all newest first", detect.Filter{}, []int{4, 3, 2, 1, 0}},
		{"status open", detect.Filter{Status: detect.StatusOpen}, []int{4, 3, 2, 0}},
		{"status closed", detect.Filter{Status: detect.StatusClosed}, []int{1}},
		{"min level high", detect.Filter{MinLevel: "high"}, []int{1, 0}},
		{"min level medium, case", detect.Filter{MinLevel: "MEDIUM"}, []int{2, 1, 0}},
		{"since", detect.Filter{Since: Base.Add(2 * time.Minute)}, []int{4, 3, 2}},
		{"host", detect.Filter{Host: "h2"}, []int{3, 2}},
		{"rule", detect.Filter{RuleID: "r3"}, []int{2}},
		{"limit", detect.Filter{Limit: 2}, []int{4, 3}},
		{"combined", detect.Filter{Status: detect.StatusOpen, MinLevel: "medium", Host: "h1"}, []int{0}},
		{"nothing", detect.Filter{Host: "nope"}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := s.ListAlerts(ctx, c.f)
			if err != nil {
				t.Fatal(err)
			}
			var ids, want []string
			for _, a := range got {
				ids = append(ids, a.ID)
			}
			for _, i := range c.want {
				want = append(want, as[i].ID)
			}
			if !slices.Equal(ids, want) {
				t.Errorf("ListAlerts(%+v) = %v, want %v", c.f, ids, want)
			}
		})
	}
}

func testUpdate(t *testing.T, s detect.AlertStore) {
	ctx := context.Background()
	a := NewAlert("r1", "high", "h1", 0, "e1")
	created, _ := MustUpsert(t, s, a, time.Hour)
	noteAt := Base.Add(time.Hour)
	got, err := s.UpdateAlert(ctx, a.ID, detect.Update{Note: &detect.Note{Time: noteAt, Author: "ann", Text: "looking"}})
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != detect.StatusOpen || len(got.Notes) != 1 || got.Notes[0].Text != "looking" || got.Notes[0].Author != "ann" || !got.Notes[0].Time.Equal(noteAt) {
		t.Errorf("after a note: status %s notes %+v", got.Status, got.Notes)
	}
	got, err = s.UpdateAlert(ctx, a.ID, detect.Update{Status: detect.StatusClosed, Note: &detect.Note{Text: "benign: backup job"}})
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != detect.StatusClosed || len(got.Notes) != 2 || got.Notes[1].Time.IsZero() {
		t.Errorf("after close with note: status %s notes %+v (the store sets a zero note time)", got.Status, got.Notes)
	}
	if got.UpdatedAt.Before(created.UpdatedAt) {
		t.Errorf("updated_at went back: %v before %v", got.UpdatedAt, created.UpdatedAt)
	}
	stored := mustGet(t, s, a.ID)
	if stored.Status != detect.StatusClosed || len(stored.Notes) != 2 || stored.Count != 1 {
		t.Errorf("stored after updates: %+v", stored)
	}
	if _, err := s.UpdateAlert(ctx, a.ID, detect.Update{Status: detect.StatusOpen}); err != nil {
		t.Errorf("reopening: %v", err)
	}
}

func testErrors(t *testing.T, s detect.AlertStore) {
	ctx := context.Background()
	a := NewAlert("r1", "high", "h1", 0, "e1")
	MustUpsert(t, s, a, time.Hour)
	if _, err := s.GetAlert(ctx, "no-such-alert"); !errors.Is(err, detect.ErrNotFound) {
		t.Errorf("GetAlert(unknown) = %v, want ErrNotFound", err)
	}
	if _, err := s.UpdateAlert(ctx, "no-such-alert", detect.Update{Status: detect.StatusClosed}); !errors.Is(err, detect.ErrNotFound) {
		t.Errorf("UpdateAlert(unknown) = %v, want ErrNotFound", err)
	}
	bad := []detect.Update{
		{},
		{Status: "deleted"},
		{Note: &detect.Note{Text: "  "}},
		{Note: &detect.Note{Text: string(make([]byte, detect.MaxNoteBytes+1))}},
	}
	for _, u := range bad {
		if _, err := s.UpdateAlert(ctx, a.ID, u); !errors.Is(err, detect.ErrInvalid) {
			t.Errorf("UpdateAlert(%+v) = %v, want ErrInvalid", u.Status, err)
		}
	}
	if got := mustGet(t, s, a.ID); got.Status != detect.StatusOpen || len(got.Notes) != 0 {
		t.Errorf("a rejected update changed the alert: %+v", got)
	}
	for _, f := range []detect.Filter{{Status: "gone"}, {MinLevel: "severe"}, {Limit: -1}} {
		if _, err := s.ListAlerts(ctx, f); !errors.Is(err, detect.ErrInvalid) {
			t.Errorf("ListAlerts(%+v) = %v, want ErrInvalid", f, err)
		}
	}
	noID := NewAlert("r1", "high", "h1", 0, "e1")
	noID.ID = ""
	if _, _, err := s.UpsertAlert(ctx, noID, time.Hour); !errors.Is(err, detect.ErrInvalid) {
		t.Errorf("UpsertAlert without id = %v, want ErrInvalid", err)
	}
	for i := range detect.MaxNotes {
		if _, err := s.UpdateAlert(ctx, a.ID, detect.Update{Note: &detect.Note{Text: fmt.Sprint("n", i)}}); err != nil {
			t.Fatalf("note %d: %v", i, err)
		}
	}
	if _, err := s.UpdateAlert(ctx, a.ID, detect.Update{Note: &detect.Note{Text: "one too many"}}); !errors.Is(err, detect.ErrInvalid) {
		t.Errorf("note beyond MaxNotes = %v, want ErrInvalid", err)
	}
}

func testConcurrent(t *testing.T, s detect.AlertStore) {
	const workers, each = 8, 25
	MustUpsert(t, s, NewAlert("r1", "high", "h1", 0, "e0"), time.Hour)
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				a := NewAlert("r1", "high", "h1", time.Duration(w*each+i+1)*time.Second, fmt.Sprintf("w%d-%d", w, i))
				if _, _, err := s.UpsertAlert(context.Background(), a, time.Hour); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	all, err := s.ListAlerts(context.Background(), detect.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 1 || all[0].Count != 1+workers*each || len(all[0].EventIDs) != 1+workers*each {
		t.Errorf("concurrent repeats gave %d alerts (first count %d), want 1 with count %d", len(all), all[0].Count, 1+workers*each)
	}
}
