package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/query"
	"github.com/vigil-sec/vigil/internal/store"
)

// Limits of searches and aggregations: store's, the same as store/sqlite's.
const (
	DefaultLimit = store.DefaultLimit
	MaxLimit     = store.MaxLimit
	MaxBuckets   = store.MaxBuckets
	MaxTop       = store.MaxTop
)

type compiled struct {
	where   string
	args    []any
	trigram bool // a condition can use a trigram index
}

func compileQuery(n query.Node) (compiled, error) {
	if n == nil {
		n = query.All{}
	}
	var trigram bool
	c, err := query.Compile(n, dialect{trigram: &trigram})
	if err != nil {
		return compiled{}, fmt.Errorf("%w: %w", store.ErrBadRequest, err)
	}
	for _, a := range c.Args {
		// PostgreSQL text cannot hold these; no stored value contains them.
		if s, ok := a.(string); ok && (strings.ContainsRune(s, 0) || !utf8.ValidString(s)) {
			return compiled{}, fmt.Errorf("%w: query: a value holds a NUL byte or invalid UTF-8", store.ErrBadRequest)
		}
	}
	return compiled{c.Where, c.Args, trigram}, nil
}

// bind appends v to args and returns its placeholder.
func bind(args *[]any, v any) string {
	*args = append(*args, v)
	return "$" + strconv.Itoa(len(*args))
}

// timeCond returns the time condition on ts, binding into args.
func timeCond(args *[]any, from, to time.Time) string {
	conds := []string{"TRUE"}
	if !from.IsZero() {
		conds = append(conds, "ts >= "+bind(args, from.UnixNano()))
	}
	if !to.IsZero() {
		conds = append(conds, "ts < "+bind(args, to.UnixNano()))
	}
	return strings.Join(conds, " AND ")
}

// Search returns matching events newest first (by time, then insertion).
func (s *Store) Search(ctx context.Context, q store.Search) (store.SearchResult, error) {
	c, err := compileQuery(q.Query)
	if err != nil {
		return store.SearchResult{}, err
	}
	limit := store.PageLimit(q.Limit)
	var after *store.Cursor
	if q.Cursor != "" {
		cur, err := store.ParseCursor(q.Cursor)
		if err != nil {
			return store.SearchResult{}, err
		}
		after = &cur
	}
	// One snapshot for all windows, as one statement would see.
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return store.SearchResult{}, fmt.Errorf("search: %w", err)
	}
	defer tx.Rollback(ctx)
	var res store.SearchResult
	var last store.Cursor
	for _, w := range searchWindows(q.From, q.To, c.trigram) {
		if err := searchWindow(ctx, tx, c, w[0], w[1], after, limit-len(res.Events), &res, &last); err != nil {
			return store.SearchResult{}, fmt.Errorf("search: %w", err)
		}
		if len(res.Events) >= limit {
			break
		}
	}
	if len(res.Events) == limit {
		res.Cursor = last.String()
	}
	return res, nil
}

// searchWindows splits [from, to) into windows, newest first, of 1 h,
// 2 h, 4 h... (to zero: now), the last one reaching from (or open when from
// is zero, after a week). A search stops at the window that fills its page:
// a query whose index gives many rows over the range (process.name:(a or
// b) over 7 days, sorted by time after a bitmap scan) sorts an hour's rows
// instead of the week's, and a rare one costs a few more index probes.
//
// With byDay (a substring condition) the windows are the UTC days, the
// partitions: a trigram index lookup covers its whole partition whatever
// the window, so shorter windows would repeat it (a phrase in messages over
// 24 h took 120-145 ms in two or three windows). A common substring is
// still cheap: the planner reads such a day backwards in time order.
func searchWindows(from, to time.Time, byDay bool) [][2]time.Time {
	hi := to
	if hi.IsZero() {
		hi = time.Now().Add(time.Hour)
	}
	var ws [][2]time.Time
	for w := time.Hour; len(ws) < 8; w *= 2 {
		lo := hi.Add(-w)
		if byDay {
			lo = store.DayStart(store.DayOf(hi.Add(-1)))
		}
		if !from.IsZero() && !lo.After(from) {
			break
		}
		ws = append(ws, [2]time.Time{lo, hi})
		hi = lo
	}
	ws = append(ws, [2]time.Time{from, hi})
	ws[0][1] = to // a zero to stays open: events stamped in the future too
	return ws
}

