package network

import (
	"context"
	"errors"
	"io/fs"
	"strconv"
	"strings"

	"github.com/vigil-sec/vigil/internal/hostfs"
)

// owner is the process holding a socket.
type owner struct {
	PID  int
	Name string
	Exe  string
}

// findOwners maps each inode of want to the lowest PID holding it, by reading
// the /proc/<pid>/fd links ("socket:[inode]"), as the sockets inventory does.
// Processes gone meanwhile or unreadable are passed over; denied counts those
// whose descriptors could not be read.
func findOwners(ctx context.Context, root hostfs.Root, want map[uint64]bool, maxFDs int) (found map[uint64]owner, denied int, err error) {
	found = map[uint64]owner{}
	if len(want) == 0 {
		return found, 0, nil
	}
	ents, err := root.ReadDir("/proc")
	if err != nil {
		return found, 0, err
	}
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid <= 0 {
			continue
		}
		if err := ctx.Err(); err != nil {
			return found, denied, err
		}
		dir := "/proc/" + e.Name() + "/fd"
		fds, err := root.ReadDir(dir)
		if err != nil {
			if errors.Is(err, fs.ErrPermission) {
				denied++
			}
			continue
		}
		if len(fds) > maxFDs {
			fds = fds[:maxFDs]
		}
		for _, fd := range fds {
			t, err := root.Readlink(dir + "/" + fd.Name())
			if err != nil {
				continue
			}
			ino, ok := socketInode(t)
			if !ok || !want[ino] {
				continue
			}
			if o, ok := found[ino]; !ok || pid < o.PID {
				found[ino] = owner{PID: pid}
			}
		}
	}
	names := map[int]owner{}
	for ino, o := range found {
		if n, ok := names[o.PID]; ok {
			found[ino] = n
			continue
		}
		p := "/proc/" + strconv.Itoa(o.PID) + "/"
		if b, err := root.ReadFile(p+"comm", 256); err == nil {
			o.Name = strings.TrimSuffix(string(b), "\n")
		}
		if t, err := root.Readlink(p + "exe"); err == nil {
			o.Exe = t
		}
		names[o.PID] = o
		found[ino] = o
	}
	return found, denied, nil
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
