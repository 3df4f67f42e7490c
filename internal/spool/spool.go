// Package spool is the agent's disk queue between the collectors and the
// server: append-only segment files in the agent's state directory, each
// record framed with its length and a CRC-32C, read in order by one sender
// that acknowledges records once the server has committed them.
//
// Guarantees:
//   - Appended records survive a crash of the agent process (they are in the
//     kernel's page cache at once; Sync also makes them survive a power loss).
//   - A record stays until it is acknowledged (Ack), so after a kill -9 the
//     unacknowledged records are read again; the server removes the
//     duplicates by batch sequence number, which is the record's Seq and never
//     changes.
//   - A torn last record (crash in the middle of an append) is detected by its
//     CRC at Open, cut off and counted in Stats.Torn.
//   - The spool is bounded by total size (DefaultMaxBytes) and age
//     (DefaultMaxAge). When a new record does not fit, or segments grow too
//     old, whole segments are dropped oldest first, and one events_dropped
//     event (vigil.loss with stage "spool", reason "spool_full" or
//     "spool_expired") is appended saying how many not yet delivered events
//     were dropped and the time range they covered. Records the sender has
//     already taken (Next) but not acknowledged are held in the sender's
//     memory and not counted as dropped.
package spool

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"

	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vigil-sec/vigil/internal/event"
)

// Defaults for Options.
const (
	// DefaultMaxBytes bounds the spool's segment files together: 256 MiB.
	DefaultMaxBytes = 256 << 20
	// DefaultMaxAge drops segments whose newest record is older: 7 days.
	DefaultMaxAge = 7 * 24 * time.Hour
	// DefaultSegmentBytes is the size at which a new segment starts: 8 MiB
	// (or MaxBytes/8 when that is smaller, so a full spool never drops more
	// than about an eighth of its content at once).
	DefaultSegmentBytes = 8 << 20
)

const (
	segSuffix  = ".seg"
	cursorFile = "cursor"
	// tornSeqGap is skipped after a damaged tail was cut.
	tornSeqGap = 1 << 20
)

// ErrClosed is returned by operations on a closed spool.
var ErrClosed = errors.New("spool closed")

// Options tune a spool. The zero value gives the defaults.
type Options struct {
	MaxBytes     int64
	MaxAge       time.Duration
	SegmentBytes int64
	// Encode turns events into a record's data. The default is one JSON
	// object per line.
	Encode func([]event.Event) ([]byte, error)
	// Host and Agent are copied into the loss events the spool writes.
	Host  *event.Host
	Agent *event.Agent
	Now   func() time.Time
	// Logger receives drops and recoveries; nil discards.
	Logger *slog.Logger
}

// Stats are the spool's counters since Open.
type Stats struct {
	Bytes         int64  // on disk now
	Segments      int    // segment files now
	Pending       uint64 // records appended but not acknowledged
	Torn          int    // torn or damaged tails cut at Open
	DroppedEvents int64  // events dropped for size or age
	NextSeq       uint64 // sequence number of the next appended record
	Acked         uint64 // highest acknowledged sequence number
}

// Batch is a record handed to the sender.
type Batch struct {
	Seq      uint64
	Events   int
	From, To time.Time
	// Lost is non-zero when the record is the spool's own loss event.
	Lost uint64
	Data []byte
}

type segment struct {
	base, last uint64 // first and last sequence number (last < base: empty)
	size       int64
	newest     time.Time // append time of the last record
	path       string
}

// Spool is an open spool. Append and Sync may be called from any goroutine;
// Next and Ack belong to one sender goroutine.
type Spool struct {
	dir  string
	opts Options
	log  *slog.Logger

	mu      sync.Mutex
	segs    []*segment // oldest first; the last one is active
	active  *os.File
	total   int64
	nextSeq uint64
	acked   uint64
	readSeq uint64 // next record Next hands out
	stats   Stats
	wake    chan struct{} // closed and replaced by Append
	closed  bool
	buf     []byte

	rd reader // Next's open segment (sender goroutine only)
}

// Open opens or creates the spool in dir (mode 0700), recovering from a
// previous crash.
func Open(dir string, opts Options) (*Spool, error) {
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = DefaultMaxBytes
	}
	if opts.MaxAge <= 0 {
		opts.MaxAge = DefaultMaxAge
	}
	if opts.SegmentBytes <= 0 {
		opts.SegmentBytes = min(DefaultSegmentBytes, max(opts.MaxBytes/8, 4096))
	}
	if opts.Encode == nil {
		opts.Encode = EncodeNDJSON
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	s := &Spool{dir: dir, opts: opts, log: log, wake: make(chan struct{})}
	acked, err := readCursor(filepath.Join(dir, cursorFile))
	if err != nil {
		return nil, err
	}
	s.acked = acked
	if err := s.recover(); err != nil {
		return nil, err
	}
	s.readSeq = s.acked + 1
	if err := s.newSegment(); err != nil {
		return nil, err
	}
	if err := s.removeAcked(); err != nil {
		s.active.Close()
		return nil, err
	}
	return s, nil
}

