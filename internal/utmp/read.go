package utmp

import (
	"errors"
	"fmt"
	"io"
)

// Entry is a record with the byte offset it was read at.
type Entry struct {
	Offset int64
	Record Record
}

// ReadRecords reads up to max whole records of r starting at offset. It
// returns them, the offset after the last whole record read (a partial record
// at the end is left for a later call), and how many records could not be
// parsed (skipped, their bytes consumed).
func ReadRecords(r io.ReaderAt, offset int64, max int) (entries []Entry, next int64, bad int, err error) {
	if max <= 0 {
		max = 1
	}
	buf := make([]byte, RecordSize*min(max, 256))
	next = offset
	for len(entries)+bad < max {
		want := min(len(buf), (max-len(entries)-bad)*RecordSize)
		n, rerr := r.ReadAt(buf[:want], next)
		for i := 0; i+RecordSize <= n; i += RecordSize {
			rec, perr := Parse(buf[i : i+RecordSize])
			if perr != nil {
				bad++
			} else {
				entries = append(entries, Entry{Offset: next + int64(i), Record: rec})
			}
		}
		next += int64(n / RecordSize * RecordSize)
		if errors.Is(rerr, io.EOF) || n < want {
			return entries, next, bad, nil
		}
		if rerr != nil {
			return entries, next, bad, fmt.Errorf("read utmp at %d: %w", next, rerr)
		}
	}
	return entries, next, bad, nil
}
