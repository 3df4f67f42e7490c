package network

import (
	"context"
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/collector"
	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/hostfs"
)

// BenchmarkPollLive measures one poll of the live host: the socket tables,
// and with "owners" the /proc/*/fd walk that a new socket triggers.
func BenchmarkPollLive(b *testing.B) {
	root := hostfs.Live()
	for _, owners := range []bool{false, true} {
		name := "tables"
		if owners {
			name = "tables+owners"
		}
		b.Run(name, func(b *testing.B) {
			c, err := New(*DefaultConfig(), collector.Deps{Root: root, Now: time.Now})
			if err != nil {
				b.Fatal(err)
			}
			h := collector.NewHealth()
			c.pollSockets(context.Background(), func(e2 event.Event) bool { return true }, h)
			b.ResetTimer()
			for b.Loop() {
				if owners {
					c.conns = map[string]bool{} // every connection is new again
				}
				c.pollSockets(context.Background(), func(e2 event.Event) bool { return true }, h)
			}
		})
	}
}