// recover scans the segment files, cuts torn tails and sets nextSeq.
func (s *Spool) recover() error {
	names, err := filepath.Glob(filepath.Join(s.dir, "*"+segSuffix))
	if err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	sort.Strings(names) // zero-padded bases sort numerically
	s.nextSeq = s.acked + 1
	for _, path := range names {
		seg, err := s.scan(path)
		if err != nil {
			return err
		}
		if seg.last < seg.base {
			os.Remove(path)
			continue
		}
		s.segs = append(s.segs, seg)
		s.total += seg.size
		s.nextSeq = max(s.nextSeq, seg.last+1)
	}
	if s.stats.Torn > 0 {
		// The cut record's number may have reached the server before a power
		// loss; never reuse it for different data.
		s.nextSeq += tornSeqGap
	}
	return nil
}

// scan reads one segment file, truncating it after its last valid record.
func (s *Spool) scan(path string) (*segment, error) {
	base, err := strconv.ParseUint(strings.TrimSuffix(filepath.Base(path), segSuffix), 10, 64)
	if err != nil {
		return nil, fmt.Errorf("spool: segment name %s: %w", path, err)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	defer f.Close()
	seg := &segment{base: base, last: base - 1, path: path}
	valid, err := ReadSegment(newBufReader(f), func(r Record) error {
		if seg.last < seg.base && r.Seq != base {
			seg.base = r.Seq
		}
		seg.last, seg.newest = r.Seq, r.Appended
		return nil
	})
	if errors.Is(err, ErrCorrupt) {
		s.stats.Torn++
		s.log.Warn("spool: cutting damaged tail", "segment", path, "offset", valid, "err", err)
		if terr := os.Truncate(path, valid); terr != nil {
			return nil, fmt.Errorf("spool: truncate %s: %w", path, terr)
		}
	} else if err != nil {
		return nil, fmt.Errorf("spool: %s: %w", path, err)
	}
	seg.size = valid
	return seg, nil
}

// newSegment starts a new active segment at nextSeq.
func (s *Spool) newSegment() error {
	if s.active != nil {
		if err := s.active.Close(); err != nil {
			return fmt.Errorf("spool: %w", err)
		}
		s.active = nil
	}
	path := filepath.Join(s.dir, fmt.Sprintf("%020d%s", s.nextSeq, segSuffix))
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return fmt.Errorf("spool: %w", err)
	}
	if fi.Size() != 0 { // a leftover with this base was empty or cut to zero
		if err := f.Truncate(0); err != nil {
			f.Close()
			return fmt.Errorf("spool: %w", err)
		}
	}
	s.active = f
	s.segs = append(s.segs, &segment{base: s.nextSeq, last: s.nextSeq - 1, path: path})
	return nil
}

func (s *Spool) activeSeg() *segment { return s.segs[len(s.segs)-1] }

// Append encodes events as one record and appends it. Appending may drop
// the oldest segments (see the package comment). It returns the record's
// sequence number.
func (s *Spool) Append(events []event.Event) (uint64, error) {
	if len(events) == 0 {
		return 0, nil
	}
	data, err := s.opts.Encode(events)
	if err != nil {
		return 0, fmt.Errorf("spool: encode: %w", err)
	}
	from, to := events[0].Timestamp, events[0].Timestamp
	for i := range events {
		from, to = minTime(from, events[i].Timestamp), maxTime(to, events[i].Timestamp)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return 0, ErrClosed
	}
	return s.appendLocked(Record{Appended: s.opts.Now(), From: from, To: to, Events: len(events), Data: data})
}

func (s *Spool) appendLocked(rec Record) (uint64, error) {
	need := rec.size()
	if need-frameHeader > MaxRecordBytes || need > s.opts.MaxBytes {
		return 0, fmt.Errorf("spool: record of %d bytes exceeds the limit", need)
	}
	if err := s.expireLocked(); err != nil {
		return 0, err
	}
	if act := s.activeSeg(); act.size > 0 && act.size+need > s.opts.SegmentBytes {
		if err := s.newSegment(); err != nil {
			return 0, err
		}
	}
	if s.total+need > s.opts.MaxBytes {
		if err := s.dropLocked("spool_full", func() bool { return s.total+need+lossReserve > s.opts.MaxBytes }); err != nil {
			return 0, err
		}
	}
	return s.writeLocked(rec)
}

// lossReserve is room kept for the loss event written after a drop.
const lossReserve = 4096

func (s *Spool) writeLocked(rec Record) (uint64, error) {
	rec.Seq = s.nextSeq
	s.buf = appendFrame(s.buf[:0], &rec)
	if _, err := s.active.Write(s.buf); err != nil {
		return 0, fmt.Errorf("spool: append: %w", err)
	}
	act := s.activeSeg()
	act.last, act.newest = rec.Seq, rec.Appended
	act.size += int64(len(s.buf))
	s.total += int64(len(s.buf))
	s.nextSeq++
	close(s.wake)
	s.wake = make(chan struct{})
	return rec.Seq, nil
}

