// Package utmp reads the login accounting files of Linux: /var/run/utmp
// (current sessions), /var/log/wtmp (logins, logouts, boots) and
// /var/log/btmp (failed logins), all arrays of glibc's struct utmp (384
// bytes on x86_64 and the other 64-bit ABIs, little endian on those
// machines; ut_tv is two 32-bit fields there).
//
// Parse reads one record, Marshal writes one (tests and tools use it to make
// fixtures), Reader reads a file record by record from an offset, and
// Record.Event turns a record into a vigil event: user_login (success from
// wtmp/utmp, failure from btmp), user_logout, and host_boot / host_shutdown
// for boot and shutdown records. These records never give ssh_login.
package utmp

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"time"

	"github.com/vigil-sec/vigil/internal/event"
)

// RecordSize is the size of one struct utmp.
const RecordSize = 384

// Type is ut_type.
type Type int16

// Record types (utmp.h).
const (
	Empty        Type = 0
	RunLevel     Type = 1
	BootTime     Type = 2
	NewTime      Type = 3
	OldTime      Type = 4
	InitProcess  Type = 5
	LoginProcess Type = 6
	UserProcess  Type = 7
	DeadProcess  Type = 8
	Accounting   Type = 9
)

// Field offsets and sizes in struct utmp.
const (
	offType    = 0
	offPID     = 4
	offLine    = 8
	lenLine    = 32
	offID      = 40
	lenID      = 4
	offUser    = 44
	lenUser    = 32
	offHost    = 76
	lenHost    = 256
	offExit    = 332
	offSession = 336
	offSec     = 340
	offUsec    = 344
	offAddr    = 348
)

// Record is one struct utmp.
type Record struct {
	Type               Type
	PID                int32
	Line               string // device without /dev/: "pts/0", "tty1", "ssh:notty", "~"
	ID                 string // inittab id or the tail of Line
	User               string
	Host               string // remote host name or address, kernel version on boot records
	ExitTerm, ExitCode int16
	Session            int32
	Time               time.Time
	// Addr is ut_addr_v6; invalid (zero) when not set.
	Addr netip.Addr
}

// ErrShort is returned by Parse for fewer than RecordSize bytes.
var ErrShort = errors.New("short utmp record")

// Parse reads one record from the first RecordSize bytes of b. It fails only
// on short input or an unknown ut_type; strings are cut at their first NUL.
func Parse(b []byte) (Record, error) {
	if len(b) < RecordSize {
		return Record{}, fmt.Errorf("%d bytes: %w", len(b), ErrShort)
	}
	le := binary.LittleEndian
	r := Record{
		Type:     Type(int16(le.Uint16(b[offType:]))),
		PID:      int32(le.Uint32(b[offPID:])),
		Line:     cstr(b[offLine : offLine+lenLine]),
		ID:       cstr(b[offID : offID+lenID]),
		User:     cstr(b[offUser : offUser+lenUser]),
		Host:     cstr(b[offHost : offHost+lenHost]),
		ExitTerm: int16(le.Uint16(b[offExit:])),
		ExitCode: int16(le.Uint16(b[offExit+2:])),
		Session:  int32(le.Uint32(b[offSession:])),
	}
	if r.Type < Empty || r.Type > Accounting {
		return Record{}, fmt.Errorf("unknown ut_type %d", r.Type)
	}
	sec := int64(int32(le.Uint32(b[offSec:])))
	usec := int64(int32(le.Uint32(b[offUsec:])))
	if usec >= 0 && usec < 1e6 {
		r.Time = time.Unix(sec, usec*1000).UTC()
	} else {
		r.Time = time.Unix(sec, 0).UTC()
	}
	var a [16]byte
	copy(a[:], b[offAddr:offAddr+16])
	switch {
	case a == [16]byte{}:
	case bytes.Equal(a[4:], make([]byte, 12)):
		r.Addr = netip.AddrFrom4([4]byte(a[:4]))
	default:
		r.Addr = netip.AddrFrom16(a).Unmap()
	}
	return r, nil
}

