package spool

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/event"
)

var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// clock is a settable test clock.
type clock struct{ now time.Time }

func (c *clock) Now() time.Time { return c.now }

// mkEvents returns n events numbered from first, one second apart.
func mkEvents(first, n int) []event.Event {
	evs := make([]event.Event, n)
	for i := range evs {
		k := first + i
		at := t0.Add(time.Duration(k) * time.Second)
		evs[i] = event.Event{
			Timestamp: at,
			Event:     event.Meta{ID: event.DeterministicID(at, fmt.Sprint(k)), Kind: event.KindEvent, Action: "process_started"},
			Message:   fmt.Sprintf("event %d %s", k, bytes.Repeat([]byte("x"), 100)),
		}
	}
	return evs
}

func decode(t *testing.T, data []byte) []event.Event {
	t.Helper()
	var out []event.Event
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		ev, err := event.Decode(sc.Bytes())
		if err != nil {
			t.Fatalf("decode: %v", err)
		}
		out = append(out, ev)
	}
	return out
}

func mustOpen(t *testing.T, dir string, opts Options) *Spool {
	t.Helper()
	s, err := Open(dir, opts)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	return s
}

// drain reads every record currently available without acknowledging.
func drain(t *testing.T, s *Spool) []Batch {
	t.Helper()
	var out []Batch
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		b, err := s.Next(ctx)
		cancel()
		if err != nil {
			return out
		}
		out = append(out, b)
	}
}

func TestAppendNextAckRestart(t *testing.T) {
	dir := t.TempDir()
	s := mustOpen(t, dir, Options{})
	for i := range 10 {
		seq, err := s.Append(mkEvents(i*3, 3))
		if err != nil {
			t.Fatal(err)
		}
		if seq != uint64(i+1) {
			t.Fatalf("seq = %d, want %d", seq, i+1)
		}
	}
	got := drain(t, s)
	if len(got) != 10 {
		t.Fatalf("read %d records, want 10", len(got))
	}
	if evs := decode(t, got[4].Data); len(evs) != 3 || evs[0].Message[:8] != "event 12" {
		t.Fatalf("record 5 holds %v", evs)
	}
	if err := s.Ack(4); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	// Restart: records 5..10 replay, new records continue at 11.
	s = mustOpen(t, dir, Options{})
	defer s.Close()
	if st := s.Stats(); st.Pending != 6 || st.Acked != 4 || st.NextSeq != 11 {
		t.Fatalf("stats after restart = %+v", st)
	}
	got = drain(t, s)
	if len(got) != 6 || got[0].Seq != 5 || got[5].Seq != 10 {
		t.Fatalf("replayed %d records from %d", len(got), got[0].Seq)
	}
	if seq, _ := s.Append(mkEvents(100, 1)); seq != 11 {
		t.Fatalf("seq after restart = %d, want 11", seq)
	}
	b := drain(t, s)
	if len(b) != 1 || b[0].Seq != 11 || b[0].Events != 1 || !b[0].From.Equal(t0.Add(100*time.Second)) {
		t.Fatalf("new record = %+v", b)
	}
}

func TestSegmentsRotateAndAreDeletedAfterAck(t *testing.T) {
	dir := t.TempDir()
	s := mustOpen(t, dir, Options{SegmentBytes: 2048, MaxBytes: 1 << 20})
	defer s.Close()
	for i := range 40 {
		if _, err := s.Append(mkEvents(i, 1)); err != nil {
			t.Fatal(err)
		}
	}
	if n := s.Stats().Segments; n < 5 {
		t.Fatalf("segments = %d, want rotation", n)
	}
	got := drain(t, s)
	if len(got) != 40 {
		t.Fatalf("read %d", len(got))
	}
	if err := s.Ack(40); err != nil {
		t.Fatal(err)
	}
	segs, _ := filepath.Glob(filepath.Join(dir, "*.seg"))
	if len(segs) != 1 {
		t.Fatalf("segment files after full ack: %v", segs)
	}
}

