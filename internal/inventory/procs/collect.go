// Package procs lists a host's processes from /proc/<pid>/: identity, owner,
// executable, command line, working directory, start time, terminal and
// threads, read through a hostfs.Root so that it runs on fixture trees too.
//
// Processes that exit during the walk are skipped silently; files the caller may
// not read (other users' exe and cwd links without privilege, or processes
// protected by the kernel) leave their fields empty and are counted in
// Result.Denied.
package procs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/vigil-sec/vigil/internal/hostfs"
	"github.com/vigil-sec/vigil/internal/inventory/accounts"
	"github.com/vigil-sec/vigil/internal/inventory/system"
	"github.com/vigil-sec/vigil/internal/skipped"
)

// Process is one running process.
type Process struct {
	PID          int      `json:"pid"`
	PPID         int      `json:"ppid"`
	Name         string   `json:"name"`  // comm, at most 15 bytes
	State        string   `json:"state"` // stat state letter
	User         string   `json:"user,omitempty"`
	UID          uint32   `json:"uid"`
	EUID         uint32   `json:"euid"`
	GID          uint32   `json:"gid"`
	Exe          string   `json:"exe,omitempty"` // as the kernel gives it, " (deleted)" kept
	ExeDeleted   bool     `json:"exe_deleted,omitempty"`
	Args         []string `json:"args,omitempty"`
	CommandLine  string   `json:"command_line,omitempty"`
	CWD          string   `json:"cwd,omitempty"`
	StartTime    string   `json:"start_time,omitempty"` // RFC 3339, UTC
	TTY          string   `json:"tty,omitempty"`
	Threads      int      `json:"threads"`
	KernelThread bool     `json:"kernel_thread,omitempty"`
}

// Result is the process table and what could not be read.
type Result struct {
	Processes []Process `json:"processes"`
	// Denied counts per-process files (exe, cwd, cmdline, status) that could not
	// be read for lack of permission.
	Denied int `json:"denied,omitempty"`
}

// Options tune Collect. The zero value reads everything from the root.
type Options struct {
	// Users maps UIDs to names; nil reads /etc/passwd from the root.
	Users map[uint32]string
	// BootTime is the host's boot time; zero reads btime from /proc/stat.
	BootTime time.Time
	// MaxProcesses bounds the walk (default 1<<20).
	MaxProcesses int
	// MaxCmdline bounds the bytes of one command line kept (default 128 KiB).
	MaxCmdline int64
}

// clockTicks is USER_HZ, the unit of stat's starttime: 100 on every Linux
// architecture's user ABI.
const clockTicks = 100

const deletedSuffix = " (deleted)"

// Collect reads every process under /proc, in PID order. Lines recorded as
// skipped are unparseable stat or status files. The error is non-nil when /proc
// cannot be listed or ctx is done.
func Collect(ctx context.Context, root hostfs.Root, opts Options) (Result, skipped.List, error) {
	w := walker{root: root, opts: opts}
	w.defaults()
	ents, err := root.ReadDir("/proc")
	if err != nil {
		return Result{}, nil, fmt.Errorf("list processes: %w", err)
	}
	pids := make([]int, 0, len(ents))
	for _, e := range ents {
		if pid, err := strconv.Atoi(e.Name()); err == nil && pid > 0 {
			pids = append(pids, pid)
		}
	}
	slices.Sort(pids)
	var res Result
	for _, pid := range pids {
		if err := ctx.Err(); err != nil {
			return res, w.skip, err
		}
		if len(res.Processes) >= w.opts.MaxProcesses {
			w.skip.Add("/proc", 0, "more than %d processes; rest not listed", w.opts.MaxProcesses)
			break
		}
		if p, ok := w.process(pid); ok {
			res.Processes = append(res.Processes, p)
		}
	}
	res.Denied = w.denied
	return res, w.skip, nil
}

type walker struct {
	root   hostfs.Root
	opts   Options
	skip   skipped.List
	denied int
}

func (w *walker) defaults() {
	if w.opts.MaxProcesses <= 0 {
		w.opts.MaxProcesses = 1 << 20
	}
	if w.opts.MaxCmdline <= 0 {
		w.opts.MaxCmdline = 128 << 10
	}
	if w.opts.Users == nil {
		if b, err := w.root.ReadFile("/etc/passwd", 16<<20); err == nil {
			users, _ := accounts.ParsePasswd("/etc/passwd", b, &w.skip)
			w.opts.Users = make(map[uint32]string, len(users))
			for _, u := range users {
				if _, dup := w.opts.Users[u.UID]; !dup {
					w.opts.Users[u.UID] = u.Name
				}
			}
		}
	}
	if w.opts.BootTime.IsZero() {
		if b, err := w.root.ReadFile("/proc/stat", 1<<20); err == nil {
			if t, err := system.ParseBootTime(b); err == nil {
				w.opts.BootTime = t
			} else {
				w.skip.Add("/proc/stat", 0, "%v", err)
			}
		}
	}
}

// process reads one process; false when it vanished or its stat or status is
// unusable.
func (w *walker) process(pid int) (Process, bool) {
	dir := "/proc/" + strconv.Itoa(pid) + "/"
	b, ok := w.read(dir+"stat", 4096)
	if !ok {
		return Process{}, false
	}
	st, err := ParseStat(b)
	if err != nil {
		w.skip.Add(dir+"stat", 0, "%v", err)
		return Process{}, false
	}
	b, ok = w.read(dir+"status", 64<<10)
	if !ok {
		return Process{}, false
	}
	ids, err := ParseStatus(b)
	if err != nil {
		w.skip.Add(dir+"status", 0, "%v", err)
		return Process{}, false
	}
	p := Process{
		PID: pid, PPID: st.PPID, Name: st.Comm, State: st.State,
		UID: ids.UID, EUID: ids.EUID, GID: ids.GID,
		User:    w.opts.Users[ids.UID],
		TTY:     TTYName(st.TTY),
		Threads: st.Threads,
	}
	if !w.opts.BootTime.IsZero() {
		start := w.opts.BootTime.Add(time.Duration(st.StartTime) * (time.Second / clockTicks))
		p.StartTime = start.UTC().Format(time.RFC3339)
	}
	if b, ok := w.read(dir+"cmdline", w.opts.MaxCmdline); ok {
		p.Args = ParseCmdline(b)
		p.CommandLine = strings.Join(p.Args, " ")
	}
	p.Exe = w.link(dir + "exe")
	p.ExeDeleted = strings.HasSuffix(p.Exe, deletedSuffix)
	p.CWD = w.link(dir + "cwd")
	p.KernelThread = st.Flags&pfKThread != 0 ||
		(p.Exe == "" && len(p.Args) == 0 && (pid == 2 || st.PPID == 2))
	return p, true
}

// read returns at most limit bytes of a /proc file (truncating, not refusing:
// a long command line is still worth its start). Missing files and vanished
// processes are silent, permission errors counted, anything else recorded.
func (w *walker) read(name string, limit int64) ([]byte, bool) {
	f, err := w.root.Open(name)
	if err != nil {
		w.note(name, err)
		return nil, false
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, limit))
	if err != nil {
		w.note(name, err)
		return nil, false
	}
	return b, true
}

func (w *walker) link(name string) string {
	t, err := w.root.Readlink(name)
	if err != nil {
		w.note(name, err)
		return ""
	}
	return t
}

func (w *walker) note(name string, err error) {
	switch {
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, syscall.ESRCH):
	case errors.Is(err, fs.ErrPermission):
		w.denied++
	default:
		w.skip.Add(name, 0, "%v", err)
	}
}
