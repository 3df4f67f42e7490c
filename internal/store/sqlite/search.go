package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/query"
	"github.com/vigil-sec/vigil/internal/store"
)

// Limits of searches and aggregations: store's, the same as store/postgres's.
const (
	DefaultLimit = store.DefaultLimit
	MaxLimit     = store.MaxLimit
	MaxBuckets   = store.MaxBuckets
	MaxTop       = store.MaxTop
)

func compileQuery(n query.Node) (compiled, error) {
	if n == nil {
		n = query.All{}
	}
	c, err := compile(n)
	if err != nil {
		return compiled{}, fmt.Errorf("%w: %w", store.ErrBadRequest, err)
	}
	return c, nil
}

// bounds returns the time condition on ts as SQL and arguments numbered
// after n existing ones.
func bounds(from, to time.Time, n int) (string, []any) {
	var conds []string
	var args []any
	if !from.IsZero() {
		args = append(args, from.UnixNano())
		conds = append(conds, "ts >= ?"+strconv.Itoa(n+len(args)))
	}
	if !to.IsZero() {
		args = append(args, to.UnixNano())
		conds = append(conds, "ts < ?"+strconv.Itoa(n+len(args)))
	}
	if len(conds) == 0 {
		return "1=1", nil
	}
	return strings.Join(conds, " AND "), args
}

// readTx runs fn in one read transaction, so that every partition is read
// from the same snapshot.
func (s *Store) readTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.r.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin read: %w", err)
	}
	defer tx.Rollback()
	return fn(tx)
}

// Search returns matching events newest first (by time, then by insertion
// order), one page at a time.
func (s *Store) Search(ctx context.Context, q store.Search) (store.SearchResult, error) {
	c, err := compileQuery(q.Query)
	if err != nil {
		return store.SearchResult{}, err
	}
	limit := store.PageLimit(q.Limit)
	// Cursor.Seq is rowid·shards + shard: the insertion order within a
	// day's table, then the shard.
	var after *store.Cursor
	if q.Cursor != "" {
		cur, err := store.ParseCursor(q.Cursor)
		if err != nil {
			return store.SearchResult{}, err
		}
		after = &cur
	}
	var res store.SearchResult
	var last store.Cursor
	err = s.readTx(ctx, func(tx *sql.Tx) error {
		to := q.To
		if after != nil && (to.IsZero() || time.Unix(0, after.TS+1).Before(to)) {
			to = time.Unix(0, after.TS+1)
		}
		ps, err := s.partitions(ctx, tx, q.From, to)
		if err != nil {
			return err
		}
		for len(ps) > 0 {
			n := 1 // the day's partitions, one a shard
			for n < len(ps) && ps[n].day == ps[0].day {
				n++
			}
			day := ps[:n]
			ps = ps[n:]
			if len(c.matches) > 0 {
				for i := range day {
					// Looking up C candidates beats reading the day in time
					// order until the page is full (about 100·N/C rows of N)
					// when C² < 100·N.
					if day[i].drive, err = c.drives(ctx, tx, day[i], func(rows int64) int64 {
						return int64(math.Sqrt(float64(limit) * float64(rows)))
					}); err != nil {
						return err
					}
				}
			}
			for _, w := range searchWindows(c, day[0], q.From, q.To) {
				need := limit - len(res.Events)
				var hits []hit
				for _, p := range day {
					h, err := s.searchPartition(ctx, tx, c, p, w[0], w[1], after, need)
					if err != nil {
						return err
					}
					hits = append(hits, h...)
				}
				slices.SortFunc(hits, func(a, b hit) int {
					if a.ts != b.ts {
						return cmp.Compare(b.ts, a.ts)
					}
					return cmp.Compare(b.seq, a.seq)
				})
				for _, h := range hits[:min(need, len(hits))] {
					doc, err := unpackDoc(h.doc)
					if err != nil {
						return fmt.Errorf("partition %d: %w", day[0].day, err)
					}
					var e event.Event
					if err := json.Unmarshal(doc, &e); err != nil {
						return fmt.Errorf("partition %d: decode event: %w", day[0].day, err)
					}
					res.Events = append(res.Events, e)
					last = store.Cursor{TS: h.ts, Seq: h.seq}
				}
				if len(res.Events) >= limit {
					return nil
				}
			}
		}
		return nil
	})
	if err != nil {
		return store.SearchResult{}, fmt.Errorf("search: %w", err)
	}
	if len(res.Events) == limit {
		res.Cursor = last.String()
	}
	return res, nil
}

// hit is a search result before the shards' results are merged.
type hit struct {
	ts, seq int64
	doc     []byte
}

// firstWindow is the newest slice of a day that a search reads first.
const firstWindow = time.Hour

