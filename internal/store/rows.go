package store

import (
	"encoding/json"
	"errors"
	"fmt"
)

// Rows is what both database/sql and pgx result sets offer.
type Rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
}

// DecodeJSONRows reads a result set of one JSON document column into values
// of T, in order. The caller closes rows.
func DecodeJSONRows[T any](rows Rows) ([]T, error) {
	out := []T{}
	for rows.Next() {
		var doc []byte
		if err := rows.Scan(&doc); err != nil {
			return nil, err
		}
		var v T
		if err := json.Unmarshal(doc, &v); err != nil {
			return nil, fmt.Errorf("decode: %w", err)
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// Row is what a one-row query of database/sql and pgx offers.
type Row interface {
	Scan(dest ...any) error
}

// DecodeJSONRow reads a one-row result of one JSON document column into a
// T. noRows is the driver's error for an empty result (sql.ErrNoRows,
// pgx.ErrNoRows); it is returned as notFound.
func DecodeJSONRow[T any](row Row, noRows, notFound error) (T, error) {
	var zero, v T
	var doc []byte
	if err := row.Scan(&doc); err != nil {
		if errors.Is(err, noRows) {
			return zero, notFound
		}
		return zero, err
	}
	if err := json.Unmarshal(doc, &v); err != nil {
		return zero, fmt.Errorf("decode: %w", err)
	}
	return v, nil
}

// AddBucketCounts reads a histogram's result set of (bucket index, count)
// rows into counts, adding up rows of the same bucket (a store may count a
// bucket in parts, one per partition). A row whose bucket is outside counts
// is ignored: the query's time condition already excludes its events. The
// caller closes rows.
func AddBucketCounts(rows Rows, counts []int64) error {
	for rows.Next() {
		var b, n int64
		if err := rows.Scan(&b, &n); err != nil {
			return err
		}
		if b >= 0 && b < int64(len(counts)) {
			counts[b] += n
		}
	}
	return rows.Err()
}
