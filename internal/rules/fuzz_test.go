package rules

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/rules/eventmix"
)

// FuzzProcess decodes arbitrary events and runs the pack over them: no
// panic, and the index finds exactly the rules a full scan finds.
func FuzzProcess(f *testing.F) {
	for _, e := range eventmix.Events(40) {
		b, err := json.Marshal(e)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	s := packSet(f)
	v := s.NewEvaluator()
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := event.Decode(data)
		if err != nil {
			return
		}
		_ = v.Process(&e)
		got := slices.Clone(v.matches(&e))
		routes := s.routes.eventRoutes(&e)
		v.cache.reset(&e)
		var want []int32
		for i, r := range s.rules {
			if r.route&routes != 0 && r.m.Match(v.cache) {
				want = append(want, int32(i))
			}
		}
		if !slices.Equal(got, want) {
			t.Fatalf("index %v, full scan %v", got, want)
		}
	})
}
