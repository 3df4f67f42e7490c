package event

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"
)

// MaxEventBytes bounds one serialised event accepted by Decode.
const MaxEventBytes = 4 << 20

// ErrTooLarge is returned by Decode for input longer than MaxEventBytes.
var ErrTooLarge = errors.New("event larger than limit")

// Decode parses one JSON event. It rejects input longer than MaxEventBytes
// and anything after the object. Unknown fields are ignored, so that a server
// accepts events from a newer agent; Decode does not validate (call
// Validate).
func Decode(data []byte) (Event, error) {
	var e Event
	if len(data) > MaxEventBytes {
		return e, fmt.Errorf("decode event: %d bytes: %w", len(data), ErrTooLarge)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&e); err != nil {
		return Event{}, fmt.Errorf("decode event: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return Event{}, errors.New("decode event: data after the object")
	}
	return e, nil
}

//go:generate go run ./jsongen

// AppendJSON appends the JSON encoding of e to b and returns the extended
// slice. The bytes are exactly those of json.Marshal(e) when escapeHTML is
// true, and those of a json.Encoder with SetEscapeHTML(false) (without its
// newline) when it is false, at a fraction of the cost: append_json.go is
// generated from the struct definitions (go generate), and tests compare
// the two encodings. The only error is a time that RFC 3339 cannot
// represent (a year outside 0-9999); b is then returned unchanged.
func AppendJSON(b []byte, e *Event, escapeHTML bool) ([]byte, error) {
	n := len(b)
	out, err := e.appendJSON(b, escapeHTML)
	if err != nil {
		return b[:n], fmt.Errorf("encode event: %w", err)
	}
	return out, nil
}

// appendKey appends a member's separator and quoted key; start is where
// the object's '{' is.
func appendKey(b []byte, start int, key string) []byte {
	if len(b) > start+1 {
		b = append(b, ',')
	}
	return append(b, key...)
}

// appendTime appends t as time.Time's MarshalJSON does.
func appendTime(b []byte, t time.Time) ([]byte, error) {
	b = append(b, '"')
	b, err := t.AppendText(b)
	if err != nil {
		return b, err
	}
	return append(b, '"'), nil
}

func appendStrings(b []byte, ss []string, html bool) []byte {
	b = append(b, '[')
	for i, s := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, s, html)
	}
	return append(b, ']')
}

func appendStringMap(b []byte, m map[string]string, html bool) []byte {
	return appendMap(b, m, html, func(b []byte, v string) []byte { return appendString(b, v, html) })
}

func appendIntMap(b []byte, m map[string]int64, html bool) []byte {
	return appendMap(b, m, html, func(b []byte, v int64) []byte { return strconv.AppendInt(b, v, 10) })
}

// appendMap appends m as a JSON object with its keys in order, as
// encoding/json writes maps.
func appendMap[V any](b []byte, m map[string]V, html bool, value func([]byte, V) []byte) []byte {
	b = append(b, '{')
	for i, k := range sortedKeys(m, make([]string, 0, 16)) {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, k, html)
		b = append(b, ':')
		b = value(b, m[k])
	}
	return append(b, '}')
}

// sortedKeys returns m's keys in order, in keys (usually room on the
// caller's stack) when they fit.
func sortedKeys[V any](m map[string]V, keys []string) []string {
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

const hexDigits = "0123456789abcdef"

// plain[html][c] is true for the ASCII bytes a JSON string holds as they
// are.
var plain = func() (t [2][utf8.RuneSelf]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[0][c] = c != '"' && c != '\\'
		t[1][c] = t[0][c] && c != '<' && c != '>' && c != '&'
	}
	return t
}()

// appendString appends s quoted and escaped as encoding/json does: \" \\
// \b \f \n \r \t, other control bytes as \u00XX, invalid UTF-8 as \ufffd,
// U+2028 and U+2029 escaped, and with html also < > & as \u003c \u003e
// \u0026.
func appendString(b []byte, s string, html bool) []byte {
	b = append(b, '"')
	ok := &plain[0]
	if html {
		ok = &plain[1]
	}
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if ok[c] {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i++
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
