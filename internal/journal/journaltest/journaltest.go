// Package journaltest writes real journal files for tests: entries are
// encoded in the journal export format and written by Debian's
// systemd-journal-remote (package systemd-journal-remote), which appends to
// an existing file, so a test can grow a journal while it is followed.
package journaltest

import (
	"bytes"
	"encoding/binary"
	"os/exec"
	"strconv"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/vigil-sec/vigil/internal/journal"
)

// remotePaths are where Debian and RHEL install systemd-journal-remote (it
// is not on PATH).
var remotePaths = []string{"/lib/systemd/systemd-journal-remote", "/usr/lib/systemd/systemd-journal-remote"}

// Need skips the test unless journalctl and systemd-journal-remote are
// installed, and returns journalctl's path.
func Need(tb testing.TB) string {
	tb.Helper()
	prog, err := journal.Find()
	if err != nil {
		tb.Skip("journalctl not installed (package systemd)")
	}
	if remote() == "" {
		tb.Skip("systemd-journal-remote not installed (package systemd-journal-remote)")
	}
	return prog
}

func remote() string {
	for _, p := range remotePaths {
		if _, err := exec.LookPath(p); err == nil {
			return p
		}
	}
	return ""
}

// Boot is the _BOOT_ID of entries that name none.
const Boot = "0123456789abcdef0123456789abcdef"

// Entry is one journal entry to write.
type Entry struct {
	Time time.Time
	// Boot is the entry's _BOOT_ID (default Boot).
	Boot string
	// Fields are written in order; a name may repeat (a field with several
	// values).
	Fields []Field
}

// Field is one NAME=value pair of an entry.
type Field struct{ Name, Value string }

// Syslog returns an entry as journald stores a syslog(3) message of
// program[pid] with the given facility (4 auth, 10 authpriv, 9 cron, ...).
func Syslog(t time.Time, host, program string, pid, facility int, msg string) Entry {
	return Entry{Time: t, Fields: []Field{
		{"_HOSTNAME", host}, {"_TRANSPORT", "syslog"}, {"PRIORITY", "6"},
		{"SYSLOG_FACILITY", strconv.Itoa(facility)}, {"SYSLOG_IDENTIFIER", program},
		{"SYSLOG_PID", strconv.Itoa(pid)}, {"_PID", strconv.Itoa(pid)}, {"_COMM", program},
		{"MESSAGE", msg},
	}}
}

// Export encodes entries in the journal export format: NAME=value lines, a
// blank line after each entry, and the binary form (name, newline, 64-bit
// little-endian size, bytes, newline) for values with control characters
// or bytes that are not UTF-8.
func Export(entries ...Entry) []byte {
	var b bytes.Buffer
	for _, e := range entries {
		usec := e.Time.UnixMicro()
		boot := e.Boot
		if boot == "" {
			boot = Boot
		}
		b.WriteString("__REALTIME_TIMESTAMP=" + strconv.FormatInt(usec, 10) + "\n")
		// A monotonic clock that follows the real one keeps the entries of
		// one boot in order.
		b.WriteString("__MONOTONIC_TIMESTAMP=" + strconv.FormatInt(usec, 10) + "\n")
		b.WriteString("_BOOT_ID=" + boot + "\n")
		for _, f := range e.Fields {
			if plain(f.Value) {
				b.WriteString(f.Name + "=" + f.Value + "\n")
				continue
			}
			b.WriteString(f.Name + "\n")
			b.Write(binary.LittleEndian.AppendUint64(nil, uint64(len(f.Value))))
			b.WriteString(f.Value + "\n")
		}
		b.WriteByte('\n')
	}
	return b.Bytes()
}

func plain(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return false
		}
	}
	return true
}

// Write appends entries to the journal file path (created when missing; the
// name must end in .journal).
func Write(tb testing.TB, path string, entries ...Entry) {
	tb.Helper()
	prog := remote()
	if prog == "" {
		tb.Skip("systemd-journal-remote not installed (package systemd-journal-remote)")
	}
	cmd := exec.Command(prog, "--output="+path, "-")
	cmd.Stdin = bytes.NewReader(Export(entries...))
	if out, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("systemd-journal-remote: %v: %s", err, out)
	}
}
