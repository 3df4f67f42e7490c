package store_test

import (
	"slices"
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/store"
)

func TestDays(t *testing.T) {
	for _, tc := range []struct {
		t   time.Time
		day int
	}{
		{time.Date(2026, 11, 7, 0, 0, 0, 0, time.UTC), 20261107},
		{time.Date(2026, 11, 7, 23, 59, 59, 999999999, time.UTC), 20261107},
		// The day is UTC's, whatever the zone of the time.
		{time.Date(2026, 11, 7, 23, 30, 0, 0, time.FixedZone("EST", -5*3600)), 20261108},
		{time.Date(2024, 2, 29, 12, 0, 0, 0, time.UTC), 20240229},
		{time.Date(1999, 12, 31, 23, 0, 0, 0, time.UTC), 19991231},
	} {
		if got := store.DayOf(tc.t); got != tc.day {
			t.Errorf("DayOf(%v) = %d, want %d", tc.t, got, tc.day)
		}
	}
	// Every day of a few years, leap days included: the day starts at UTC
	// midnight, and its last nanosecond is still the same day.
	for d := time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC); d.Year() < 2026; d = d.AddDate(0, 0, 1) {
		day := store.DayOf(d)
		if start := store.DayStart(day); !start.Equal(d) || start.Location() != time.UTC {
			t.Fatalf("DayStart(%d) = %v, want %v", day, start, d)
		}
		if last := store.DayOf(d.AddDate(0, 0, 1).Add(-1)); last != day {
			t.Fatalf("the last nanosecond of %d is in %d", day, last)
		}
	}
}

func TestRetentionPlan(t *testing.T) {
	t1 := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	t2 := t1.AddDate(0, 0, 20)
	t3 := t1.AddDate(0, 0, 40)
	for _, tc := range []struct {
		name      string
		cutoff    map[string]time.Time
		fallback  time.Time
		wantWhole time.Time
		wantCats  []string
	}{
		{"fallback only", nil, t2, t2, []string{}},
		{"nothing expires", nil, time.Time{}, time.Time{}, []string{}},
		{"oldest cutoff", map[string]time.Time{"process": t3, "network": t1, "file": t2}, t3, t1, []string{"file", "network", "process"}},
		{"fallback oldest", map[string]time.Time{"process": t3, "network": t2}, t1, t1, []string{"network", "process"}},
		// A category kept forever keeps every day: nothing goes whole.
		{"a category kept", map[string]time.Time{"process": t1, "audit": {}}, t2, time.Time{}, []string{"audit", "process"}},
		{"the others kept", map[string]time.Time{"process": t1}, time.Time{}, time.Time{}, []string{"process"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			whole, cats := store.RetentionPlan(tc.cutoff, tc.fallback)
			if !whole.Equal(tc.wantWhole) {
				t.Errorf("whole = %v, want %v", whole, tc.wantWhole)
			}
			// Never nil: pgx binds a nil slice as NULL, and the fallback's
			// "NOT (category = ANY(NULL))" is never true.
			if cats == nil || !slices.Equal(cats, tc.wantCats) {
				t.Errorf("cats = %#v, want %#v", cats, tc.wantCats)
			}
		})
	}
}
