package audit

import (
	"os"
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/skipped"
)

// replayFile parses an audit.log file and reassembles it as if the records
// arrived one per millisecond (record times of a log can jump by seconds
// between lines that the kernel delivered together).
func replayFile(tb testing.TB, file string, cfg Config) ([]*Event, *Reassembler, skipped.List) {
	tb.Helper()
	f, err := os.Open(file)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var evs []*Event
	ra := NewReassembler(cfg, func(e *Event) { evs = append(evs, e) }, nil)
	var skip skipped.List
	now := time.Unix(1<<30, 0)
	err = ReadLog(f, file, &skip, func(r *Record) {
		now = now.Add(time.Millisecond)
		ra.Push(r, now)
		ra.Tick(now)
	})
	if err != nil {
		tb.Fatal(err)
	}
	ra.Flush()
	return evs, ra, skip
}

// mustValid fails the test when ev does not validate.
func mustValid(tb testing.TB, ev *event.Event) {
	tb.Helper()
	if err := ev.Validate(); err != nil {
		tb.Errorf("event %s does not validate: %v", ev.Event.Action, err)
	}
}
