package spool

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/vigil-sec/vigil/internal/event"
)

// loss accumulates what a drop removed.
type loss struct {
	count    int64
	from, to time.Time
	carried  []Record // earlier loss records in the dropped segments
}

// dropLocked removes the oldest segments while more() holds, counting the
// events not yet delivered, and appends one loss event for them. Loss events
// found in the dropped segments are not lost: they are written again, so
// every loss report keeps its exact count and time range.
func (s *Spool) dropLocked(reason string, more func() bool) error {
	var l loss
	for more() {
		if len(s.segs) == 1 {
			if s.activeSeg().size == 0 {
				break
			}
			if err := s.newSegment(); err != nil {
				return err
			}
		}
		if err := s.countUndelivered(s.segs[0], &l); err != nil {
			return err
		}
		s.removeFirst()
	}
	if first := s.segs[0]; s.readSeq < first.base {
		s.readSeq = first.base
	}
	for _, r := range l.carried {
		r.Appended = s.opts.Now()
		if _, err := s.writeLocked(r); err != nil {
			return err
		}
	}
	if l.count == 0 {
		return nil
	}
	s.stats.DroppedEvents += l.count
	s.log.Warn("spool: dropped events", "reason", reason, "count", l.count, "from", l.from, "to", l.to)
	ev := s.lossEvent(reason, l)
	data, err := s.opts.Encode([]event.Event{ev})
	if err != nil {
		return fmt.Errorf("spool: encode loss event: %w", err)
	}
	_, err = s.writeLocked(Record{Appended: ev.Timestamp, From: l.from, To: l.to, Events: 1, Lost: uint64(l.count), Data: data})
	return err
}

// countUndelivered adds the events of seg that were neither acknowledged nor
// taken by the sender.
func (s *Spool) countUndelivered(seg *segment, l *loss) error {
	if seg.last < s.readSeq || seg.last <= s.acked {
		return nil
	}
	f, err := os.Open(seg.path)
	if err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	defer f.Close()
	_, err = ReadSegment(newBufReader(io.LimitReader(f, seg.size)), func(r Record) error {
		if r.Seq < s.readSeq || r.Seq <= s.acked {
			return nil
		}
		if r.Lost > 0 { // an earlier loss report: keep it, written again
			r.Data = bytes.Clone(r.Data)
			l.carried = append(l.carried, r)
			return nil
		}
		l.count += int64(r.Events)
		l.from, l.to = minTime(l.from, r.From), maxTime(l.to, r.To)
		return nil
	})
	if err != nil {
		return fmt.Errorf("spool: count dropped events in %s: %w", seg.path, err)
	}
	return nil
}

// expireLocked drops segments whose newest record is older than MaxAge.
func (s *Spool) expireLocked() error {
	cutoff := s.opts.Now().Add(-s.opts.MaxAge)
	return s.dropLocked("spool_expired", func() bool {
		first := s.segs[0]
		return first.size > 0 && first.newest.Before(cutoff)
	})
}

func (s *Spool) lossEvent(reason string, l loss) event.Event {
	now := s.opts.Now()
	ev := event.Event{
		Timestamp: now,
		Event: event.Meta{
			ID: event.NewID(now), Kind: event.KindEvent,
			Category: []string{event.CategoryHost}, Type: []string{event.TypeInfo},
			Action: event.ActionEventsDropped, Dataset: event.DatasetPrefix + "agent",
		},
		Message: fmt.Sprintf("agent spool %s: %d events dropped", reasonText[reason], l.count),
		Vigil: &event.Vigil{Loss: &event.Loss{
			Count: l.count, Reason: reason, From: l.from, To: l.to, Stage: event.StageSpool,
		}},
	}
	if s.opts.Host != nil {
		h := *s.opts.Host
		ev.Host = &h
	}
	if s.opts.Agent != nil {
		a := *s.opts.Agent
		ev.Agent = &a
	}
	return ev
}

var reasonText = map[string]string{"spool_full": "full", "spool_expired": "data older than the age limit"}

// EncodeNDJSON encodes events as one JSON object per line.
func EncodeNDJSON(events []event.Event) ([]byte, error) {
	b := make([]byte, 0, 1024*len(events))
	for i := range events {
		var err error
		if b, err = event.AppendJSON(b, &events[i], false); err != nil {
			return nil, err
		}
		b = append(b, '\n')
	}
	return b, nil
}

func newBufReader(r io.Reader) *bufio.Reader { return bufio.NewReaderSize(r, 64<<10) }

// reader is the sender's position in a segment file.
type reader struct {
	f    *os.File
	br   *bufio.Reader
	path string
	next uint64 // lowest sequence number that can follow the position
	buf  []byte
}

func (r *reader) close() {
	if r.f != nil {
		r.f.Close()
		r.f = nil
	}
}

// read returns record seq from the segment at path starting at base.
func (r *reader) read(path string, base, seq uint64) (Batch, error) {
	if r.f == nil || r.path != path || r.next > seq {
		r.close()
		f, err := os.Open(path)
		if err != nil {
			return Batch{}, fmt.Errorf("spool: %w", err)
		}
		r.f, r.br, r.path, r.next = f, newBufReader(f), path, base
	}
	for {
		rec, buf, err := readRecord(r.br, r.buf)
		r.buf = buf
		if err != nil {
			r.close()
			return Batch{}, fmt.Errorf("spool: read %s (record %d): %w", path, seq, err)
		}
		r.next = rec.Seq + 1
		if rec.Seq < seq {
			continue
		}
		if rec.Seq != seq {
			r.close()
			return Batch{}, fmt.Errorf("spool: read %s: %w: record %d missing (found %d)", path, ErrCorrupt, seq, rec.Seq)
		}
		return Batch{Seq: rec.Seq, Events: rec.Events, From: rec.From, To: rec.To, Lost: rec.Lost, Data: bytes.Clone(rec.Data)}, nil
	}
}
