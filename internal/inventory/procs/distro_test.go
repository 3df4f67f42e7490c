package procs

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/vigil-sec/vigil/internal/hostfs"
)

// TestDebianTree reads the shared debian12 fixture, whose pid 2231 disguises
// itself as a kernel worker.
func TestDebianTree(t *testing.T) {
	dir := filepath.Join("..", "..", "..", "testdata", "rootfs", "debian12")
	if _, err := os.Stat(dir); err != nil {
		t.Skip(err)
	}
	root, err := hostfs.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	res, _, err := Collect(context.Background(), root, Options{})
	if err != nil {
		t.Fatal(err)
	}
	byPID := make(map[int]Process)
	for _, p := range res.Processes {
		byPID[p.PID] = p
	}
	fake, ok := byPID[2231]
	if !ok {
		t.Fatalf("pid 2231 missing from %v", res.Processes)
	}
	if fake.KernelThread || !fake.ExeDeleted || fake.Exe != "/tmp/.cache/kworkerd (deleted)" ||
		fake.User != "www-data" || fake.UID != 33 || fake.CommandLine != "[kworker/0:2]" {
		t.Errorf("pid 2231: %+v", fake)
	}
	if w := byPID[804]; w.PPID != 803 || w.User != "www-data" || w.Name != "nginx" {
		t.Errorf("nginx worker: %+v", w)
	}
	if len(res.Processes) < 9 {
		t.Errorf("%d processes", len(res.Processes))
	}
}
