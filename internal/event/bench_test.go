package event

import (
	"encoding/json"
	"testing"
)

func BenchmarkMarshal(b *testing.B) {
	e := sampleExec()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := json.Marshal(&e); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkUnmarshal(b *testing.B) {
	e := sampleExec()
	data, err := json.Marshal(&e)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode(data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkValidate(b *testing.B) {
	e := sampleExec()
	b.ReportAllocs()
	for b.Loop() {
		if err := e.Validate(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkGet(b *testing.B) {
	e := sampleExec()
	for _, path := range []string{"process.command_line", "process.pid", "user.audit.name", "auditd.data.syscall", "file.path"} {
		b.Run(path, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				e.Get(path)
			}
		})
	}
}

func BenchmarkFields(b *testing.B) {
	e := sampleExec()
	b.ReportAllocs()
	for b.Loop() {
		e.Fields()
	}
}

func BenchmarkNewID(b *testing.B) {
	t := at(0)
	b.ReportAllocs()
	for b.Loop() {
		NewID(t)
	}
}

func BenchmarkDeterministicID(b *testing.B) {
	t := at(0)
	b.ReportAllocs()
	for b.Loop() {
		DeterministicID(t, "host-1", "88211", "3")
	}
}

func BenchmarkAppendJSON(b *testing.B) {
	e := sampleExec()
	b.ReportAllocs()
	buf := make([]byte, 0, 4096)
	for b.Loop() {
		var err error
		if buf, err = AppendJSON(buf[:0], &e, true); err != nil {
			b.Fatal(err)
		}
	}
}