// Sync makes every appended record durable on disk.
func (s *Spool) Sync() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	if err := s.active.Sync(); err != nil {
		return fmt.Errorf("spool: sync: %w", err)
	}
	return nil
}

// Close syncs and closes the spool. Unacknowledged records stay on disk.
func (s *Spool) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	close(s.wake)
	s.rd.close()
	err := s.active.Sync()
	if cerr := s.active.Close(); err == nil {
		err = cerr
	}
	return err
}

// Stats returns the counters.
func (s *Spool) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stats
	st.Bytes, st.Segments, st.NextSeq, st.Acked = s.total, len(s.segs), s.nextSeq, s.acked
	st.Pending = s.nextSeq - 1 - s.acked
	return st
}

// Next returns the next record after the ones already returned, waiting
// until one is appended or ctx ends. After Open the first record returned is
// the oldest unacknowledged one.
func (s *Spool) Next(ctx context.Context) (Batch, error) {
	for {
		// Take the wake channel before looking: an Append in between
		// closes it, so the wait below cannot miss that record.
		s.mu.Lock()
		wake := s.wake
		s.mu.Unlock()
		b, ok, err := s.TryNext()
		if err != nil || ok {
			return b, err
		}
		select {
		case <-ctx.Done():
			return Batch{}, ctx.Err()
		case <-wake:
		}
	}
}

// TryNext is Next without waiting: ok is false when no record is ready.
func (s *Spool) TryNext() (b Batch, ok bool, err error) {
	for {
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			return Batch{}, false, ErrClosed
		}
		if first := s.segs[0]; s.readSeq < first.base {
			s.readSeq = first.base // dropped meanwhile
		}
		if s.readSeq < s.nextSeq {
			seg := s.segFor(s.readSeq)
			s.readSeq = max(s.readSeq, seg.base) // skip a numbering gap
		}
		if s.readSeq >= s.nextSeq {
			s.mu.Unlock()
			return Batch{}, false, nil
		}
		seq := s.readSeq
		seg := s.segFor(seq)
		s.mu.Unlock()
		b, err := s.rd.read(seg.path, seg.base, seq)
		if err != nil {
			s.mu.Lock()
			dropped := !s.closed && seq < s.segs[0].base
			s.mu.Unlock()
			if dropped { // removed by a drop while we opened it
				continue
			}
			return Batch{}, false, err
		}
		s.mu.Lock()
		s.readSeq = seq + 1
		s.mu.Unlock()
		return b, true, nil
	}
}

// segFor returns the segment holding seq (which must exist).
func (s *Spool) segFor(seq uint64) segment {
	i := sort.Search(len(s.segs), func(i int) bool { return s.segs[i].last >= seq })
	return *s.segs[i]
}

// Ack records that every record up to and including seq has been committed
// by the server; their segments are deleted. The cursor is written to disk
// (without fsync: a lost cursor only replays records the server dedups).
func (s *Spool) Ack(seq uint64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	if seq <= s.acked {
		return nil
	}
	s.acked = min(seq, s.nextSeq-1)
	return s.removeAcked()
}

// removeAcked writes the cursor and deletes the non-active segments that are
// fully acknowledged. Before a deletion the cursor is synced: with its
// segments gone it is the only record of the sequence numbers used.
func (s *Spool) removeAcked() error {
	removable := len(s.segs) > 1 && s.segs[0].last <= s.acked
	if err := writeCursor(filepath.Join(s.dir, cursorFile), s.acked, removable); err != nil {
		return err
	}
	for len(s.segs) > 1 && s.segs[0].last <= s.acked {
		s.removeFirst()
	}
	return nil
}

func (s *Spool) removeFirst() {
	seg := s.segs[0]
	if err := os.Remove(seg.path); err != nil && !errors.Is(err, os.ErrNotExist) {
		s.log.Warn("spool: remove segment", "err", err)
	}
	s.total -= seg.size
	s.segs = s.segs[1:]
}

func readCursor(path string) (uint64, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("spool: cursor: %w", err)
	}
	if len(b) != 12 || crc32.Checksum(b[:8], castagnoli) != binary.LittleEndian.Uint32(b[8:]) {
		// A damaged cursor replays everything; the server dedups.
		return 0, nil
	}
	return binary.LittleEndian.Uint64(b), nil
}

func writeCursor(path string, seq uint64, sync bool) error {
	b := binary.LittleEndian.AppendUint64(nil, seq)
	b = binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("spool: cursor: %w", err)
	}
	_, err = f.Write(b)
	if err == nil && sync {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("spool: cursor: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("spool: cursor: %w", err)
	}
	return nil
}

func minTime(a, b time.Time) time.Time {
	if a.IsZero() || (!b.IsZero() && b.Before(a)) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