func TestCrashRecoveryCutsTornRecord(t *testing.T) {
	for _, cut := range []int{1, 5, 20, 60} {
		t.Run(fmt.Sprintf("cut%d", cut), func(t *testing.T) {
			dir := t.TempDir()
			s := mustOpen(t, dir, Options{})
			for i := range 5 {
				if _, err := s.Append(mkEvents(i, 2)); err != nil {
					t.Fatal(err)
				}
			}
			s.Close()
			segs, _ := filepath.Glob(filepath.Join(dir, "*.seg"))
			sort.Strings(segs)
			last := segs[len(segs)-1]
			fi, _ := os.Stat(last)
			if err := os.Truncate(last, fi.Size()-int64(cut)); err != nil {
				t.Fatal(err)
			}

			s = mustOpen(t, dir, Options{})
			defer s.Close()
			st := s.Stats()
			if st.Torn != 1 {
				t.Fatalf("torn = %d, want 1", st.Torn)
			}
			got := drain(t, s)
			if len(got) != 4 || got[3].Seq != 4 {
				t.Fatalf("recovered %d records", len(got))
			}
			// The cut number is never reused.
			seq, err := s.Append(mkEvents(50, 1))
			if err != nil || seq <= 5 {
				t.Fatalf("seq after cut = %d, %v", seq, err)
			}
			if b := drain(t, s); len(b) != 1 || b[0].Seq != seq {
				t.Fatalf("after cut read %+v", b)
			}
		})
	}
}

func TestCorruptByteInMiddleRecord(t *testing.T) {
	dir := t.TempDir()
	s := mustOpen(t, dir, Options{})
	for i := range 3 {
		s.Append(mkEvents(i, 1))
	}
	s.Close()
	segs, _ := filepath.Glob(filepath.Join(dir, "*.seg"))
	b, _ := os.ReadFile(segs[0])
	b[len(b)/2] ^= 0xff // inside record 2
	os.WriteFile(segs[0], b, 0o600)
	s = mustOpen(t, dir, Options{})
	defer s.Close()
	if got := drain(t, s); len(got) != 1 || s.Stats().Torn != 1 {
		t.Fatalf("read %d records, torn %d", len(got), s.Stats().Torn)
	}
}

// lossOf returns the loss of an events_dropped event, or nil.
func lossOf(ev event.Event) *event.Loss {
	if ev.Event.Action == event.ActionEventsDropped && ev.Vigil != nil {
		return ev.Vigil.Loss
	}
	return nil
}

func TestFullSpoolDropsOldestWithExactCount(t *testing.T) {
	dir := t.TempDir()
	s := mustOpen(t, dir, Options{MaxBytes: 64 << 10, SegmentBytes: 8 << 10})
	defer s.Close()
	const records, per = 300, 4
	for i := range records {
		if _, err := s.Append(mkEvents(i*per, per)); err != nil {
			t.Fatal(err)
		}
	}
	if st := s.Stats(); st.Bytes > 64<<10 {
		t.Fatalf("spool holds %d bytes, limit %d", st.Bytes, 64<<10)
	}
	var kept []int
	var losses []*event.Loss
	for _, b := range drain(t, s) {
		for _, ev := range decode(t, b.Data) {
			if l := lossOf(ev); l != nil {
				losses = append(losses, l)
				continue
			}
			var k int
			fmt.Sscanf(ev.Message, "event %d", &k)
			kept = append(kept, k)
		}
	}
	if len(losses) == 0 {
		t.Fatal("no loss event")
	}
	var lost int64
	for _, l := range losses {
		if l.Reason != "spool_full" || l.Stage != event.StageSpool {
			t.Fatalf("loss = %+v", l)
		}
		lost += l.Count
	}
	if int64(len(kept))+lost != records*per {
		t.Fatalf("kept %d + lost %d != %d appended", len(kept), lost, records*per)
	}
	if lost != s.Stats().DroppedEvents {
		t.Fatalf("lost %d, stats %d", lost, s.Stats().DroppedEvents)
	}
	// The oldest were dropped: the kept events are exactly the newest ones.
	for i, k := range kept {
		if want := int(lost) + i; k != want {
			t.Fatalf("kept[%d] = event %d, want %d", i, k, want)
		}
	}
	// Each loss event covers exactly its dropped events (one second apart),
	// and together they cover the oldest events without a gap.
	sort.Slice(losses, func(i, j int) bool { return losses[i].From.Before(losses[j].From) })
	next := t0
	for _, l := range losses {
		if !l.From.Equal(next) || l.To.Sub(l.From) != time.Duration(l.Count-1)*time.Second {
			t.Fatalf("loss %+v, expected to start at %v", *l, next)
		}
		next = l.To.Add(time.Second)
	}
}

