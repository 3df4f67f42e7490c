// Package journal reads the systemd journal through journalctl, as log
// shippers do that need no libsystemd: Args builds journalctl's command line
// from options that come only from configuration and saved state, Run starts
// it and hands over each entry it prints, and ParseEntry, a pure function,
// reads one line of `journalctl --output=json`.
//
// journalctl's JSON gives every field as a string, except a value that is
// not valid UTF-8 or holds control characters (an array of its bytes), a
// field with several values (an array of the values) and, without --all, a
// value above 4096 bytes (null). Args always asks for --all; Run bounds the
// line it reads instead (MaxLineBytes).
package journal

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// MaxLineBytes bounds one line of journalctl's output. An entry's JSON is
// its few selected fields (Args asks for no others), so a line reaches this
// only with a message far longer than any log parser reads; such a line is
// skipped and reported, not cut (a cut JSON object is no entry).
const MaxLineBytes = 1 << 20

// MaxCursorBytes bounds a cursor; journald's are about 120 bytes.
const MaxCursorBytes = 512

// Entry is the part of a journal entry that a syslog-like reader needs.
type Entry struct {
	// Cursor names the entry in the journal; --after-cursor resumes after it.
	Cursor string
	// Time is __REALTIME_TIMESTAMP, when journald received the entry (UTC).
	Time time.Time
	// Host is _HOSTNAME.
	Host string
	// Identifier is SYSLOG_IDENTIFIER, the syslog tag the program gave.
	Identifier string
	// Comm is _COMM, the process name the kernel gave journald.
	Comm string
	// PID is _PID (what the kernel says sent the entry), else SYSLOG_PID
	// (what the message says), else -1.
	PID int64
	// UID is _UID, the effective user ID the kernel gave journald for the
	// sending process (the sender cannot choose it, unlike
	// SYSLOG_IDENTIFIER or _COMM, a binary's name); -1 when absent, as in
	// entries imported from another machine's export.
	UID int64
	// Message is MESSAGE, with bytes that are not UTF-8 kept as they are;
	// empty when the entry has none.
	Message string
}

// Program is the name a syslog line would show: SYSLOG_IDENTIFIER, or _COMM
// for an entry without one (as journalctl's short output does).
func (e Entry) Program() string {
	if e.Identifier != "" {
		return e.Identifier
	}
	return e.Comm
}

// Fields are the entry fields Args asks journalctl for (--output-fields);
// journalctl adds __CURSOR, __REALTIME_TIMESTAMP, __MONOTONIC_TIMESTAMP and
// _BOOT_ID to every entry itself.
var Fields = []string{"MESSAGE", "SYSLOG_IDENTIFIER", "_COMM", "_PID", "SYSLOG_PID", "_UID", "_HOSTNAME"}

// ErrBadEntry is returned (wrapped) by ParseEntry for a line that is no
// journal entry.
var ErrBadEntry = errors.New("bad journal entry")

// rawEntry holds the fields of one JSON line still encoded: each may be a
// string, an array or null.
type rawEntry struct {
	Cursor     json.RawMessage `json:"__CURSOR"`
	Realtime   json.RawMessage `json:"__REALTIME_TIMESTAMP"`
	Host       json.RawMessage `json:"_HOSTNAME"`
	Identifier json.RawMessage `json:"SYSLOG_IDENTIFIER"`
	Comm       json.RawMessage `json:"_COMM"`
	PID        json.RawMessage `json:"_PID"`
	SyslogPID  json.RawMessage `json:"SYSLOG_PID"`
	UID        json.RawMessage `json:"_UID"`
	Message    json.RawMessage `json:"MESSAGE"`
}

