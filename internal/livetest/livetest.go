// Package livetest holds helpers for tests that use the real machine: they
// share machine-wide resources (the audit subsystem has one owner, /dev/log
// one syslog daemon), so such tests in different packages, run in parallel
// by `go test ./...`, take a machine-wide lock first. It also starts the
// daemons such tests talk to (rsyslogd, sshd) and creates test users, each
// undone when the test ends.
package livetest

import (
	"os"
	"testing"
)

// LockAudit skips the test unless it runs as root, then takes the machine-wide
// audit test lock until the test ends.
func LockAudit(tb testing.TB) {
	tb.Helper()
	if os.Geteuid() != 0 {
		tb.Skip("needs root (Linux audit netlink)")
	}
	lock(tb, "audit")
}
