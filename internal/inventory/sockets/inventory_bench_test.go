package sockets

import (
	"context"
	"testing"

	"github.com/vigil-sec/vigil/internal/hostfs"
	"github.com/vigil-sec/vigil/internal/inventory/procs"
	"github.com/vigil-sec/vigil/internal/inventory/system"
)

// BenchmarkInventoryLive measures the whole system, process and network
// inventory of the live host, as one scan runs it (target: under 0.5 s).
func BenchmarkInventoryLive(b *testing.B) {
	ctx := context.Background()
	root := hostfs.Live()
	for b.Loop() {
		if _, _, err := system.Collect(ctx, root); err != nil {
			b.Fatal(err)
		}
		if _, _, err := system.Interfaces(ctx, root); err != nil {
			b.Fatal(err)
		}
		if _, _, err := procs.Collect(ctx, root, procs.Options{}); err != nil {
			b.Fatal(err)
		}
		if _, _, err := Collect(ctx, root, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