func searchWindow(ctx context.Context, tx pgx.Tx, c compiled, from, to time.Time, after *store.Cursor, limit int,
	res *store.SearchResult, last *store.Cursor) error {
	args := c.args
	sqlText := "SELECT seq, ts, doc FROM events WHERE " + timeCond(&args, from, to)
	if after != nil {
		t, n := bind(&args, after.TS), bind(&args, after.Seq)
		sqlText += " AND (ts < " + t + " OR (ts = " + t + " AND seq < " + n + "))"
	}
	sqlText += " AND (" + c.where + ") ORDER BY ts DESC, seq DESC LIMIT " + bind(&args, limit)
	rows, err := tx.Query(ctx, sqlText, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var doc []byte
		if err := rows.Scan(&last.Seq, &last.TS, &doc); err != nil {
			return err
		}
		var e event.Event
		if err := json.Unmarshal(doc, &e); err != nil {
			return fmt.Errorf("decode event: %w", err)
		}
		res.Events = append(res.Events, e)
	}
	return rows.Err()
}

// Count returns the number of matching events in [from, to).
func (s *Store) Count(ctx context.Context, q query.Node, from, to time.Time) (int64, error) {
	c, err := compileQuery(q)
	if err != nil {
		return 0, err
	}
	args := c.args
	var n int64
	err = s.pool.QueryRow(ctx, "SELECT count(*) FROM events WHERE "+timeCond(&args, from, to)+" AND ("+c.where+")", args...).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count: %w", err)
	}
	return n, nil
}

// Histogram counts matching events per interval over [from, to).
func (s *Store) Histogram(ctx context.Context, q query.Node, from, to time.Time, interval time.Duration) ([]store.Bucket, error) {
	nb, err := store.CheckHistogram(from, to, interval)
	if err != nil {
		return nil, err
	}
	c, err := compileQuery(q)
	if err != nil {
		return nil, err
	}
	args := c.args
	tc := timeCond(&args, from, to)
	sqlText := "SELECT (ts - " + bind(&args, from.UnixNano()) + ") / " + bind(&args, int64(interval)) +
		" AS b, count(*) FROM events WHERE " + tc + " AND (" + c.where + ") GROUP BY b"
	rows, err := s.pool.Query(ctx, sqlText, args...)
	if err != nil {
		return nil, fmt.Errorf("histogram: %w", err)
	}
	defer rows.Close()
	counts := make([]int64, nb)
	if err := store.AddBucketCounts(rows, counts); err != nil {
		return nil, fmt.Errorf("histogram: %w", err)
	}
	return store.Histogram(from, interval, counts), nil
}

// Top returns the n most frequent values of field among matching events.
func (s *Store) Top(ctx context.Context, q query.Node, field string, from, to time.Time, n int) ([]store.Bucket, error) {
	kind, err := store.CheckTop(field, n)
	if err != nil {
		return nil, err
	}
	c, err := compileQuery(q)
	if err != nil {
		return nil, err
	}
	args := c.args
	filter := "SELECT * FROM events WHERE " + timeCond(&args, from, to) + " AND (" + c.where + ")"
	var sqlText string
	switch {
	case field == "event.category":
		sqlText = "SELECT k, count(*) FROM (" + filter + ") f, unnest(COALESCE(f.categories, ARRAY[f.category])) AS u(k) WHERE k IS NOT NULL GROUP BY k"
	case kind == event.FieldStrings:
		sqlText = "SELECT k, count(*) FROM (" + filter + ") f, jsonb_array_elements_text(CASE WHEN jsonb_typeof(f.doc #> " + jsonPath(field) +
			") = 'array' THEN f.doc #> " + jsonPath(field) + " END) AS u(k) GROUP BY k"
	default:
		sqlText = "SELECT k::text, count(*) FROM (SELECT " + dialect{}.Scalar(field, kind) + " AS k FROM (" + filter + ") f0) f WHERE k IS NOT NULL GROUP BY k"
	}
	sqlText += " ORDER BY count(*) DESC, 1 LIMIT " + bind(&args, n)
	rows, err := s.pool.Query(ctx, sqlText, args...)
	if err != nil {
		return nil, fmt.Errorf("top: %w", err)
	}
	defer rows.Close()
	var out []store.Bucket
	for rows.Next() {
		var b store.Bucket
		if err := rows.Scan(&b.Key, &b.Count); err != nil {
			return nil, fmt.Errorf("top: %w", err)
		}
		out = append(out, b)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("top: %w", err)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Count > out[j].Count })
	return out, nil
}
