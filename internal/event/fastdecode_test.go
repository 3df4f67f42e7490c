package event

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"unsafe"
)

// sameAsDecode fails t unless DecodeFast and Decode agree on data, and
// reports whether the fast path took it without falling back.
func sameAsDecode(t *testing.T, data []byte) bool {
	t.Helper()
	want, werr := Decode(data)
	// The input is overwritten after decoding: nothing decoded may share it.
	in := bytes.Clone(data)
	got, gerr := DecodeFast(in)
	for i := range in {
		in[i] = 'X'
	}
	if (werr == nil) != (gerr == nil) {
		t.Fatalf("Decode error %v, DecodeFast error %v for %q", werr, gerr, data)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("DecodeFast differs from Decode for %q:\n got %#v\nwant %#v", data, got, want)
	}
	// A Decoder, the second time with every short value interned.
	var dec Decoder
	for range 2 {
		copy(in, data)
		got, gerr = dec.Decode(in)
		for i := range in {
			in[i] = 'X'
		}
		if (werr == nil) != (gerr == nil) || !reflect.DeepEqual(got, want) {
			t.Fatalf("Decoder differs from Decode for %q:\n got %#v, %v\nwant %#v, %v", data, got, gerr, want, werr)
		}
	}
	var e Event
	d := fastDec{b: data}
	return len(data) <= MaxEventBytes && d.event(&e)
}

func TestDecodeFast(t *testing.T) {
	exec := sampleExec()
	execJSON, err := json.Marshal(&exec)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		in   string
		fast bool // taken by the fast path
	}{
		{"sample exec event", string(execJSON), true},
		{"empty object", `{}`, true},
		{"whitespace around", " \n{ \"message\" : \"x\" }\t\n", true},
		{"all fast fieldsets", `{"@timestamp":"2025-01-02T03:04:05.123456789Z","event":{"id":"a","kind":"event","category":["process"],"type":[],"action":"exec","outcome":"success","dataset":"d","module":"m","severity":-3,"created":"2025-01-02T03:04:05+01:00","ingested":"2025-01-02T03:04:06Z","original":"o","sequence":7},"message":"m","tags":["a","b"],"labels":{"k":"v","k2":""},"host":{"name":"h","id":"i","hostname":"h","ip":["10.0.0.1"],"mac":[],"architecture":"x86_64","os":{"name":"Debian","version":"12","family":"debian","platform":"debian","kernel":"6.1","type":"linux","full":"f"}},"agent":{"id":"a","name":"n","version":"1","type":"vigil"},"process":{"pid":1,"ppid":0,"entity_id":"e","executable":"/bin/x","name":"x","args":["x"],"args_count":1,"command_line":"x","working_directory":"/","title":"t","exit_code":-1,"start":"2025-01-02T03:04:05Z","end":"2025-01-02T03:04:05Z","parent":{"pid":2,"entity_id":"p","executable":"/bin/p","name":"p","args":[],"command_line":"p"},"session_leader":{}},"user":{"id":"0","name":"root","terminal":"pts/0"},"source":{"ip":"1.2.3.4","port":22,"address":"a","domain":"d","bytes":10,"packets":1},"destination":{},"file":{"path":"/p","target_path":"/t","name":"p","directory":"/","extension":"e","type":"file","size":0,"mode":"0644","uid":"0","gid":"0","owner":"root","group":"root","mtime":"2025-01-02T03:04:05Z","ctime":"2025-01-02T03:04:05Z","inode":"1","device":"2"},"auditd":{"sequence":5,"session":"1","result":"success","data":{"syscall":"execve"},"messages":["m"]}}`, true},
		{"unknown field falls back", `{"rule":{"id":"1"}}`, false},
		{"case-folded key falls back", `{"Message":"x"}`, false},
		{"null falls back", `{"host":null}`, false},
		{"simple escapes", `{"message":"a\"b\\c\/\n\t\r\b\f"}`, true},
		{"unicode escape falls back", `{"message":"a\u00e9"}`, false},
		{"bad escape is an error", `{"message":"a\x"}`, false},
		{"non-ASCII falls back", `{"message":"é"}`, false},
		{"invalid UTF-8 falls back", "{\"message\":\"\xff\"}", false},
		{"repeated key falls back", `{"message":"a","message":"b"}`, false},
		{"repeated map key falls back", `{"labels":{"a":"1","a":"2"}}`, false},
		{"float falls back", `{"process":{"pid":1.5}}`, false},
		{"exponent falls back", `{"process":{"pid":1e3}}`, false},
		{"huge integer falls back", `{"process":{"pid":123456789012345678901}}`, false},
		{"leading zero is an error", `{"process":{"pid":01}}`, false},
		{"bad time is an error", `{"@timestamp":"yesterday"}`, false},
		{"wrong type is an error", `{"message":1}`, false},
		{"data after the object is an error", `{} {}`, false},
		{"truncated is an error", `{"message":"x"`, false},
		{"empty input is an error", ``, false},
		{"array is an error", `[]`, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if fast := sameAsDecode(t, []byte(c.in)); fast != c.fast {
				t.Errorf("fast path taken = %v, want %v", fast, c.fast)
			}
		})
	}
}

func FuzzDecodeFast(f *testing.F) {
	addSampleSeeds(f)
	exec := sampleExec()
	b, _ := json.Marshal(&exec)
	f.Add(b)
	f.Add([]byte(`{"process":{"pid":-0,"args":[]},"labels":{},"event":{"category":["a","b"],"severity":-12}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		sameAsDecode(t, data)
	})
}

// TestDecoderInterns checks that events from one Decoder share their short
// values and keep long ones apart.
func TestDecoderInterns(t *testing.T) {
	long := strings.Repeat("x", internMax+1)
	var dec Decoder
	var evs []Event
	for range 2 {
		e, err := dec.Decode([]byte(`{"host":{"name":"web-1"},"message":"` + long + `"}`))
		if err != nil {
			t.Fatal(err)
		}
		evs = append(evs, e)
	}
	if unsafe.StringData(evs[0].Host.Name) != unsafe.StringData(evs[1].Host.Name) {
		t.Error("a short value decoded twice is two copies")
	}
	if unsafe.StringData(evs[0].Message) == unsafe.StringData(evs[1].Message) {
		t.Error("a long value was interned")
	}
	if evs[0].Host.Name != "web-1" || evs[1].Message != long {
		t.Errorf("values changed: %q %q", evs[0].Host.Name, evs[1].Message)
	}
}

// BenchmarkDecodeFast decodes an exec event with DecodeFast, and again
// and again with one Decoder, as the server decodes a batch (repeated
// values interned).
func BenchmarkDecodeFast(b *testing.B) {
	e := sampleExec()
	data, err := json.Marshal(&e)
	if err != nil {
		b.Fatal(err)
	}
	var dec Decoder
	for name, decode := range map[string]func([]byte) (Event, error){"DecodeFast": DecodeFast, "Decoder": dec.Decode} {
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := decode(data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
