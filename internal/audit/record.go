package audit

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// MaxRecordBytes bounds one audit record's text. The kernel's own limit is
// MAX_AUDIT_MESSAGE_LENGTH (8970 bytes); user-space records and enriched log
// lines can be longer, so vigil allows more but not unbounded input.
const MaxRecordBytes = 64 << 10

// maxFields bounds the fields kept from one record.
const maxFields = 1024

// Field is one key=value of a record. Value is decoded: quotes removed,
// hex-encoded strings decoded (Hex set), so it holds the exact bytes the
// kernel or program logged, which may not be UTF-8.
type Field struct {
	Key   string
	Value string
	// Hex is true when the value was hex-encoded in the record.
	Hex bool
}

// Record is one parsed audit message.
type Record struct {
	Type RecordType
	// Time and Serial are the event's stamp audit(SEC.MS:SERIAL); all
	// records of one event share them.
	Time   time.Time
	Serial uint64
	// Node is the node= prefix auditd adds with name_format, if any.
	Node string
	// Fields in record order, including the fields of a nested msg='...'
	// payload of user-space records and the uppercase enriched fields after
	// the 0x1d separator of auditd's ENRICHED log format.
	Fields []Field
	// Text is the record as an audit.log line: "type=NAME msg=audit(...): ...".
	Text string
}

// Get returns the value of the first field named key.
func (r *Record) Get(key string) (string, bool) {
	for i := range r.Fields {
		if r.Fields[i].Key == key {
			return r.Fields[i].Value, true
		}
	}
	return "", false
}

// Value returns the value of key, or "" when absent.
func (r *Record) Value(key string) string {
	v, _ := r.Get(key)
	return v
}

// Errors returned by the parsers.
var (
	ErrTooLong   = errors.New("audit record too long")
	ErrNoStamp   = errors.New("missing audit(...) stamp")
	ErrNoType    = errors.New("missing or unknown record type")
	ErrBadStamp  = errors.New("malformed audit(...) stamp")
	errEmptyLine = errors.New("empty line")
)

// ParseMessage parses one message as received from the kernel over netlink:
// its type is the netlink message type and payload is
// "audit(1700000000.123:4567): key=value ...". Trailing NUL bytes are ignored.
func ParseMessage(typ RecordType, payload []byte) (*Record, error) {
	payload = bytes.TrimRight(payload, "\x00\n")
	if len(payload) > MaxRecordBytes {
		return nil, fmt.Errorf("parse %s message: %w", typ, ErrTooLong)
	}
	name := typ.String()
	text := make([]byte, 0, len(name)+10+len(payload))
	text = append(text, "type="...)
	text = append(text, name...)
	text = append(text, " msg="...)
	text = append(text, payload...)
	s := string(text)
	r := &Record{Type: typ, Text: s}
	if err := r.parseStamped(s[len(s)-len(payload):]); err != nil {
		return nil, fmt.Errorf("parse %s message: %w", typ, err)
	}
	return r, nil
}

// ParseLine parses one line of /var/log/audit/audit.log:
// "[node=N ]type=NAME msg=audit(SEC.MS:SERIAL): key=value ...".
func ParseLine(line []byte) (*Record, error) {
	line = bytes.TrimRight(line, "\r\n")
	if len(line) > MaxRecordBytes {
		return nil, fmt.Errorf("parse audit line: %w", ErrTooLong)
	}
	if len(bytes.TrimSpace(line)) == 0 {
		return nil, errEmptyLine
	}
	s := string(line)
	r := &Record{Text: s}
	rest := s
	if v, ok := strings.CutPrefix(rest, "node="); ok {
		node, after, found := strings.Cut(v, " ")
		if !found {
			return nil, fmt.Errorf("parse audit line: %w", ErrNoType)
		}
		r.Node, rest = node, after
	}
	v, ok := strings.CutPrefix(rest, "type=")
	if !ok {
		return nil, fmt.Errorf("parse audit line: %w", ErrNoType)
	}
	tname, after, _ := strings.Cut(v, " ")
	t, ok := ParseRecordType(tname)
	if !ok {
		return nil, fmt.Errorf("parse audit line: type %q: %w", truncate(tname, 40), ErrNoType)
	}
	r.Type = t
	payload, ok := strings.CutPrefix(strings.TrimLeft(after, " "), "msg=")
	if !ok {
		return nil, fmt.Errorf("parse audit line: %w", ErrNoStamp)
	}
	if err := r.parseStamped(payload); err != nil {
		return nil, fmt.Errorf("parse audit line: %w", err)
	}
	return r, nil
}

// parseStamped parses "audit(SEC.MS:SERIAL): body" into r.
func (r *Record) parseStamped(p string) error {
	rest, ok := strings.CutPrefix(p, "audit(")
	if !ok {
		return ErrNoStamp
	}
	end := strings.IndexByte(rest, ')')
	if end < 0 {
		return ErrBadStamp
	}
	t, serial, err := parseStamp(rest[:end])
	if err != nil {
		return err
	}
	r.Time, r.Serial = t, serial
	body := rest[end+1:]
	body = strings.TrimPrefix(body, ":")
	n := min(strings.Count(body, "="), maxFields)
	if n > 0 {
		r.Fields = parseFields(r.Type, body, make([]Field, 0, n))
	}
	return nil
}

