package store

import (
	"slices"
	"time"
)

// Both stores partition events by UTC day, so that retention drops whole
// days instead of deleting rows.

// DayOf returns the UTC day of t as YYYYMMDD: the partition holding events
// of that time.
func DayOf(t time.Time) int {
	y, m, d := t.UTC().Date()
	return y*10000 + int(m)*100 + d
}

// DayStart returns UTC midnight of a day given as YYYYMMDD.
func DayStart(day int) time.Time {
	return time.Date(day/10000, time.Month(day/100%100), day%100, 0, 0, 0, 0, time.UTC)
}

// RetentionPlan reads the arguments of Store.Expire (a cutoff per category,
// fallback for the others; a zero time keeps everything). whole is the time
// before which every event has expired whatever its category, so that days
// ending at or before it can be dropped whole; it is zero when some cutoff
// keeps events forever. cats are the categories of cutoff, sorted, and
// never nil: bound as a PostgreSQL array, nil would be NULL, not empty.
func RetentionPlan(cutoff map[string]time.Time, fallback time.Time) (whole time.Time, cats []string) {
	whole = fallback
	cats = make([]string, 0, len(cutoff))
	for c, t := range cutoff {
		cats = append(cats, c)
		if t.IsZero() || whole.IsZero() {
			whole = time.Time{}
			continue
		}
		if t.Before(whole) {
			whole = t
		}
	}
	slices.Sort(cats)
	return whole, cats
}