// searchWindows splits the part of a day partition inside [from, to) into
// time windows, newest first, each twice as long as the one before (1 h,
// 2 h, 4 h...). A search stops after the window that fills its page, so a
// query whose index yields many rows per day (process.name:(a or b), where
// SQLite reads both ranges and sorts them) sorts an hour's rows, not a
// day's, while a rare one costs at most five more index probes. Queries
// with substring conditions keep one window: each statement would rebuild
// the trigram index's candidate list.
func searchWindows(c compiled, p partition, from, to time.Time) [][2]time.Time {
	lo, hi := store.DayStart(p.day), store.DayStart(p.day).AddDate(0, 0, 1)
	if !from.IsZero() && from.After(lo) {
		lo = from
	}
	if !to.IsZero() && to.Before(hi) {
		hi = to
	}
	if len(c.matches) > 0 || !lo.Before(hi) {
		return [][2]time.Time{{lo, hi}}
	}
	var ws [][2]time.Time
	for w := firstWindow; hi.After(lo); w *= 2 {
		start := hi.Add(-w)
		if start.Before(lo) {
			start = lo
		}
		ws = append(ws, [2]time.Time{start, hi})
		hi = start
	}
	return ws
}

func (s *Store) searchPartition(ctx context.Context, tx *sql.Tx, c compiled, p partition, from, to time.Time,
	after *store.Cursor, limit int) ([]hit, error) {
	where, args := c.render(p)
	tcond, targs := bounds(from, to, len(args))
	args = append(args, targs...)
	shards := int64(len(s.shards))
	// The page's rowids are chosen first and the documents read after:
	// when the plan sorts (several index ranges), it sorts (ts, rowid)
	// pairs, often read from the index alone, instead of whole rows.
	q := "SELECT rowid FROM " + p.table() + " WHERE " + tcond
	if after != nil {
		// rowid·shards + shard < Seq
		args = append(args, after.TS, floorDiv(after.Seq-int64(p.shard)-1, shards))
		n := len(args)
		q += " AND (ts < ?" + strconv.Itoa(n-1) + " OR (ts = ?" + strconv.Itoa(n-1) + " AND rowid <= ?" + strconv.Itoa(n) + "))"
	}
	args = append(args, limit)
	q += " AND (" + where + ") ORDER BY ts DESC, rowid DESC LIMIT ?" + strconv.Itoa(len(args))
	q = "SELECT rowid, ts, doc FROM " + p.table() + " WHERE rowid IN (" + q + ") ORDER BY ts DESC, rowid DESC"
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("partition %d: %w", p.day, err)
	}
	defer rows.Close()
	var hits []hit
	for rows.Next() {
		var h hit
		if err := rows.Scan(&h.seq, &h.ts, &h.doc); err != nil {
			return nil, fmt.Errorf("partition %d: %w", p.day, err)
		}
		h.seq = h.seq*shards + int64(p.shard)
		hits = append(hits, h)
	}
	return hits, rows.Err()
}

// floorDiv is a/b rounded down.
func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}

