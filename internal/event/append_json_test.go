package event

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
)

// stdJSON is encoding/json's encoding of e: json.Marshal with escapeHTML,
// an Encoder without it (less its newline).
func stdJSON(e *Event, escapeHTML bool) ([]byte, error) {
	if escapeHTML {
		return json.Marshal(e)
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(e); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// checkSame fails unless AppendJSON and encoding/json agree on e: the same
// bytes, or both an error.
func checkSame(t *testing.T, e *Event) {
	t.Helper()
	for _, html := range []bool{true, false} {
		want, werr := stdJSON(e, html)
		prefix := []byte("prefix")
		got, gerr := AppendJSON(prefix, e, html)
		if (werr != nil) != (gerr != nil) {
			t.Fatalf("html=%v: encoding/json error %v, AppendJSON error %v", html, werr, gerr)
		}
		if !bytes.HasPrefix(got, []byte("prefix")) {
			t.Fatalf("html=%v: AppendJSON lost what b held: %q", html, got)
		}
		if werr != nil {
			if string(got) != "prefix" {
				t.Fatalf("html=%v: AppendJSON changed b on error: %q", html, got)
			}
			continue
		}
		if got = got[len("prefix"):]; !bytes.Equal(got, want) {
			t.Fatalf("html=%v: AppendJSON differs from encoding/json\n got %s\nwant %s", html, got, want)
		}
	}
}

// hard are strings that exercise every escape of encoding/json.
var hard = []string{"", "plain", `a"b\c`, "<script>&amp;</script>", "\b\f\n\r\t\x00\x01\x1f\x7f",
	"bad utf8 \xff\xfe end", "line\u2028para\u2029", "ünïcødé 日本語 🙂", "\xe2\x80", strings.Repeat("x", 300)}

func TestAppendJSONMatchesEncodingJSON(t *testing.T) {
	t.Run("zero", func(t *testing.T) { checkSame(t, &Event{}) })
	t.Run("empty_subobjects", func(t *testing.T) {
		var e Event
		fillEmpty(reflect.ValueOf(&e).Elem(), 0)
		checkSame(t, &e)
	})
	t.Run("every_field", func(t *testing.T) {
		var e Event
		fill(reflect.ValueOf(&e).Elem(), 0)
		checkSame(t, &e)
	})
	for name, e := range samples() {
		t.Run("sample_"+name, func(t *testing.T) { checkSame(t, &e) })
	}
	for i, s := range hard {
		e := sampleExec()
		e.Message, e.Process.CommandLine, e.Process.Args = s, s, []string{s, s}
		e.Labels = map[string]string{s: s, "b" + s: "", "a": s}
		e.Vigil = &Vigil{Collector: &Collector{Counters: map[string]int64{s: -1, "z": 1 << 62}}}
		t.Run("string_"+string(rune('a'+i)), func(t *testing.T) { checkSame(t, &e) })
	}
	t.Run("zones_and_fractions", func(t *testing.T) {
		for _, ts := range []time.Time{
			time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
			time.Date(2026, 1, 2, 3, 4, 5, 120000000, time.FixedZone("", 5*3600+30*60)),
			time.Date(1, 1, 1, 0, 0, 0, 1, time.UTC),
		} {
			e := Event{Timestamp: ts}
			checkSame(t, &e)
		}
	})
	t.Run("unrepresentable_times", func(t *testing.T) {
		for _, ts := range []time.Time{
			time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
			time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC),
			time.Date(2026, 1, 1, 0, 0, 0, 0, time.FixedZone("", 24*3600)),
		} {
			e := Event{Timestamp: ts}
			checkSame(t, &e)
			e = Event{Process: &Process{Start: ts}}
			checkSame(t, &e)
		}
	})
}

// FuzzAppendJSON decodes arbitrary JSON into an event and checks that
// AppendJSON encodes it exactly as encoding/json does.
func FuzzAppendJSON(f *testing.F) {
	addSampleSeeds(f)
	f.Add([]byte(`{"message":"<a>\u2028\u0000\ud800","labels":{"z":"1","a":"<"},"vigil":{"collector":{"counters":{"b":-3,"a":0}}}}`))
	f.Add([]byte(`{"@timestamp":"9999-12-31T23:59:59.999999999-23:59","process":{"tty":{},"start":"0001-01-01T00:00:00.000000001Z"}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := Decode(data)
		if err != nil {
			return
		}
		checkSame(t, &e)
	})
}
