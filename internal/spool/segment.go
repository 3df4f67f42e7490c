package spool

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"time"
)

// Record framing. Every record in a segment file is
//
//	u32 LE  payload length
//	u32 LE  CRC-32C (Castagnoli) of the payload
//	payload:
//	  u64 LE  sequence number (monotonic per spool, never reused)
//	  i64 LE  append time, Unix nanoseconds
//	  i64 LE  first event time, Unix nanoseconds
//	  i64 LE  last event time, Unix nanoseconds
//	  u32 LE  number of events
//	  u64 LE  events this record reports as lost (loss records only)
//	  data    the encoded events (opaque to the spool)
//
// A torn write (crash in the middle of an append) leaves a short header, a
// short payload or a payload whose CRC does not match: the reader stops there.
const (
	frameHeader = 8
	recordMeta  = 8 + 8 + 8 + 8 + 4 + 8
	// MaxRecordBytes bounds one record's payload; longer length fields are
	// treated as corruption.
	MaxRecordBytes = 64 << 20
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// ErrCorrupt reports a torn or damaged record: the segment is valid only up
// to the offset the reader returned.
var ErrCorrupt = errors.New("corrupt spool record")

// Record is one decoded spool record.
type Record struct {
	Seq      uint64
	Appended time.Time
	From, To time.Time
	Events   int
	// Lost is non-zero on a loss record: the number of events it reports
	// as dropped (From and To are then the dropped events' time range).
	Lost uint64
	Data []byte
}

// size is the record's length on disk.
func (r *Record) size() int64 { return int64(frameHeader + recordMeta + len(r.Data)) }

// appendFrame appends the framed record to buf.
func appendFrame(buf []byte, r *Record) []byte {
	n := recordMeta + len(r.Data)
	start := len(buf)
	buf = binary.LittleEndian.AppendUint32(buf, uint32(n))
	buf = binary.LittleEndian.AppendUint32(buf, 0) // CRC, filled below
	buf = binary.LittleEndian.AppendUint64(buf, r.Seq)
	buf = binary.LittleEndian.AppendUint64(buf, uint64(unixNano(r.Appended)))
	buf = binary.LittleEndian.AppendUint64(buf, uint64(unixNano(r.From)))
	buf = binary.LittleEndian.AppendUint64(buf, uint64(unixNano(r.To)))
	buf = binary.LittleEndian.AppendUint32(buf, uint32(r.Events))
	buf = binary.LittleEndian.AppendUint64(buf, r.Lost)
	buf = append(buf, r.Data...)
	crc := crc32.Checksum(buf[start+frameHeader:], castagnoli)
	binary.LittleEndian.PutUint32(buf[start+4:], crc)
	return buf
}

func unixNano(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromUnixNano(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

// readRecord reads one framed record from r. It returns io.EOF at a clean
// end, and ErrCorrupt (wrapped) for a torn or damaged record. buf is reused
// for the payload when large enough; Data aliases it.
func readRecord(r io.Reader, buf []byte) (Record, []byte, error) {
	var hdr [frameHeader]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		if err == io.EOF {
			return Record{}, buf, io.EOF
		}
		return Record{}, buf, fmt.Errorf("%w: short header", ErrCorrupt)
	}
	n := binary.LittleEndian.Uint32(hdr[0:])
	if n < recordMeta || n > MaxRecordBytes {
		return Record{}, buf, fmt.Errorf("%w: length %d out of range", ErrCorrupt, n)
	}
	if cap(buf) < int(n) {
		buf = make([]byte, n)
	}
	buf = buf[:n]
	if _, err := io.ReadFull(r, buf); err != nil {
		return Record{}, buf, fmt.Errorf("%w: short payload", ErrCorrupt)
	}
	if crc32.Checksum(buf, castagnoli) != binary.LittleEndian.Uint32(hdr[4:]) {
		return Record{}, buf, fmt.Errorf("%w: checksum mismatch", ErrCorrupt)
	}
	rec := Record{
		Seq:      binary.LittleEndian.Uint64(buf[0:]),
		Appended: fromUnixNano(int64(binary.LittleEndian.Uint64(buf[8:]))),
		From:     fromUnixNano(int64(binary.LittleEndian.Uint64(buf[16:]))),
		To:       fromUnixNano(int64(binary.LittleEndian.Uint64(buf[24:]))),
		Events:   int(binary.LittleEndian.Uint32(buf[32:])),
		Lost:     binary.LittleEndian.Uint64(buf[36:]),
		Data:     buf[recordMeta:],
	}
	return rec, buf, nil
}

// ReadSegment calls fn for every valid record of a segment in order. It
// returns the offset just past the last valid record. At a torn or damaged
// record it stops and returns that offset with an error wrapping ErrCorrupt;
// records must also have increasing sequence numbers. fn's record Data is
// only valid during the call. An error from fn stops the read and is
// returned.
func ReadSegment(r io.Reader, fn func(Record) error) (int64, error) {
	var (
		off  int64
		buf  []byte
		last uint64
	)
	for {
		rec, b, err := readRecord(r, buf)
		buf = b
		if err == io.EOF {
			return off, nil
		}
		if err != nil {
			return off, fmt.Errorf("offset %d: %w", off, err)
		}
		if off > 0 && rec.Seq <= last {
			return off, fmt.Errorf("offset %d: %w: sequence %d after %d", off, ErrCorrupt, rec.Seq, last)
		}
		last = rec.Seq
		if fn != nil {
			if err := fn(rec); err != nil {
				return off, err
			}
		}
		off += rec.size()
	}
}
