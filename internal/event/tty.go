package event

import (
	"strconv"
	"strings"
)

// TTYFromName derives a terminal's character device numbers from its name as
// utmp ("pts/3", "tty1"), /proc or audit ("pts3") give it, for process.tty.
// It returns nil for "(none)", "?", an empty name or a terminal whose numbers
// are not fixed by the Linux device list.
func TTYFromName(name string) *TTY {
	name = strings.TrimPrefix(name, "/dev/")
	mk := func(major, minor int64) *TTY {
		return &TTY{CharDevice: CharDevice{Major: major, Minor: minor}}
	}
	switch name {
	case "tty":
		return mk(5, 0)
	case "console":
		return mk(5, 1)
	case "ptmx":
		return mk(5, 2)
	}
	if n, ok := ttyIndex(name, "pts/", 1<<20); ok {
		return mk(136, n) // Unix98 pty slaves: major 136, minor = index
	}
	if n, ok := ttyIndex(name, "pts", 1<<20); ok {
		return mk(136, n)
	}
	if n, ok := ttyIndex(name, "ttyS", 192); ok {
		return mk(4, 64+n) // serial ports start at minor 64
	}
	if n, ok := ttyIndex(name, "tty", 64); ok {
		return mk(4, n) // virtual consoles
	}
	return nil
}

// ttyIndex parses the decimal index after prefix, below limit.
func ttyIndex(name, prefix string, limit int64) (int64, bool) {
	rest, ok := strings.CutPrefix(name, prefix)
	if !ok || rest == "" || len(rest) > 7 || (len(rest) > 1 && rest[0] == '0') {
		return 0, false
	}
	n, err := strconv.ParseInt(rest, 10, 64)
	if err != nil || n < 0 || n >= limit || rest[0] == '+' || rest[0] == '-' {
		return 0, false
	}
	return n, true
}
