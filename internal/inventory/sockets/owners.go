package sockets

import (
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

// Owner is the process holding a socket.
type Owner struct {
	PID  int    // lowest PID holding the socket
	PIDs []int  // every PID holding it, ascending, when more than one
	Name string // comm of PID
	Exe  string // executable of PID
}

// Owners is what FindOwners found.
type Owners struct {
	// ByInode maps each socket inode that was found to its owner.
	ByInode map[uint64]Owner
	// Denied counts processes whose descriptors, name or executable could
	// not be read for lack of privilege.
	Denied int
}

// FindOwners maps each socket inode of want to the processes holding it, by
// matching the /proc/<pid>/fd/* links ("socket:[inode]"). Processes gone
// meanwhile are passed over; unreadable ones are counted in Denied; other
// read failures are returned as skipped entries. The error is non-nil only
// when ctx is done.
func FindOwners(ctx context.Context, root hostfs.Root, want map[uint64]bool, opts Options) (Owners, skipped.List, error) {
	if opts.MaxFDs <= 0 {
		opts.MaxFDs = 1 << 16
	}
	o := ownerScan{root: root, maxFDs: opts.MaxFDs, want: want, pids: map[uint64][]int{}}
	res := Owners{ByInode: map[uint64]Owner{}}
	if len(want) == 0 {
		return res, nil, nil
	}
	ents, err := root.ReadDir("/proc")
	if err != nil {
		o.skip.Add("/proc", 0, "list processes: %v", err)
		return res, o.skip, nil
	}
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid <= 0 {
			continue
		}
		if err := ctx.Err(); err != nil {
			return res, o.skip, err
		}
		o.scan(pid)
	}
	names := map[int]Owner{}
	for ino, pids := range o.pids {
		slices.Sort(pids)
		ow, ok := names[pids[0]]
		if !ok {
			ow = o.describe(pids[0])
			names[pids[0]] = ow
		}
		if len(pids) > 1 {
			ow.PIDs = pids
		}
		res.ByInode[ino] = ow
	}
	res.Denied = o.denied
	return res, o.skip, nil
}

// ownerScan collects, per wanted inode, the PIDs holding it.
type ownerScan struct {
	root   hostfs.Root
	maxFDs int
	want   map[uint64]bool
	pids   map[uint64][]int
	skip   skipped.List
	denied int
}

func (o *ownerScan) scan(pid int) {
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
		if !ok || !o.want[ino] {
			continue
		}
		if pids := o.pids[ino]; !slices.Contains(pids, pid) {
			o.pids[ino] = append(pids, pid)
		}
	}
	if denied {
		o.denied++
	}
}

// describe reads the name and executable of pid.
func (o *ownerScan) describe(pid int) Owner {
	ow := Owner{PID: pid}
	dir := "/proc/" + strconv.Itoa(pid) + "/"
	if b, err := o.root.ReadFile(dir+"comm", 256); err == nil {
		ow.Name = strings.TrimSuffix(string(b), "\n")
	} else {
		o.note(dir+"comm", err)
	}
	if t, err := o.root.Readlink(dir + "exe"); err == nil {
		ow.Exe = t
	} else {
		o.note(dir+"exe", err)
	}
	return ow
}

func (o *ownerScan) note(name string, err error) {
	switch {
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, syscall.ESRCH):
	case errors.Is(err, fs.ErrPermission):
		o.denied++
	default:
		o.skip.Add(name, 0, "%v", fmt.Errorf("read: %w", err))
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
