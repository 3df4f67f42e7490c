package event

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// FuzzUnmarshalValidate decodes arbitrary JSON, validates it, reads every
// field, and checks that re-marshalling is stable: the event decoded from the
// first marshal marshals to the same bytes.
func FuzzUnmarshalValidate(f *testing.F) {
	addSampleSeeds(f)
	f.Add([]byte(`{"process":{"pid":0,"tty":{}},"vigil":{"loss":{}},"labels":{"":""}}`))
	f.Add([]byte(`{"@timestamp":"2025-01-01T00:00:00+01:00","event":{"category":[],"type":null}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := Decode(data)
		if err != nil {
			return
		}
		_ = e.Validate()
		for _, name := range FieldNames() {
			e.Get(name)
		}
		fields := e.Fields()
		b1, err := json.Marshal(&e)
		if err != nil {
			t.Fatalf("marshal decoded event: %v", err)
		}
		e2, err := Decode(b1)
		if err != nil {
			t.Fatalf("decode own output %s: %v", b1, err)
		}
		b2, err := json.Marshal(&e2)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(b1, b2) {
			t.Fatalf("unstable round trip:\n%s\n%s", b1, b2)
		}
		if got := len(e2.Fields()); got != len(fields) {
			t.Fatalf("round trip changed the field count %d -> %d", len(fields), got)
		}
		if (e.Validate() == nil) != (e2.Validate() == nil) {
			t.Fatalf("round trip changed validity: %v / %v", e.Validate(), e2.Validate())
		}
	})
}

// addSampleSeeds adds the sample events in testdata as seeds of f.
func addSampleSeeds(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no seeds in testdata: %v", err)
	}
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
}