// ParseEntry reads one line of `journalctl --output=json`. It returns an
// error wrapping ErrBadEntry when the line is not a JSON object, or lacks a
// well-formed __CURSOR or __REALTIME_TIMESTAMP (journalctl prints both for
// every entry). Other fields that are missing, null or malformed are left
// empty (PID and UID -1): they come from the programs that logged, not from
// journald.
func ParseEntry(line []byte) (Entry, error) {
	line = bytes.TrimSpace(line)
	if len(line) == 0 || line[0] != '{' {
		return Entry{}, fmt.Errorf("%w: not a JSON object", ErrBadEntry)
	}
	var raw rawEntry
	if err := json.Unmarshal(line, &raw); err != nil {
		return Entry{}, fmt.Errorf("%w: %v", ErrBadEntry, err)
	}
	e := Entry{PID: -1, UID: -1}
	var err error
	if e.Cursor, err = value(raw.Cursor); err != nil || !ValidCursor(e.Cursor) {
		return Entry{}, fmt.Errorf("%w: __CURSOR missing or malformed", ErrBadEntry)
	}
	usec, err := value(raw.Realtime)
	if err != nil {
		return Entry{}, fmt.Errorf("%w: __REALTIME_TIMESTAMP: %v", ErrBadEntry, err)
	}
	n, err := strconv.ParseInt(usec, 10, 64)
	if err != nil || n <= 0 {
		return Entry{}, fmt.Errorf("%w: __REALTIME_TIMESTAMP %q is not a positive count of microseconds", ErrBadEntry, usec)
	}
	e.Time = time.UnixMicro(n).UTC()
	e.Host, _ = value(raw.Host)
	e.Identifier, _ = value(raw.Identifier)
	e.Comm, _ = value(raw.Comm)
	e.Message, _ = value(raw.Message)
	if s, _ := value(raw.UID); s != "" {
		if uid, err := strconv.ParseInt(s, 10, 64); err == nil && uid >= 0 && uid <= math.MaxUint32 {
			e.UID = uid
		}
	}
	for _, r := range []json.RawMessage{raw.PID, raw.SyslogPID} {
		s, _ := value(r)
		if pid, err := strconv.ParseInt(s, 10, 64); err == nil && pid >= 0 {
			e.PID = pid
			break
		}
	}
	return e, nil
}

// value decodes one field: a string, an array of bytes, null (or absent)
// as "", or an array of values of a field logged several times, of which
// the first is taken.
func value(raw json.RawMessage) (string, error) {
	return decode(raw, true)
}

func decode(raw json.RawMessage, multi bool) (string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return "", nil
	}
	switch raw[0] {
	case '"':
		var s string
		err := json.Unmarshal(raw, &s)
		return s, err
	case '[':
		var items []json.RawMessage
		if err := json.Unmarshal(raw, &items); err != nil {
			return "", err
		}
		if len(items) == 0 {
			return "", nil
		}
		if first := bytes.TrimSpace(items[0]); len(first) > 0 && (first[0] == '"' || first[0] == '[' || first[0] == 'n') {
			if !multi {
				return "", errors.New("nested array of values")
			}
			return decode(first, false)
		}
		b := make([]byte, len(items))
		for i, it := range items {
			n, err := strconv.ParseUint(string(bytes.TrimSpace(it)), 10, 8)
			if err != nil {
				return "", fmt.Errorf("byte %d of an array value: %q", i, it)
			}
			b[i] = byte(n)
		}
		return string(b), nil
	}
	return "", fmt.Errorf("value %.20q is neither a string, an array nor null", raw)
}

// ValidCursor reports whether s has the shape of a journal cursor:
// semicolon-separated k=v parts, k one lowercase letter and v hexadecimal
// ("s=…;i=…;b=…;m=…;t=…;x=…"), at most MaxCursorBytes. Only such a string
// is saved and handed back to journalctl.
func ValidCursor(s string) bool {
	if s == "" || len(s) > MaxCursorBytes {
		return false
	}
	for part := range strings.SplitSeq(s, ";") {
		if len(part) < 3 || part[0] < 'a' || part[0] > 'z' || part[1] != '=' {
			return false
		}
		for _, c := range part[2:] {
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
				return false
			}
		}
	}
	return true
}