// parseStamp parses "1700000000.123:4567".
func parseStamp(s string) (time.Time, uint64, error) {
	ts, ser, ok := strings.Cut(s, ":")
	if !ok {
		return time.Time{}, 0, ErrBadStamp
	}
	secs, frac, _ := strings.Cut(ts, ".")
	sec, err := strconv.ParseInt(secs, 10, 64)
	if err != nil || sec < 0 || sec > 1<<40 {
		return time.Time{}, 0, ErrBadStamp
	}
	var nsec int64
	if frac != "" {
		if len(frac) > 9 {
			return time.Time{}, 0, ErrBadStamp
		}
		f, err := strconv.ParseUint(frac, 10, 32)
		if err != nil {
			return time.Time{}, 0, ErrBadStamp
		}
		nsec = int64(f)
		for i := len(frac); i < 9; i++ {
			nsec *= 10
		}
	}
	serial, err := strconv.ParseUint(ser, 10, 64)
	if err != nil {
		return time.Time{}, 0, ErrBadStamp
	}
	return time.Unix(sec, nsec).UTC(), serial, nil
}

// parseFields splits a record body into fields. It never fails: words
// without '=' (AVC's "avc:  denied  { read } for") are skipped, an
// unterminated quote runs to the end of the body.
func parseFields(typ RecordType, s string, out []Field) []Field {
	for len(s) > 0 && len(out) < maxFields {
		c := s[0]
		if c == ' ' || c == '\t' || c == '\n' {
			s = s[1:]
			continue
		}
		if c == 0x1d { // auditd ENRICHED format: interpreted fields follow.
			s = s[1:]
			continue
		}
		// Key: up to '=', a space or the enrichment separator.
		i := 0
		for i < len(s) && s[i] != '=' && s[i] != ' ' && s[i] != 0x1d {
			i++
		}
		if i == len(s) || s[i] != '=' || i == 0 {
			s = s[i:]
			if len(s) > 0 && s[0] == '=' {
				s = s[1:]
			}
			continue
		}
		key := s[:i]
		s = s[i+1:]
		var val string
		var quoted bool
		switch {
		case len(s) > 0 && s[0] == '"':
			val, s = cutQuoted(s[1:], '"')
			quoted = true
		case len(s) > 0 && s[0] == '\'':
			val, s = cutQuoted(s[1:], '\'')
			if key == "msg" {
				n := len(out)
				out = parseFields(typ, val, out)
				if len(out) > n {
					continue
				}
			}
			quoted = true
		case len(s) > 0 && s[0] == '{':
			if j := strings.IndexByte(s, '}'); j >= 0 {
				val, s = strings.TrimSpace(s[1:j]), s[j+1:]
			} else {
				val, s = strings.TrimSpace(s[1:]), ""
			}
			quoted = true
		default:
			j := 0
			for j < len(s) && s[j] != ' ' && s[j] != 0x1d {
				j++
			}
			val, s = s[:j], s[j:]
		}
		f := Field{Key: key, Value: val}
		if !quoted && encodedKey(typ, key) {
			if d, ok := decodeHex(val); ok {
				f.Value, f.Hex = d, true
			}
		}
		out = append(out, f)
	}
	return out
}

func cutQuoted(s string, q byte) (val, rest string) {
	j := strings.IndexByte(s, q)
	if j < 0 {
		return s, ""
	}
	return s[:j], s[j+1:]
}

// encodedKey reports whether an unquoted value of key is an untrusted string
// the kernel or auditd hex-encodes (audit_log_untrustedstring).
func encodedKey(typ RecordType, key string) bool {
	switch key {
	case "proctitle", "exe", "comm", "cwd", "name", "path", "cmd", "acct",
		"key", "data", "dir", "file", "ocomm", "watch", "old-chardev",
		"new-chardev", "vm", "grp", "new_group", "root_dir", "old-rng", "new-rng":
		return true
	}
	if typ == TypeExecve && len(key) > 1 && key[0] == 'a' && !strings.HasSuffix(key, "_len") {
		return isArgKey(key[1:])
	}
	return false
}

// isArgKey accepts "N" and "N[M]".
func isArgKey(s string) bool {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i == 0 {
		return false
	}
	if i == len(s) {
		return true
	}
	if s[i] != '[' || s[len(s)-1] != ']' || i+2 >= len(s) {
		return false
	}
	for _, c := range []byte(s[i+1 : len(s)-1]) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// decodeHex decodes an even-length string of hex digits (either case).
func decodeHex(s string) (string, bool) {
	if len(s) == 0 || len(s)%2 != 0 {
		return "", false
	}
	b := make([]byte, len(s)/2)
	if _, err := hex.Decode(b, []byte(s)); err != nil {
		return "", false
	}
	return string(b), true
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
