package main

import (
	"os"
	"path/filepath"
	"testing"
)

// The report names the host's weaknesses: --output makes it 0600 even when
// the file already existed with a wider mode.
func TestScanOutputTightensExistingMode(t *testing.T) {
	root := filepath.Join("..", "..", "testdata", "rootfs", "debian12")
	out := filepath.Join(t.TempDir(), "r.json")
	if err := os.WriteFile(out, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(out, 0o644); err != nil {
		t.Fatal(err)
	}
	_, errs, code := runT(t, "scan", "--root", root, "--format", "json", "--output", out)
	if code != 0 {
		t.Fatalf("scan: exit %d (%s)", code, errs)
	}
	fi, err := os.Stat(out)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("report mode %v, want 0600", fi.Mode().Perm())
	}
}
