package rules

import (
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/rules/eventmix"
)

func benchEvents() []*event.Event { return eventmix.Events(2000) }

func benchSet(b *testing.B) *Set {
	dir := sharedRules(b)
	return mustCompile(b, Options{}, filepath.Join(dir, "rules", "linux"), "pack/rules")
}

// BenchmarkEngine is the cost of evaluating one event of the mix against
// all SigmaHQ Linux rules and the pack (detections and correlations).
func BenchmarkEngine(b *testing.B) {
	s := benchSet(b)
	evs := benchEvents()
	v := s.NewEvaluator()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		v.Process(evs[i%len(evs)])
	}
}

// BenchmarkDecode is the cost of decoding the same events from JSON, the
// step that precedes evaluation at ingest.
func BenchmarkDecode(b *testing.B) {
	evs := benchEvents()
	lines := make([][]byte, len(evs))
	for i, e := range evs {
		var err error
		if lines[i], err = json.Marshal(e); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if _, err := event.Decode(lines[i%len(lines)]); err != nil {
			b.Fatal(err)
		}
	}
}
