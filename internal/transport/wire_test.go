package transport

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/vigil-sec/vigil/internal/event"
)

// sampleEvents reads the event package's sample events.
func sampleEvents(tb testing.TB) [][]byte {
	tb.Helper()
	paths, err := filepath.Glob(filepath.Join("..", "event", "testdata", "*.json"))
	if err != nil || len(paths) == 0 {
		tb.Fatalf("no sample events: %v", err)
	}
	var out [][]byte
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			tb.Fatal(err)
		}
		var compact bytes.Buffer
		if err := json.Compact(&compact, b); err != nil {
			tb.Fatalf("%s: %v", p, err)
		}
		out = append(out, compact.Bytes())
	}
	return out
}

func TestBatchRoundTrip(t *testing.T) {
	var evs []event.Event
	for _, raw := range sampleEvents(t) {
		ev, err := event.Decode(raw)
		if err != nil {
			t.Fatal(err)
		}
		evs = append(evs, ev)
	}
	body, err := EncodeBatch(evs)
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeBatch(body)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := json.Marshal(evs)
	b, _ := json.Marshal(got)
	if !bytes.Equal(a, b) {
		t.Fatal("events changed through the wire")
	}
	// DecodeBatch reuses its decompression buffer: decoding other events
	// of the same shape must leave the first ones as they were.
	other := make([]event.Event, len(evs))
	for i, e := range evs {
		e.Message = strings.Repeat("x", len(e.Message))
		e.Labels = map[string]string{"k": "overwritten"}
		other[i] = e
	}
	body2, err := EncodeBatch(other)
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := DecodeBatch(body2); err != nil {
			t.Fatal(err)
		}
	}
	if b, _ = json.Marshal(got); !bytes.Equal(a, b) {
		t.Fatal("decoded events changed when the next batch was decoded")
	}
}

func TestDecodeBatch(t *testing.T) {
	enc, _ := zstd.NewWriter(nil)
	z := func(s string) []byte { return enc.EncodeAll([]byte(s), nil) }
	tests := []struct {
		name   string
		body   []byte
		events int
		err    error
		msg    string
	}{
		{"empty", z(""), 0, nil, ""},
		{"blank_lines", z("\n{\"message\":\"a\"}\n\n  \n{\"message\":\"b\"}"), 2, nil, ""},
		{"bad_line", z("{\"message\":\"a\"}\n{\"message\":"), 0, ErrMalformed, "line 2"},
		{"array", z(`[{"message":"a"}]`), 0, ErrMalformed, "line 1"},
		{"wrong_type", z(`{"@timestamp":5}`), 0, ErrMalformed, "line 1"},
		{"not_zstd", []byte("{}"), 0, ErrMalformed, "zstd"},
		{"truncated_zstd", z(strings.Repeat(`{"message":"a"}`+"\n", 100))[:20], 0, ErrMalformed, "zstd"},
		{"too_many_events", z(strings.Repeat("{}\n", MaxBatchEvents+1)), 0, ErrBatchTooLarge, "events"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			evs, err := DecodeBatch(tt.body)
			if !errors.Is(err, tt.err) || (err != nil && !strings.Contains(err.Error(), tt.msg)) || len(evs) != tt.events {
				t.Fatalf("got %d events, err %v; want %d, %v containing %q", len(evs), err, tt.events, tt.err, tt.msg)
			}
		})
	}
}

func FuzzDecodeBatch(f *testing.F) {
	enc, _ := zstd.NewWriter(nil)
	samples := sampleEvents(f)
	f.Add(enc.EncodeAll(bytes.Join(samples, []byte("\n")), nil), false)
	for _, s := range samples[:4] {
		f.Add(s, true)
	}
	f.Add([]byte("{}\n{"), true)
	f.Fuzz(func(t *testing.T, data []byte, compress bool) {
		if compress {
			data = enc.EncodeAll(data, nil)
		}
		evs, err := DecodeBatch(data)
		if err != nil {
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrBatchTooLarge) {
				t.Fatalf("unclassified error %v", err)
			}
			return
		}
		// What decodes re-encodes and decodes to the same events.
		body, err := EncodeBatch(evs)
		if err != nil {
			t.Fatal(err)
		}
		again, err := DecodeBatch(body)
		if err != nil || len(again) != len(evs) {
			t.Fatalf("re-decode: %d events, %v", len(again), err)
		}
	})
}

func TestToken(t *testing.T) {
	fp := strings.Repeat("ab", 32)
	s, rec, err := NewToken(time.Hour, 3, fp, tEv)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := ParseToken(s)
	if err != nil {
		t.Fatal(err)
	}
	if tok.ID != rec.ID || tok.CAPin != fp || !bytes.Equal(SecretHash(tok.Secret), rec.SecretHash) ||
		rec.UsesLeft != 3 || !rec.ExpiresAt.Equal(tEv.Add(time.Hour)) || tok.String() != s {
		t.Fatalf("token %s parsed to %+v, record %+v", s, tok, rec)
	}
	if strings.ContainsAny(s, " /+=") || !strings.HasPrefix(s, "vgl1.") {
		t.Fatalf("token %q is not shell and URL safe", s)
	}
	parts := strings.Split(s, ".")
	bad := []struct{ name, s string }{
		{"empty", ""},
		{"prefix", "vgl2." + strings.Join(parts[1:], ".")},
		{"three_parts", strings.Join(parts[:3], ".")},
		{"short_id", "vgl1.AAAA." + strings.Join(parts[2:], ".")},
		{"bad_secret", parts[0] + "." + parts[1] + ".!!!." + parts[3]},
		{"short_pin", strings.Join(parts[:3], ".") + ".AAAA"},
		{"padding", s + "="},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := ParseToken(tt.s); !errors.Is(err, ErrBadToken) {
				t.Fatalf("ParseToken(%q) = %v", tt.s, err)
			}
		})
	}
	if _, _, err := NewToken(time.Hour, 1, "nothex", tEv); err == nil {
		t.Fatal("NewToken accepted a bad fingerprint")
	}
	if _, _, err := NewToken(0, 1, fp, tEv); err == nil {
		t.Fatal("NewToken accepted a zero ttl")
	}
}

func FuzzParseToken(f *testing.F) {
	s, _, _ := NewToken(time.Hour, 1, strings.Repeat("0f", 32), tEv)
	f.Add(s)
	f.Add("vgl1...")
	f.Fuzz(func(t *testing.T, in string) {
		tok, err := ParseToken(in)
		if err != nil {
			return
		}
		back, err := ParseToken(tok.String())
		if err != nil || back.ID != tok.ID || back.CAPin != tok.CAPin || !bytes.Equal(back.Secret, tok.Secret) {
			t.Fatalf("round trip of %q: %+v %v", in, back, err)
		}
	})
}
