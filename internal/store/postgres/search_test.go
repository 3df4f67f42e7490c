package postgres

import (
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/query"
)

// TestSearchWindows checks that the windows cover [from, to) exactly,
// newest first and without overlap, and that substring queries get whole
// UTC days.
func TestSearchWindows(t *testing.T) {
	day := 24 * time.Hour
	to := time.Date(2026, 11, 8, 13, 30, 0, 0, time.UTC)
	for _, c := range []struct {
		name     string
		from, to time.Time
		byDay    bool
		n        int
	}{
		{"hour windows, 24 h", to.Add(-day), to, false, 5},
		{"hour windows, 7 days", to.Add(-7 * day), to, false, 8},
		{"hour windows, 30 days", to.Add(-30 * day), to, false, 9},
		{"days, 24 h", to.Add(-day), to, true, 2},
		{"days, 7 days", to.Add(-7 * day), to, true, 8},
		{"days, from midnight to midnight", time.Date(2026, 11, 6, 0, 0, 0, 0, time.UTC), time.Date(2026, 11, 8, 0, 0, 0, 0, time.UTC), true, 2},
		{"days, 30 days", to.Add(-30 * day), to, true, 9},
	} {
		t.Run(c.name, func(t *testing.T) {
			ws := searchWindows(c.from, c.to, c.byDay)
			if len(ws) != c.n {
				t.Errorf("%d windows, want %d: %v", len(ws), c.n, ws)
			}
			if !ws[0][1].Equal(c.to) || !ws[len(ws)-1][0].Equal(c.from) {
				t.Fatalf("windows %v do not span [%v, %v)", ws, c.from, c.to)
			}
			for i, w := range ws {
				if !w[0].Before(w[1]) {
					t.Errorf("window %d is empty: %v", i, w)
				}
				if i > 0 && !w[1].Equal(ws[i-1][0]) {
					t.Errorf("window %d does not end where %d starts: %v", i, i-1, ws)
				}
				if c.byDay && i > 0 && (w[1].Hour() != 0 || w[1].Minute() != 0) {
					t.Errorf("window %d does not end at midnight: %v", i, w)
				}
			}
		})
	}
	// Open ends: the first window is open at to, the last at from.
	ws := searchWindows(time.Time{}, time.Time{}, true)
	if !ws[0][1].IsZero() || !ws[len(ws)-1][0].IsZero() {
		t.Errorf("open range: %v", ws)
	}
}

// TestTrigramConditions checks which compiled queries are marked as using
// a trigram index.
func TestTrigramConditions(t *testing.T) {
	for q, want := range map[string]bool{
		"process.command_line:*curl*":        true,
		`"failed password"`:                  true,
		"psql":                               true,
		"host.name:web-1":                    false,
		"process.name:cur*":                  false,
		"user.name:root and not message:*x*": true,
	} {
		n, err := query.Parse(q)
		if err != nil {
			t.Fatal(err)
		}
		c, err := compileQuery(n)
		if err != nil {
			t.Fatal(err)
		}
		if c.trigram != want {
			t.Errorf("%s: trigram = %v, want %v", q, c.trigram, want)
		}
	}
}
