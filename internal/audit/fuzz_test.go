package audit

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/shareddata"
)

// seedLines adds the lines of testdata and of a few shared logs.
func seedLines(f *testing.F) [][]byte {
	files, _ := filepath.Glob("testdata/*.log")
	if dir := shareddata.Find(); dir != "" {
		more, _ := filepath.Glob(filepath.Join(dir, "audit_logs", "laurel", "src", "testdata", "record-*.txt"))
		files = append(files, more...)
		more, _ = filepath.Glob(filepath.Join(dir, "audit_logs", "go-libaudit", "auparse", "testdata", "*.log"))
		files = append(files, more...)
	}
	var lines [][]byte
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(bytes.NewReader(b))
		sc.Buffer(nil, MaxRecordBytes)
		for sc.Scan() {
			lines = append(lines, bytes.Clone(sc.Bytes()))
		}
	}
	return lines
}

func FuzzParseRecord(f *testing.F) {
	for _, l := range seedLines(f) {
		f.Add(l)
	}
	m := &Mapper{}
	f.Fuzz(func(t *testing.T, line []byte) {
		r, err := ParseLine(line)
		if err != nil {
			return
		}
		if len(r.Fields) > maxFields {
			t.Fatalf("%d fields", len(r.Fields))
		}
		if _, err := ParseMessage(r.Type, line); err == nil && !bytes.Contains(line, []byte("audit(")) {
			t.Fatal("message without stamp parsed")
		}
		ev, ok := m.Map(&Event{Serial: r.Serial, Time: r.Time, Records: []*Record{r}})
		if ok && !r.Time.IsZero() {
			if err := ev.Validate(); err != nil {
				t.Fatalf("mapped event does not validate: %v", err)
			}
		}
	})
}

// FuzzReassemble pushes a fuzzed log through the reassembler with tight
// bounds: it must not panic, must keep its bounds and must emit every
// record it kept exactly once.
func FuzzReassemble(f *testing.F) {
	lines := seedLines(f)
	for i := 0; i+8 <= len(lines); i += 8 {
		f.Add(bytes.Join(lines[i:i+8], []byte("\n")))
	}
	m := &Mapper{}
	f.Fuzz(func(t *testing.T, data []byte) {
		kept := 0
		emitted := 0
		ra := NewReassembler(Config{Timeout: 5 * time.Millisecond, MaxInFlight: 4, MaxEventRecords: 8},
			func(e *Event) {
				emitted += len(e.Records)
				if len(e.Records) > 8 {
					t.Fatalf("event with %d records", len(e.Records))
				}
				if ev, ok := m.Map(e); ok && !e.Time.IsZero() {
					if err := ev.Validate(); err != nil {
						t.Fatalf("mapped event does not validate: %v", err)
					}
				}
			}, nil)
		now := time.Unix(1000, 0)
		_ = ReadLog(bytes.NewReader(data), "fuzz", nil, func(r *Record) {
			now = now.Add(time.Millisecond)
			before := ra.Stats().Dropped
			ra.Push(r, now)
			if r.Type != TypeEOE && ra.Stats().Dropped == before {
				kept++
			}
			if ra.InFlight() > 4 {
				t.Fatalf("%d in flight", ra.InFlight())
			}
			ra.Tick(now)
		})
		ra.Flush()
		if emitted != kept {
			t.Fatalf("emitted %d records, kept %d", emitted, kept)
		}
	})
}
