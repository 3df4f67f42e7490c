// Package sockets lists a host's sockets from /proc/net/{tcp,tcp6,udp,udp6} and
// finds the process that owns each listening one by matching socket inodes with
// the /proc/<pid>/fd/* links ("socket:[inode]"). It reads through a hostfs.Root,
// so it runs on fixture trees as on the live host.
//
// The tables are those of the network namespace of the reading process. A socket
// whose owner cannot be read (no privilege, or a process protected by the
// kernel) is listed without a PID.
package sockets

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"github.com/vigil-sec/vigil/internal/hostfs"
	"github.com/vigil-sec/vigil/internal/skipped"
)

// Listener is a socket open to connections or datagrams, and its owner.
type Listener struct {
	Proto   Proto  `json:"proto"`
	Address string `json:"address"` // "0.0.0.0", "::", "::ffff:127.0.0.1", ...
	Port    uint16 `json:"port"`
	Inode   uint64 `json:"inode"`
	UID     uint32 `json:"uid"`
	PID     int    `json:"pid,omitempty"`  // lowest PID holding the socket
	PIDs    []int  `json:"pids,omitempty"` // every PID holding it, when more than one
	Process string `json:"process,omitempty"`
	Exe     string `json:"exe,omitempty"`
}

// Result is the listening sockets and what could not be read.
type Result struct {
	Listeners []Listener `json:"listeners"`
	// Denied counts processes whose descriptors could not be read.
	Denied int `json:"denied,omitempty"`
}

// Options tune Collect.
type Options struct {
	// MaxFDs bounds the descriptors examined per process (default 1<<16).
	MaxFDs int
}

// tableLimit bounds one /proc/net table (a busy server has many thousands).
const tableLimit = 256 << 20

// Collect lists the listening TCP and UDP sockets, IPv4 then IPv6, each with its
// owning process when it can be found. A missing table (no IPv6) is not an
// error; the error is non-nil when ctx is done.
func Collect(ctx context.Context, root hostfs.Root, opts Options) (Result, skipped.List, error) {
	if opts.MaxFDs <= 0 {
		opts.MaxFDs = 1 << 16
	}
	var (
		res  Result
		skip skipped.List
	)
	for _, proto := range []Proto{TCP, UDP, TCP6, UDP6} {
		socks, s, err := ReadTable(root, proto)
		skip = append(skip, s...)
		if err != nil {
			if !errors.Is(err, fs.ErrNotExist) {
				skip.Add("/proc/net/"+string(proto), 0, "%v", err)
			}
			continue
		}
		for _, so := range socks {
			if so.Listening() {
				res.Listeners = append(res.Listeners, Listener{
					Proto: so.Proto, Address: so.LocalAddr.String(), Port: so.LocalPort,
					Inode: so.Inode, UID: so.UID,
				})
			}
		}
	}
	if err := ctx.Err(); err != nil {
		return res, skip, err
	}
	want := make(map[uint64][]int)
	for _, l := range res.Listeners {
		if l.Inode != 0 {
			want[l.Inode] = nil
		}
	}
	o := owners{root: root, maxFDs: opts.MaxFDs}
	if err := o.find(ctx, want); err != nil {
		return res, skip, err
	}
	res.Denied = o.denied
	o.fill(res.Listeners, want)
	return res, append(skip, o.skip...), nil
}

// ReadTable reads and parses one socket table of the root.
func ReadTable(root hostfs.Root, proto Proto) ([]Socket, skipped.List, error) {
	b, err := root.ReadFile("/proc/net/"+string(proto), tableLimit)
	if err != nil {
		return nil, nil, err
	}
	return ParseNetTCP(bytes.NewReader(b), proto)
}

// owners maps socket inodes to processes.
type owners struct {
	root   hostfs.Root
	maxFDs int
	skip   skipped.List
	denied int
}

// find walks /proc/<pid>/fd and appends to want[inode] every PID holding one of
// its sockets.
func (o *owners) find(ctx context.Context, want map[uint64][]int) error {
	if len(want) == 0 {
		return nil
	}
	ents, err := o.root.ReadDir("/proc")
	if err != nil {
		o.skip.Add("/proc", 0, "list processes: %v", err)
		return nil
	}
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid <= 0 {
			continue
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		o.scan(pid, want)
	}
	return nil
}

func (o *owners) scan(pid int, want map[uint64][]int) {
	dir := "/proc/" + strconv.Itoa(pid) + "/fd"
	fds, err := o.root.ReadDir(dir)
	if err != nil {
		o.note(dir, err)
		return
	}
	if len(fds) > o.maxFDs {
		o.skip.Add(dir, 0, "%d descriptors; only the first %d examined", len(fds), o.maxFDs)
		fds = fds[:o.maxFDs]
	}
	denied := false
	for _, fd := range fds {
		t, err := o.root.Readlink(dir + "/" + fd.Name())
		if err != nil {
			// Closed meanwhile, or denied: count the process once.
			denied = denied || errors.Is(err, fs.ErrPermission)
			continue
		}
		ino, ok := socketInode(t)
		if !ok {
			continue
		}
		if pids, ok := want[ino]; ok && !slices.Contains(pids, pid) {
			want[ino] = append(pids, pid)
		}
	}
	if denied {
		o.denied++
	}
}

// socketInode parses a descriptor link "socket:[12345]".
func socketInode(link string) (uint64, bool) {
	s, ok := strings.CutPrefix(link, "socket:[")
	if !ok {
		return 0, false
	}
	s, ok = strings.CutSuffix(s, "]")
	if !ok {
		return 0, false
	}
	v, err := strconv.ParseUint(s, 10, 64)
	return v, err == nil
}

// fill sets PID, process name and executable of each listener.
func (o *owners) fill(ls []Listener, owners map[uint64][]int) {
	for i := range ls {
		pids := owners[ls[i].Inode]
		if len(pids) == 0 {
			continue
		}
		slices.Sort(pids)
		ls[i].PID = pids[0]
		if len(pids) > 1 {
			ls[i].PIDs = pids
		}
		dir := "/proc/" + strconv.Itoa(pids[0]) + "/"
		if b, err := o.root.ReadFile(dir+"comm", 256); err == nil {
			ls[i].Process = strings.TrimSuffix(string(b), "\n")
		} else {
			o.note(dir+"comm", err)
		}
		if t, err := o.root.Readlink(dir + "exe"); err == nil {
			ls[i].Exe = t
		} else {
			o.note(dir+"exe", err)
		}
	}
}

func (o *owners) note(name string, err error) {
	switch {
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, syscall.ESRCH):
	case errors.Is(err, fs.ErrPermission):
		o.denied++
	default:
		o.skip.Add(name, 0, "%v", fmt.Errorf("read: %w", err))
	}
}
