package store

import (
	"encoding/json"
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
