package procs

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Stat is what the inventory takes from /proc/<pid>/stat.
type Stat struct {
	PID       int
	Comm      string // without the parentheses; may hold spaces and ')'
	State     string // one letter: R, S, D, Z, T, t, X, I, ...
	PPID      int
	TTY       uint64 // tty_nr: the controlling terminal's device number
	Flags     uint64 // PF_* flags
	Threads   int
	StartTime uint64 // clock ticks after boot
}

// pfKThread is the PF_KTHREAD flag of a kernel thread.
const pfKThread = 0x00200000

// ParseStat parses /proc/<pid>/stat. The command name is between the first "("
// and the LAST ")", since it may itself contain spaces and parentheses.
func ParseStat(data []byte) (Stat, error) {
	var s Stat
	open := bytes.IndexByte(data, '(')
	closing := bytes.LastIndexByte(data, ')')
	if open < 0 || closing < open {
		return s, errors.New("stat: no (comm)")
	}
	pid, err := strconv.Atoi(string(bytes.TrimSpace(data[:open])))
	if err != nil || pid < 0 {
		return s, fmt.Errorf("stat: bad pid %q", data[:open])
	}
	s.PID, s.Comm = pid, string(data[open+1:closing])
	// Fields from 3 (state) on; f[0] is field 3.
	f := strings.Fields(string(data[closing+1:]))
	if len(f) < 20 {
		return s, fmt.Errorf("stat: %d fields after comm, want at least 20", len(f))
	}
	s.State = f[0]
	nums := []struct {
		field int // number in proc(5)
		dst   *uint64
	}{{7, &s.TTY}, {9, &s.Flags}, {22, &s.StartTime}}
	for _, n := range nums {
		v, err := strconv.ParseUint(f[n.field-3], 10, 64)
		if err != nil {
			return s, fmt.Errorf("stat: field %d: %w", n.field, err)
		}
		*n.dst = v
	}
	if s.PPID, err = strconv.Atoi(f[1]); err != nil || s.PPID < 0 {
		return s, fmt.Errorf("stat: bad ppid %q", f[1])
	}
	if s.Threads, err = strconv.Atoi(f[17]); err != nil || s.Threads < 0 {
		return s, fmt.Errorf("stat: bad num_threads %q", f[17])
	}
	return s, nil
}

// Status is what the inventory takes from /proc/<pid>/status.
type Status struct {
	UID, EUID uint32
	GID, EGID uint32
}

// ParseStatus reads the Uid and Gid lines (real, effective, saved, filesystem)
// of /proc/<pid>/status. Both are required.
func ParseStatus(data []byte) (Status, error) {
	var st Status
	var haveUID, haveGID bool
	for line := range strings.SplitSeq(string(data), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok || (k != "Uid" && k != "Gid") {
			continue
		}
		f := strings.Fields(v)
		if len(f) < 2 {
			return st, fmt.Errorf("status: short %s line", k)
		}
		real, err1 := strconv.ParseUint(f[0], 10, 32)
		eff, err2 := strconv.ParseUint(f[1], 10, 32)
		if err1 != nil || err2 != nil {
			return st, fmt.Errorf("status: bad %s line %q", k, line)
		}
		if k == "Uid" {
			st.UID, st.EUID, haveUID = uint32(real), uint32(eff), true
		} else {
			st.GID, st.EGID, haveGID = uint32(real), uint32(eff), true
		}
	}
	if !haveUID || !haveGID {
		return st, errors.New("status: no Uid or Gid line")
	}
	return st, nil
}

// ParseCmdline splits /proc/<pid>/cmdline into arguments. Arguments are
// NUL-terminated; a process that rewrote its command line may leave one string
// with spaces, which is kept as a single argument.
func ParseCmdline(data []byte) []string {
	data = bytes.TrimRight(data, "\x00")
	if len(data) == 0 {
		return nil
	}
	parts := bytes.Split(data, []byte{0})
	args := make([]string, len(parts))
	for i, p := range parts {
		args[i] = string(p)
	}
	return args
}

// TTYName names a controlling terminal from its stat tty_nr: "pts/3", "tty1",
// "ttyS0", or "major:minor" for other devices; "" for none.
func TTYName(nr uint64) string {
	if nr == 0 {
		return ""
	}
	major := (nr >> 8) & 0xfff
	minor := (nr & 0xff) | ((nr >> 12) & 0xfff00)
	switch {
	case major >= 136 && major <= 143:
		return "pts/" + strconv.FormatUint((major-136)*256+minor, 10)
	case major == 4 && minor < 64:
		return "tty" + strconv.FormatUint(minor, 10)
	case major == 4:
		return "ttyS" + strconv.FormatUint(minor-64, 10)
	}
	return strconv.FormatUint(major, 10) + ":" + strconv.FormatUint(minor, 10)
}
