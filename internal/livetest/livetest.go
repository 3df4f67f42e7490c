// Package livetest holds helpers for tests that use the real kernel: they
// share machine-wide resources (the audit subsystem has one owner), so such
// tests in different packages, run in parallel by `go test ./...`, take a
// machine-wide lock first.
package livetest

import (
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// LockAudit skips the test unless it runs as root, then takes the machine-wide
// audit test lock until the test ends.
func LockAudit(tb testing.TB) {
	tb.Helper()
	if os.Geteuid() != 0 {
		tb.Skip("needs root (Linux audit netlink)")
	}
	f, err := os.OpenFile(filepath.Join(os.TempDir(), "vigil-audit-live-test.lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		tb.Fatal(err)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX); err != nil {
		f.Close()
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		unix.Flock(int(f.Fd()), unix.LOCK_UN)
		f.Close()
	})
}
