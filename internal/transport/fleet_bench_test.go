package transport

import (
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/store/storetest"
)

// BenchmarkDecodeFleetBatch decodes a batch of 8,192 benchmark fleet
// events as the server decodes a coalesced request.
func BenchmarkDecodeFleetBatch(b *testing.B) {
	evs := storetest.FleetEvents(8192, time.Date(2026, 11, 7, 0, 0, 0, 0, time.UTC), 1, 1)
	body, err := EncodeBatch(evs)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if got, err := DecodeBatch(body); err != nil || len(got) != len(evs) {
			b.Fatalf("%d events, %v", len(got), err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(evs)), "ns/event")
}
