package event

import "testing"

func TestKindOf(t *testing.T) {
	for path, want := range map[string]FieldKind{
		"process.args": FieldStrings, "process.pid": FieldNumber, "@timestamp": FieldTime,
		"message": FieldString, "auditd.data.exe": FieldString, "event.category": FieldStrings,
		"source.port": FieldNumber, "vigil.collector.counters.dropped": FieldNumber, "tags": FieldStrings,
	} {
		if got, ok := KindOf(path); !ok || got != want {
			t.Errorf("KindOf(%q) = %v, %v; want %v", path, got, ok, want)
		}
	}
	if _, ok := KindOf("process.nope"); ok {
		t.Error("unknown field has a kind")
	}
	for _, name := range FieldNames() {
		if _, ok := KindOf(name); !ok {
			t.Errorf("field %s has no kind", name)
		}
	}
}
