package event

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"time"
)

// NewID returns a new random, time-ordered event ID for an event at t.
//
// Event IDs are UUIDs (RFC 9562) in the canonical 36-character lowercase form.
// Both kinds start with the event's Unix time in milliseconds (48 bits, big
// endian), so IDs sort by time as strings and as bytes, and a store's index on
// event.id stays append-mostly.
//
//   - NewID makes a version 7 UUID: the 12 bits after the version hold the
//     sub-millisecond fraction of the time (RFC 9562 method 3), the last 62
//     bits are random.
//   - DeterministicID makes a version 8 UUID with the same time prefix and 74
//     bits of a SHA-256 over the exact time and the given parts, so a
//     collector that re-emits the same event (after a restart, a re-read of a
//     log, a retry) produces the same ID and the server deduplicates it.
func NewID(t time.Time) string {
	var u [16]byte
	putTime(&u, t)
	frac := uint16(int64(t.Nanosecond()%1e6) * 4096 / 1e6) // 12 bits
	u[6] = byte(frac >> 8)
	u[7] = byte(frac)
	_, _ = rand.Read(u[8:]) // crypto/rand.Read never returns an error
	return format(&u, 7)
}

// DeterministicID returns the ID of the event at t identified by parts (for
// example the host ID, the audit sequence number and the record's serial).
// The same t and parts always give the same ID; different parts give
// different IDs (parts are length-prefixed, so ("ab","c") differs from
// ("a","bc")).
func DeterministicID(t time.Time, parts ...string) string {
	h := sha256.New()
	var buf [binary.MaxVarintLen64]byte
	h.Write(binary.BigEndian.AppendUint64(buf[:0], uint64(t.UnixNano())))
	for _, p := range parts {
		h.Write(binary.AppendUvarint(buf[:0], uint64(len(p))))
		h.Write([]byte(p))
	}
	var sum [sha256.Size]byte
	h.Sum(sum[:0])
	var u [16]byte
	putTime(&u, t)
	copy(u[6:], sum[:10])
	return format(&u, 8)
}

// IDTime returns the millisecond time encoded in an ID made by NewID or
// DeterministicID, and false for any other string.
func IDTime(id string) (time.Time, bool) {
	var u [16]byte
	if len(id) != 36 || id[8] != '-' || id[13] != '-' || id[18] != '-' || id[23] != '-' {
		return time.Time{}, false
	}
	raw := id[0:8] + id[9:13] + id[14:18] + id[19:23] + id[24:36]
	if _, err := hex.Decode(u[:], []byte(raw)); err != nil {
		return time.Time{}, false
	}
	if v := u[6] >> 4; (v != 7 && v != 8) || u[8]&0xc0 != 0x80 {
		return time.Time{}, false
	}
	var b [8]byte
	copy(b[2:], u[:6])
	return time.UnixMilli(int64(binary.BigEndian.Uint64(b[:]))).UTC(), true
}

// putTime stores t's Unix milliseconds in the first 48 bits, clamped to the
// representable range.
func putTime(u *[16]byte, t time.Time) {
	ms := t.UnixMilli()
	if ms < 0 {
		ms = 0
	}
	if ms >= 1<<48 {
		ms = 1<<48 - 1
	}
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(ms))
	copy(u[:6], b[2:])
}

// format sets the version and variant bits and writes the canonical form.
func format(u *[16]byte, version byte) string {
	u[6] = u[6]&0x0f | version<<4
	u[8] = u[8]&0x3f | 0x80
	var out [36]byte
	hex.Encode(out[0:8], u[0:4])
	out[8] = '-'
	hex.Encode(out[9:13], u[4:6])
	out[13] = '-'
	hex.Encode(out[14:18], u[6:8])
	out[18] = '-'
	hex.Encode(out[19:23], u[8:10])
	out[23] = '-'
	hex.Encode(out[24:36], u[10:16])
	return string(out[:])
}
