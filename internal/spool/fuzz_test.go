package spool

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite testdata/segment.seg")

// seedSegment is the content of testdata/segment.seg: three records, the
// last one a loss record.
func seedSegment() []byte {
	var b []byte
	b = appendFrame(b, &Record{Seq: 7, Appended: t0, From: t0, To: t0, Events: 1, Data: []byte(`{"message":"a"}` + "\n")})
	b = appendFrame(b, &Record{Seq: 8, Appended: t0, From: t0, To: t0.Add(time.Second), Events: 2, Data: []byte("{}\n{}\n")})
	b = appendFrame(b, &Record{Seq: 9, Appended: t0, From: t0, To: t0, Events: 1, Lost: 42, Data: []byte("{}\n")})
	return b
}

func TestSeedSegmentFile(t *testing.T) {
	path := filepath.Join("testdata", "segment.seg")
	if *update {
		if err := os.WriteFile(path, seedSegment(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(data, seedSegment()) {
		t.Fatal("testdata/segment.seg differs from the current format (run with -update)")
	}
}

func TestReadSegment(t *testing.T) {
	seg := seedSegment()
	tests := []struct {
		name    string
		data    []byte
		records int
		valid   int64
		corrupt bool
	}{
		{"empty", nil, 0, 0, false},
		{"whole", seg, 3, int64(len(seg)), false},
		{"torn_header", seg[:len(seg)-len(seg)+3], 0, 0, true},
		{"torn_last", seg[:len(seg)-2], 2, int64(len(seg) - (frameHeader + recordMeta + 3)), true},
		{"flipped_bit", func() []byte { b := bytes.Clone(seg); b[frameHeader+2] ^= 1; return b }(), 0, 0, true},
		{"huge_length", []byte{0xff, 0xff, 0xff, 0x7f, 0, 0, 0, 0}, 0, 0, true},
		{"short_length", []byte{1, 0, 0, 0, 0, 0, 0, 0, 0}, 0, 0, true},
		{"sequence_backwards", append(bytes.Clone(seg), seg...), 3, int64(len(seg)), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := 0
			valid, err := ReadSegment(bytes.NewReader(tt.data), func(Record) error { n++; return nil })
			if n != tt.records || valid != tt.valid || errors.Is(err, ErrCorrupt) != tt.corrupt {
				t.Fatalf("records %d valid %d err %v; want %d %d corrupt=%v", n, valid, err, tt.records, tt.valid, tt.corrupt)
			}
		})
	}
}

func FuzzReadSegment(f *testing.F) {
	seed, err := os.ReadFile(filepath.Join("testdata", "segment.seg"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	f.Add(seed[:len(seed)/2])
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		var again []byte
		valid, err := ReadSegment(bytes.NewReader(data), func(r Record) error {
			if r.Events < 0 || len(r.Data) > MaxRecordBytes {
				t.Fatalf("bad record %+v", r)
			}
			again = appendFrame(again, &r)
			return nil
		})
		if valid < 0 || valid > int64(len(data)) {
			t.Fatalf("valid offset %d of %d", valid, len(data))
		}
		if err == nil && valid != int64(len(data)) {
			t.Fatalf("no error but only %d of %d bytes valid", valid, len(data))
		}
		if err != nil && !errors.Is(err, ErrCorrupt) {
			t.Fatalf("unexpected error %v", err)
		}
		// Re-framing the valid records gives back exactly the valid prefix.
		if !bytes.Equal(again, data[:valid]) {
			t.Fatalf("re-framed records differ from the valid prefix")
		}
	})
}
