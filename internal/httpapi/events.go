package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/query"
	"github.com/vigil-sec/vigil/internal/store"
)

// Limits of the events endpoints.
const (
	DefaultLimit = 100
	MaxLimit     = 1000
	DefaultTopN  = 10
	MaxTopN      = 1000
	// MaxBuckets bounds a histogram; the interval grows to stay under it.
	MaxBuckets = 2000
)

// SearchPage is the answer of GET /api/v1/events.
type SearchPage struct {
	Events []json.RawMessage `json:"events"`
	// Cursor continues the search; empty on the last page.
	Cursor string `json:"cursor,omitempty"`
}

// BucketList is the answer of the aggregation endpoints.
type BucketList struct {
	Interval string         `json:"interval,omitempty"`
	Buckets  []store.Bucket `json:"buckets"`
}

// window is the parsed q/from/to/since of an events request.
type window struct {
	q        query.Node
	from, to time.Time
}

// parseWindow reads q, from, to and since; since (a duration back from now)
// sets from when from is absent.
func parseWindow(v url.Values, now time.Time) (window, string, error) {
	var wd window
	q, err := query.Parse(v.Get("q"))
	if err != nil {
		return wd, "bad_query", err
	}
	wd.q = q
	for _, p := range []struct {
		name string
		dst  *time.Time
	}{{"from", &wd.from}, {"to", &wd.to}} {
		if s := v.Get(p.name); s != "" {
			t, err := ParseTime(s, now)
			if err != nil {
				return wd, "bad_time", fmt.Errorf("%s: %w", p.name, err)
			}
			*p.dst = t
		}
	}
	if s := v.Get("since"); s != "" {
		d, err := ParseDuration(s)
		if err != nil {
			return wd, "bad_time", fmt.Errorf("since: %w", err)
		}
		if wd.from.IsZero() {
			wd.from = now.Add(-d)
		}
	}
	if !wd.from.IsZero() && !wd.to.IsZero() && !wd.from.Before(wd.to) {
		return wd, "bad_time", errors.New("from must be before to")
	}
	return wd, "", nil
}

// ParseDuration accepts Go durations plus a day suffix ("7d", "1d12h").
func ParseDuration(s string) (time.Duration, error) {
	var days time.Duration
	if i := strings.IndexByte(s, 'd'); i > 0 {
		n, err := strconv.Atoi(s[:i])
		if err != nil || n < 0 || n > 36500 {
			return 0, fmt.Errorf("bad duration %q", s)
		}
		days, s = time.Duration(n)*24*time.Hour, s[i+1:]
		if s == "" {
			return days, nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 || days+d < days {
		return 0, fmt.Errorf("bad duration %q (use 15m, 24h, 7d)", s)
	}
	return days + d, nil
}

// ParseTime accepts RFC 3339, a date (2006-01-02, UTC), or "now-DURATION".
func ParseTime(s string, now time.Time) (time.Time, error) {
	if rest, ok := strings.CutPrefix(s, "now"); ok {
		if rest == "" {
			return now, nil
		}
		if d, ok := strings.CutPrefix(rest, "-"); ok {
			dd, err := ParseDuration(d)
			return now.Add(-dd), err
		}
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("bad time %q (use RFC 3339, YYYY-MM-DD or now-24h)", s)
}

func intParam(v url.Values, name string, def, max int) (int, error) {
	s := v.Get(name)
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		return 0, fmt.Errorf("%s: want a positive integer, got %q", name, s)
	}
	return min(n, max), nil
}

func (a *api) searchEvents(w http.ResponseWriter, r *http.Request) {
	v := r.URL.Query()
	wd, code, err := parseWindow(v, a.Now())
	if err != nil {
		writeError(w, http.StatusBadRequest, code, err.Error())
		return
	}
	limit, err := intParam(v, "limit", DefaultLimit, MaxLimit)
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_limit", err.Error())
		return
	}
	res, err := a.Store.Search(r.Context(), store.Search{
		Query: wd.q, From: wd.from, To: wd.to, Limit: limit, Cursor: v.Get("cursor"),
	})
	if err != nil {
		a.storeError(w, r, err)
		return
	}
	page := SearchPage{Events: make([]json.RawMessage, 0, len(res.Events)), Cursor: res.Cursor}
	for i := range res.Events {
		b, err := event.AppendJSON(nil, &res.Events[i], true)
		if err != nil {
			a.storeError(w, r, err)
			return
		}
		page.Events = append(page.Events, b)
	}
	writeJSON(w, http.StatusOK, page)
}

func (a *api) histogram(w http.ResponseWriter, r *http.Request) {
	v := r.URL.Query()
	now := a.Now()
	wd, code, err := parseWindow(v, now)
	if err != nil {
		writeError(w, http.StatusBadRequest, code, err.Error())
		return
	}
	if wd.from.IsZero() {
		wd.from = now.Add(-24 * time.Hour)
	}
	if wd.to.IsZero() {
		wd.to = now
	}
	interval := time.Hour
	if s := v.Get("interval"); s != "" {
		if interval, err = ParseDuration(s); err != nil || interval < time.Second {
			writeError(w, http.StatusBadRequest, "bad_interval", fmt.Sprintf("interval: want a duration of at least 1s, got %q", s))
			return
		}
	}
	if span := wd.to.Sub(wd.from); span/interval > MaxBuckets {
		interval = (span/MaxBuckets + time.Second).Truncate(time.Second)
	}
	b, err := a.Store.Histogram(r.Context(), wd.q, wd.from, wd.to, interval)
	if err != nil {
		a.storeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, BucketList{Interval: interval.String(), Buckets: nonNil(b)})
}

func (a *api) top(w http.ResponseWriter, r *http.Request) {
	v := r.URL.Query()
	wd, code, err := parseWindow(v, a.Now())
	if err != nil {
		writeError(w, http.StatusBadRequest, code, err.Error())
		return
	}
	field := v.Get("field")
	if !event.KnownField(field) {
		writeError(w, http.StatusBadRequest, "bad_field", fmt.Sprintf("field: unknown field %q", field))
		return
	}
	n, err := intParam(v, "n", DefaultTopN, MaxTopN)
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_limit", err.Error())
		return
	}
	b, err := a.Store.Top(r.Context(), wd.q, field, wd.from, wd.to, n)
	if err != nil {
		a.storeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, BucketList{Buckets: nonNil(b)})
}

func nonNil(b []store.Bucket) []store.Bucket {
	if b == nil {
		return []store.Bucket{}
	}
	return b
}