// Marshal encodes r as struct utmp. Strings longer than their field are cut.
func (r Record) Marshal() []byte {
	b := make([]byte, RecordSize)
	le := binary.LittleEndian
	le.PutUint16(b[offType:], uint16(r.Type))
	le.PutUint32(b[offPID:], uint32(r.PID))
	copy(b[offLine:offLine+lenLine], r.Line)
	copy(b[offID:offID+lenID], r.ID)
	copy(b[offUser:offUser+lenUser], r.User)
	copy(b[offHost:offHost+lenHost], r.Host)
	le.PutUint16(b[offExit:], uint16(r.ExitTerm))
	le.PutUint16(b[offExit+2:], uint16(r.ExitCode))
	le.PutUint32(b[offSession:], uint32(r.Session))
	if !r.Time.IsZero() {
		le.PutUint32(b[offSec:], uint32(int32(r.Time.Unix())))
		le.PutUint32(b[offUsec:], uint32(r.Time.Nanosecond()/1000))
	}
	if r.Addr.Is4() {
		a := r.Addr.As4()
		copy(b[offAddr:], a[:])
	} else if r.Addr.IsValid() {
		a := r.Addr.As16()
		copy(b[offAddr:], a[:])
	}
	return b
}

func cstr(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return string(bytes.ToValidUTF8(b, []byte("\uFFFD")))
}

// Source says which file a record came from; it decides the event.
type Source int

// Sources.
const (
	Wtmp Source = iota // logins, logouts, boots: /var/log/wtmp
	Btmp               // failed logins: /var/log/btmp
	Utmp               // current sessions: /var/run/utmp
)

// Actions for boot and shutdown records (not in the catalogue).
const (
	ActionHostBoot     = "host_boot"
	ActionHostShutdown = "host_shutdown"
)

// Event returns the event of a record read from file at offset, and false
// for records that are not logins, logouts, boots or shutdowns (EMPTY,
// INIT_PROCESS, clock changes, ...). IDs are deterministic.
func (r Record) Event(src Source, file string, offset int64) (event.Event, bool) {
	e := event.Event{
		Timestamp: r.Time,
		Event: event.Meta{
			ID:      event.DeterministicID(r.Time, file, strconv.FormatInt(offset, 10)),
			Kind:    event.KindEvent,
			Dataset: event.DatasetPrefix + "login",
		},
	}
	switch {
	case src == Btmp && (r.Type == UserProcess || r.Type == LoginProcess):
		r.auth(&e, event.ActionUserLogin, event.OutcomeFailure)
	case r.Type == UserProcess:
		r.auth(&e, event.ActionUserLogin, event.OutcomeSuccess)
	case r.Type == DeadProcess && src != Btmp:
		r.auth(&e, event.ActionUserLogout, "")
		e.Event.Category = []string{event.CategorySession}
		e.Event.Type = []string{event.TypeEnd}
	case r.Type == BootTime:
		e.Event.Category, e.Event.Type, e.Event.Action = []string{event.CategoryHost}, []string{event.TypeStart}, ActionHostBoot
	case r.Type == RunLevel && r.User == "shutdown":
		e.Event.Category, e.Event.Type, e.Event.Action = []string{event.CategoryHost}, []string{event.TypeEnd}, ActionHostShutdown
	default:
		return event.Event{}, false
	}
	return e, true
}

func (r Record) auth(e *event.Event, action, outcome string) {
	e.Event.Category = []string{event.CategoryAuthentication, event.CategorySession}
	e.Event.Type = []string{event.TypeStart}
	e.Event.Action, e.Event.Outcome = action, outcome
	if r.User != "" || r.Line != "" {
		e.User = &event.User{Name: r.User, Terminal: r.Line}
		if r.User != "" {
			e.Related = &event.Related{User: []string{r.User}}
		}
	}
	if r.PID > 0 {
		e.Process = &event.Process{PID: new(int64(r.PID))}
		e.Process.TTY = event.TTYFromName(r.Line)
	}
	ip := r.Addr
	if a, err := netip.ParseAddr(r.Host); err == nil && a.Zone() == "" {
		ip = a.Unmap()
	}
	if ip.IsValid() && !ip.IsUnspecified() {
		e.Source = &event.Endpoint{IP: ip.String()}
		if r.Host != "" && r.Host != ip.String() && validHost(r.Host) {
			e.Source.Domain = r.Host
		}
		if e.Related == nil {
			e.Related = &event.Related{}
		}
		e.Related.IP = []string{ip.String()}
	} else if validHost(r.Host) {
		e.Source = &event.Endpoint{Domain: r.Host}
	}
}

func validHost(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	for _, c := range s {
		if !(c == '.' || c == '-' || c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}
