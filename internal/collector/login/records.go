package login

import (
	"context"
	"errors"
	"fmt"
	"io/fs"

	"github.com/vigil-sec/vigil/internal/collector"
	"github.com/vigil-sec/vigil/internal/tail"
	"github.com/vigil-sec/vigil/internal/utmp"
)

// maxRecordsPerPoll bounds the records read from one file per poll.
const maxRecordsPerPoll = 4096

// recordFile follows an append-only utmp-format file (wtmp, btmp).
type recordFile struct {
	path      string
	src       utmp.Source
	pos       tail.Position // Inode and Offset are used
	has       bool
	fromStart bool
}

// poll emits the records added since the last poll. A file with another
// inode (rotated) or shorter than the offset (truncated) is read from 0.
func (r *recordFile) poll(ctx context.Context, deps collector.Deps, emit collector.Emit, health *collector.Health) error {
	f, err := deps.Root.Open(r.path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("open %s: %w", r.path, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("stat %s: %w", r.path, err)
	}
	ino := tail.Inode(st)
	switch {
	case !r.has && !r.fromStart:
		r.pos = tail.Position{Inode: ino, Offset: st.Size() / utmp.RecordSize * utmp.RecordSize}
	case !r.has, r.pos.Inode != ino, st.Size() < r.pos.Offset:
		r.pos = tail.Position{Inode: ino}
	}
	r.has = true
	for ctx.Err() == nil {
		entries, next, bad, err := utmp.ReadRecords(f, r.pos.Offset, maxRecordsPerPoll)
		health.Add("records_bad", int64(bad))
		for _, e := range entries {
			health.Add("records", 1)
			ev, ok := e.Record.Event(r.src, r.path, e.Offset)
			if !ok {
				continue
			}
			if !emit(ev) {
				r.pos.Offset = e.Offset
				return errQueueFull
			}
		}
		r.pos.Offset = next
		if err != nil {
			return err
		}
		if len(entries)+bad < maxRecordsPerPoll {
			return nil
		}
	}
	return nil
}
