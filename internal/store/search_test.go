package store_test

import (
	"encoding/base64"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/store"
)

func TestPageLimit(t *testing.T) {
	for _, tc := range []struct{ in, want int }{
		{0, store.DefaultLimit}, {-3, store.DefaultLimit}, {1, 1}, {250, 250},
		{store.MaxLimit, store.MaxLimit}, {store.MaxLimit + 1, store.MaxLimit}, {math.MaxInt, store.MaxLimit},
	} {
		if got := store.PageLimit(tc.in); got != tc.want {
			t.Errorf("PageLimit(%d) = %d, want %d", tc.in, got, tc.want)
		}
	}
}

func TestCursor(t *testing.T) {
	for _, c := range []store.Cursor{{0, 0}, {1762560000123456789, 42}, {-1, math.MaxInt64}, {math.MinInt64, 1}} {
		s := c.String()
		if strings.ContainsAny(s, "+/=") {
			t.Errorf("%+v: %q is not URL-safe", c, s)
		}
		back, err := store.ParseCursor(s)
		if err != nil || back != c {
			t.Errorf("ParseCursor(%q) = %+v, %v; want %+v", s, back, err, c)
		}
	}
	enc := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	for _, bad := range []string{
		"", "!!!", "MS4yLjM=", // padded base64
		enc("2.1.2"), enc("1.1"), enc("1.1.2.3"), enc("1.x.2"), enc("1.1.y"), enc("1..2"),
		enc("1.99999999999999999999.1"),
	} {
		_, err := store.ParseCursor(bad)
		if !errors.Is(err, store.ErrBadRequest) || !strings.Contains(err.Error(), "search: malformed cursor") {
			t.Errorf("ParseCursor(%q): err = %v, want a malformed cursor bad request", bad, err)
		}
	}
}

func FuzzParseCursor(f *testing.F) {
	f.Add(store.Cursor{TS: 1762560000123456789, Seq: 42}.String())
	f.Add("")
	f.Add("MS4yLjM")
	f.Add(base64.RawURLEncoding.EncodeToString([]byte("1.-5.+7")))
	f.Fuzz(func(t *testing.T, s string) {
		c, err := store.ParseCursor(s)
		if err != nil {
			if !errors.Is(err, store.ErrBadRequest) {
				t.Fatalf("ParseCursor(%q): %v is not ErrBadRequest", s, err)
			}
			return
		}
		back, err := store.ParseCursor(c.String())
		if err != nil || back != c {
			t.Fatalf("ParseCursor(%q) = %+v, which reads back as %+v, %v", s, c, back, err)
		}
	})
}

func TestCheckHistogram(t *testing.T) {
	from := time.Date(2026, 11, 7, 0, 0, 0, 0, time.UTC)
	const maxDuration = time.Duration(math.MaxInt64)
	for _, tc := range []struct {
		name     string
		from, to time.Time
		interval time.Duration
		want     int    // buckets, when the arguments are good
		err      string // else a part of the error
	}{
		{"whole intervals", from, from.Add(time.Hour), 10 * time.Minute, 6, ""},
		{"a short last bucket", from, from.Add(61 * time.Minute), 10 * time.Minute, 7, ""},
		{"one bucket", from, from.Add(time.Nanosecond), time.Hour, 1, ""},
		{"at most", from, from.Add(store.MaxBuckets * time.Second), time.Second, store.MaxBuckets, ""},
		{"too many", from, from.Add((store.MaxBuckets + 1) * time.Second), time.Second, 0, "10001 buckets, at most 10000"},
		// (to-from + interval-1) would overflow: 2^62+1 ns in 2^62 ns
		// steps are two buckets, not a negative count.
		{"near the largest interval", from, from.Add(1<<62 + 1), 1 << 62, 2, ""},
		{"the largest interval", from, from.Add(time.Hour), maxDuration, 1, ""},
		{"no from", time.Time{}, from, time.Minute, 0, "needs from < to and a positive interval"},
		{"no to", from, time.Time{}, time.Minute, 0, "needs from < to"},
		{"empty range", from, from, time.Minute, 0, "needs from < to"},
		{"backwards", from.Add(time.Hour), from, time.Minute, 0, "needs from < to"},
		{"no interval", from, from.Add(time.Hour), 0, 0, "a positive interval"},
		{"negative interval", from, from.Add(time.Hour), -time.Minute, 0, "a positive interval"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n, err := store.CheckHistogram(tc.from, tc.to, tc.interval)
			if tc.err != "" {
				if !errors.Is(err, store.ErrBadRequest) || !strings.HasPrefix(err.Error(), "histogram: ") || !strings.Contains(err.Error(), tc.err) {
					t.Errorf("err = %v, want a bad request with %q", err, tc.err)
				}
				return
			}
			if err != nil || n != tc.want {
				t.Errorf("= %d, %v; want %d buckets", n, err, tc.want)
			}
		})
	}
}

func TestHistogram(t *testing.T) {
	from := time.Date(2026, 11, 7, 1, 0, 0, 0, time.FixedZone("CET", 3600))
	counts := []int64{3, 0, 7}
	got := store.Histogram(from, 15*time.Minute, counts)
	if len(got) != len(counts) {
		t.Fatalf("%d buckets for %d counts", len(got), len(counts))
	}
	for i, b := range got {
		want := time.Date(2026, 11, 7, 0, 15*i, 0, 0, time.UTC)
		if !b.Time.Equal(want) || b.Time.Location() != time.UTC || b.Count != counts[i] || b.Key != "" {
			t.Errorf("bucket %d = %+v, want %v (UTC) with %d", i, b, want, counts[i])
		}
	}
}

func TestCheckTop(t *testing.T) {
	for _, f := range []string{"process.name", "process.args", "event.category", "process.pid", "labels.env"} {
		want, _ := event.KindOf(f)
		for _, n := range []int{1, store.MaxTop} {
			if kind, err := store.CheckTop(f, n); err != nil || kind != want {
				t.Errorf("CheckTop(%q, %d) = %v, %v; want %v", f, n, kind, err, want)
			}
		}
	}
	for _, tc := range []struct {
		field string
		n     int
		err   string
	}{
		{"no.such.field", 10, `top: unknown field "no.such.field"`},
		{"process.name", 0, "top: n must be 1 to 1000"},
		{"process.name", -1, "top: n must be 1 to 1000"},
		{"process.name", store.MaxTop + 1, "top: n must be 1 to 1000"},
	} {
		_, err := store.CheckTop(tc.field, tc.n)
		if !errors.Is(err, store.ErrBadRequest) || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("CheckTop(%q, %d): err = %v, want a bad request with %q", tc.field, tc.n, err, tc.err)
		}
	}
}
