package store

import (
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-sec/vigil/internal/event"
)

// Limits of searches and aggregations, the same in every store.
const (
	DefaultLimit = 100   // hits a search returns when Search.Limit is not set
	MaxLimit     = 10000 // hits a search returns at most
	MaxBuckets   = 10000 // buckets a histogram has at most
	MaxTop       = 1000  // the largest n of Top
)

// PageLimit is the number of hits a search with Search.Limit n returns at
// most: DefaultLimit when n is not positive, never more than MaxLimit.
func PageLimit(n int) int {
	if n <= 0 {
		n = DefaultLimit
	}
	return min(n, MaxLimit)
}

// Cursor is where a page of search hits ended: the last hit's timestamp
// (Unix nanoseconds) and its insertion order among events of that
// timestamp (rowid·shards + shard in SQLite, the row's seq in
// PostgreSQL). The next page holds the hits before it.
type Cursor struct {
	TS  int64
	Seq int64
}

// String is the cursor as SearchResult.Cursor carries it.
func (c Cursor) String() string {
	return base64.RawURLEncoding.EncodeToString([]byte("1." + strconv.FormatInt(c.TS, 10) + "." + strconv.FormatInt(c.Seq, 10)))
}

// ParseCursor reads Search.Cursor; a cursor no store wrote is ErrBadRequest.
func ParseCursor(s string) (Cursor, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	parts := strings.Split(string(b), ".")
	if err != nil || len(parts) != 3 || parts[0] != "1" {
		return Cursor{}, fmt.Errorf("search: malformed cursor: %w", ErrBadRequest)
	}
	ts, err1 := strconv.ParseInt(parts[1], 10, 64)
	seq, err2 := strconv.ParseInt(parts[2], 10, 64)
	if err1 != nil || err2 != nil {
		return Cursor{}, fmt.Errorf("search: malformed cursor: %w", ErrBadRequest)
	}
	return Cursor{ts, seq}, nil
}

// CheckHistogram checks the arguments of Store.Histogram and returns its
// number of buckets: [from, to) cut into intervals, the last one possibly
// cut short. Bad arguments, and more than MaxBuckets, are ErrBadRequest.
func CheckHistogram(from, to time.Time, interval time.Duration) (int, error) {
	if from.IsZero() || to.IsZero() || !from.Before(to) || interval <= 0 {
		return 0, fmt.Errorf("histogram: needs from < to and a positive interval: %w", ErrBadRequest)
	}
	// Rounded up without (d + interval - 1), which overflows for intervals
	// near the largest Duration.
	d := to.Sub(from)
	nb := d / interval
	if d%interval != 0 {
		nb++
	}
	if nb > MaxBuckets {
		return 0, fmt.Errorf("histogram: %d buckets, at most %d: %w", nb, MaxBuckets, ErrBadRequest)
	}
	return int(nb), nil
}

// Histogram returns the buckets of a histogram starting at from: one per
// count, in order, each stamped with the UTC start of its interval.
func Histogram(from time.Time, interval time.Duration, counts []int64) []Bucket {
	out := make([]Bucket, len(counts))
	for i := range out {
		out[i] = Bucket{Time: from.Add(time.Duration(i) * interval).UTC(), Count: counts[i]}
	}
	return out
}

// CheckTop checks the arguments of Store.Top and returns the kind of field.
// An unknown field or an n outside 1 to MaxTop is ErrBadRequest.
func CheckTop(field string, n int) (event.FieldKind, error) {
	kind, ok := event.KindOf(field)
	if !ok {
		return 0, fmt.Errorf("top: unknown field %q: %w", field, ErrBadRequest)
	}
	if n <= 0 || n > MaxTop {
		return 0, fmt.Errorf("top: n must be 1 to %d: %w", MaxTop, ErrBadRequest)
	}
	return kind, nil
}
