package journal

import (
	"testing"
)

func FuzzParseEntry(f *testing.F) {
	for _, l := range fixtureLines(f) {
		f.Add(l)
	}
	f.Add([]byte(`{"__CURSOR":"` + goodCursor + `","__REALTIME_TIMESTAMP":"1","MESSAGE":[[1,2],"x"],"_PID":"7"}`))
	f.Add([]byte(`{"__CURSOR":"` + goodCursor + `","__REALTIME_TIMESTAMP":"9223372036854775807","MESSAGE":[[["x"]]]}`))
	f.Fuzz(func(t *testing.T, line []byte) {
		e, err := ParseEntry(line)
		if err != nil {
			if e != (Entry{}) {
				t.Fatalf("entry %+v with error %v", e, err)
			}
			return
		}
		if !ValidCursor(e.Cursor) {
			t.Fatalf("malformed cursor %q accepted", e.Cursor)
		}
		if e.Time.UnixMicro() <= 0 || e.Time.Location().String() != "UTC" {
			t.Fatalf("time %v", e.Time)
		}
		if e.PID < -1 {
			t.Fatalf("pid %d", e.PID)
		}
		// A valid cursor is accepted by Args, so it can be saved and resumed.
		if _, err := Args(Options{AfterCursor: e.Cursor}); err != nil {
			t.Fatal(err)
		}
	})
}