// Count returns the number of matching events in [from, to).
func (s *Store) Count(ctx context.Context, q query.Node, from, to time.Time) (int64, error) {
	c, err := compileQuery(q)
	if err != nil {
		return 0, err
	}
	var total int64
	err = s.readTx(ctx, func(tx *sql.Tx) error {
		ps, err := s.partitions(ctx, tx, from, to)
		if err != nil {
			return err
		}
		for _, p := range ps {
			if len(c.matches) > 0 {
				// A count reads every row of the window unless the
				// trigram candidates are looked up instead.
				if p.drive, err = c.drives(ctx, tx, p, func(rows int64) int64 { return rows / 2 }); err != nil {
					return err
				}
			}
			where, args := c.render(p)
			tcond, targs := bounds(from, to, len(args))
			var n int64
			err := tx.QueryRowContext(ctx, "SELECT count(*) FROM "+p.table()+" WHERE "+tcond+" AND ("+where+")", append(args, targs...)...).Scan(&n)
			if err != nil {
				return fmt.Errorf("partition %d: %w", p.day, err)
			}
			total += n
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("count: %w", err)
	}
	return total, nil
}

// Histogram counts matching events per interval, from from (inclusive) to
// to (exclusive); every interval has a bucket, empty ones with count 0.
func (s *Store) Histogram(ctx context.Context, q query.Node, from, to time.Time, interval time.Duration) ([]store.Bucket, error) {
	nb, err := store.CheckHistogram(from, to, interval)
	if err != nil {
		return nil, err
	}
	c, err := compileQuery(q)
	if err != nil {
		return nil, err
	}
	counts := make([]int64, nb)
	err = s.readTx(ctx, func(tx *sql.Tx) error {
		ps, err := s.partitions(ctx, tx, from, to)
		if err != nil {
			return err
		}
		for _, p := range ps {
			q, args := histogramSQL(c, p, from, to, interval)
			if err := scanBuckets(ctx, tx, q, args, counts); err != nil {
				return fmt.Errorf("partition %d: %w", p.day, err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("histogram: %w", err)
	}
	return store.Histogram(from, interval, counts), nil
}

// histogramSQL returns the statement counting one partition's matching
// events per bucket. It counts each bucket of the day with its own range
// on ts (a recursive CTE lists the buckets) rather than grouping by an
// expression of ts: the ranges walk the (ts) or (field, ts) index in order,
// often without reading the rows, where GROUP BY would sort every row.
func histogramSQL(c compiled, p partition, from, to time.Time, interval time.Duration) (string, []any) {
	lo := max(from.UnixNano(), store.DayStart(p.day).UnixNano())
	hi := min(to.UnixNano(), store.DayStart(p.day).AddDate(0, 0, 1).UnixNano())
	iv, f := int64(interval), from.UnixNano()
	first, last := (lo-f)/iv, (hi-1-f)/iv
	where, args := c.render(p)
	n := len(args)
	args = append(args, first, last, f, iv, lo, hi)
	a := func(i int) string { return "?" + strconv.Itoa(n+i) }
	start := "(" + a(3) + " + b.i * " + a(4) + ")"
	q := "WITH RECURSIVE b(i) AS (SELECT " + a(1) + " UNION ALL SELECT i + 1 FROM b WHERE i < " + a(2) + ") " +
		"SELECT b.i, (SELECT count(*) FROM " + p.table() + " WHERE ts >= max(" + start + ", " + a(5) + ") AND ts < min(" +
		start + " + " + a(4) + ", " + a(6) + ") AND (" + where + ")) FROM b"
	return q, args
}

func scanBuckets(ctx context.Context, tx *sql.Tx, q string, args []any, counts []int64) error {
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	return store.AddBucketCounts(rows, counts)
}

// Top returns the n most frequent values of field among matching events,
// most frequent first, ties by value.
func (s *Store) Top(ctx context.Context, q query.Node, field string, from, to time.Time, n int) ([]store.Bucket, error) {
	kind, err := store.CheckTop(field, n)
	if err != nil {
		return nil, err
	}
	c, err := compileQuery(q)
	if err != nil {
		return nil, err
	}
	var d dialect
	sel, join := d.Scalar(field, kind), ""
	switch {
	case field == "event.category":
		sel, join = "j.value", ", json_each(CASE WHEN t.categories IS NULL THEN json_array(t.category) ELSE t.categories END) j"
	case kind == event.FieldStrings:
		sel, join = "j.value", ", json_each(vigil_doc(t.doc), '"+jsonPath(field)+"') j"
	}
	counts := map[string]int64{}
	err = s.readTx(ctx, func(tx *sql.Tx) error {
		ps, err := s.partitions(ctx, tx, from, to)
		if err != nil {
			return err
		}
		for _, p := range ps {
			where, args := c.render(p)
			tcond, targs := bounds(from, to, len(args))
			q := "SELECT " + sel + " AS k, count(*) FROM " + p.table() + " WHERE " + tcond + " AND (" + where + ") AND k IS NOT NULL GROUP BY k"
			if join != "" {
				// json_each has columns (id, value...) that would shadow the
				// table's: filter in a subquery.
				q = "SELECT " + sel + " AS k, count(*) FROM " + p.table() + " t" + join +
					" WHERE k IS NOT NULL AND t.rowid IN (SELECT rowid FROM " + p.table() + " WHERE " + tcond + " AND (" + where + ")) GROUP BY k"
			}
			if err := scanTop(ctx, tx, q, append(args, targs...), counts); err != nil {
				return fmt.Errorf("partition %d: %w", p.day, err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("top: %w", err)
	}
	return topN(counts, n), nil
}

func scanTop(ctx context.Context, tx *sql.Tx, q string, args []any, counts map[string]int64) error {
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var k any
		var n int64
		if err := rows.Scan(&k, &n); err != nil {
			return err
		}
		counts[keyString(k)] += n
	}
	return rows.Err()
}

func keyString(v any) string {
	switch v := v.(type) {
	case []byte:
		return string(v)
	case string:
		return v
	case int64:
		return strconv.FormatInt(v, 10)
	}
	return fmt.Sprint(v)
}

func topN(counts map[string]int64, n int) []store.Bucket {
	out := make([]store.Bucket, 0, len(counts))
	for k, c := range counts {
		out = append(out, store.Bucket{Key: k, Count: c})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		return out[i].Key < out[j].Key
	})
	return out[:min(n, len(out))]
}
