package store_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/vigil-sec/vigil/internal/store"
)

// docRow is a one-row result as a driver gives it: one document column, or
// the error of the query.
type docRow struct {
	doc string
	err error
}

func (r docRow) Scan(dest ...any) error {
	if r.err != nil {
		return r.err
	}
	if len(dest) != 1 {
		return errors.New("one column")
	}
	p, ok := dest[0].(*[]byte)
	if !ok {
		return errors.New("scan into []byte")
	}
	*p = []byte(r.doc)
	return nil
}

func TestDecodeJSONRow(t *testing.T) {
	errNoRows := errors.New("driver: no rows")
	errNotFound := errors.New("not found here")
	broken := errors.New("connection reset")
	type doc struct{ A string }
	for _, tc := range []struct {
		name string
		row  docRow
		want doc
		is   error  // the error wanted, if any
		text string // or a part of its text
	}{
		{"a document", docRow{doc: `{"A":"x"}`}, doc{"x"}, nil, ""},
		{"no row", docRow{err: errNoRows}, doc{}, errNotFound, ""},
		{"a wrapped no row", docRow{err: errors.Join(errors.New("scan"), errNoRows)}, doc{}, errNotFound, ""},
		{"a failed query", docRow{err: broken}, doc{}, broken, ""},
		{"a broken document", docRow{doc: `{"A":`}, doc{}, nil, "decode: "},
		{"a document of another shape", docRow{doc: `{"A":1}`}, doc{}, nil, "decode: "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := store.DecodeJSONRow[doc](tc.row, errNoRows, errNotFound)
			switch {
			case tc.is != nil:
				if !errors.Is(err, tc.is) {
					t.Errorf("err = %v, want %v", err, tc.is)
				}
			case tc.text != "":
				if err == nil || !strings.HasPrefix(err.Error(), tc.text) {
					t.Errorf("err = %v, want %q", err, tc.text)
				}
			case err != nil:
				t.Errorf("err = %v", err)
			}
			if got != tc.want {
				t.Errorf("= %+v, want %+v", got, tc.want)
			}
		})
	}
}

// countRows is a result set of (bucket, count) rows as a driver gives it,
// failing after the rows when err is set.
type countRows struct {
	rows [][2]int64
	i    int
	err  error
}

func (r *countRows) Next() bool { r.i++; return r.i <= len(r.rows) }
func (r *countRows) Err() error { return r.err }
func (r *countRows) Scan(dest ...any) error {
	if len(dest) != 2 {
		return errors.New("two columns")
	}
	b, okB := dest[0].(*int64)
	n, okN := dest[1].(*int64)
	if !okB || !okN {
		return errors.New("scan into two int64")
	}
	*b, *n = r.rows[r.i-1][0], r.rows[r.i-1][1]
	return nil
}

func TestAddBucketCounts(t *testing.T) {
	counts := []int64{1, 0, 0, 0}
	// Bucket 2 in two parts (two partitions), then rows outside the
	// histogram.
	rows := &countRows{rows: [][2]int64{{0, 4}, {2, 3}, {3, 1}, {2, 5}, {-1, 100}, {4, 100}}}
	if err := store.AddBucketCounts(rows, counts); err != nil {
		t.Fatal(err)
	}
	if want := []int64{5, 0, 8, 1}; !reflect.DeepEqual(counts, want) {
		t.Errorf("counts = %v, want %v", counts, want)
	}
	broken := errors.New("connection reset")
	if err := store.AddBucketCounts(&countRows{rows: [][2]int64{{0, 1}}, err: broken}, counts); !errors.Is(err, broken) {
		t.Errorf("err = %v, want the result set's", err)
	}
}