func TestDropSkipsAckedAndTakenRecords(t *testing.T) {
	dir := t.TempDir()
	s := mustOpen(t, dir, Options{MaxBytes: 16 << 10, SegmentBytes: 2 << 10})
	defer s.Close()
	for i := range 10 {
		s.Append(mkEvents(i, 1))
	}
	got := drain(t, s) // taken 1..10
	s.Ack(5)           // 6..10 in flight
	for i := 10; i < 200; i++ {
		s.Append(mkEvents(i, 1))
	}
	var delivered, lost int64
	delivered = int64(len(got) - 5)
	for _, b := range drain(t, s) {
		for _, ev := range decode(t, b.Data) {
			if l := lossOf(ev); l != nil {
				lost += l.Count
			} else {
				delivered++
			}
		}
	}
	// 5 acknowledged before; the rest is either delivered or counted lost.
	if delivered+lost != 195 {
		t.Fatalf("delivered %d + lost %d != 195", delivered, lost)
	}
}

func TestAgeLimitDropsOldSegments(t *testing.T) {
	dir := t.TempDir()
	c := &clock{now: t0}
	s := mustOpen(t, dir, Options{MaxAge: time.Hour, SegmentBytes: 1 << 10, Now: c.Now})
	defer s.Close()
	for i := range 20 {
		s.Append(mkEvents(i, 1))
	}
	c.now = t0.Add(2 * time.Hour)
	s.Append(mkEvents(1000, 1))
	var lost int64
	var kept int
	for _, b := range drain(t, s) {
		for _, ev := range decode(t, b.Data) {
			if l := lossOf(ev); l != nil {
				if l.Reason != "spool_expired" {
					t.Fatalf("reason %q", l.Reason)
				}
				lost += l.Count
			} else {
				kept++
			}
		}
	}
	if lost != 20 || kept != 1 {
		t.Fatalf("lost %d kept %d, want 20 and 1", lost, kept)
	}
}

func TestNextWaitsForAppend(t *testing.T) {
	s := mustOpen(t, t.TempDir(), Options{})
	defer s.Close()
	done := make(chan Batch)
	go func() {
		b, err := s.Next(context.Background())
		if err != nil {
			t.Error(err)
		}
		done <- b
	}()
	s.Append(mkEvents(0, 2))
	if b := <-done; b.Seq != 1 || b.Events != 2 {
		t.Fatalf("got %+v", b)
	}
}

func TestTryNextDoesNotWait(t *testing.T) {
	s := mustOpen(t, t.TempDir(), Options{})
	if _, ok, err := s.TryNext(); ok || err != nil {
		t.Fatalf("empty spool: ok=%v err=%v", ok, err)
	}
	s.Append(mkEvents(0, 2))
	s.Append(mkEvents(2, 3))
	for want := uint64(1); want <= 2; want++ {
		b, ok, err := s.TryNext()
		if !ok || err != nil || b.Seq != want {
			t.Fatalf("TryNext: %+v ok=%v err=%v, want record %d", b, ok, err, want)
		}
	}
	if _, ok, _ := s.TryNext(); ok {
		t.Fatal("a third record out of two")
	}
	s.Close()
	if _, _, err := s.TryNext(); !errors.Is(err, ErrClosed) {
		t.Fatalf("after Close: %v, want ErrClosed", err)
	}
}

func TestEncodeNDJSONRoundTrip(t *testing.T) {
	evs := mkEvents(0, 3)
	data, err := EncodeNDJSON(evs)
	if err != nil {
		t.Fatal(err)
	}
	got := decode(t, data)
	a, _ := json.Marshal(evs)
	b, _ := json.Marshal(got)
	if !bytes.Equal(a, b) {
		t.Fatalf("round trip differs")
	}
}
